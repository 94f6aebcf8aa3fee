//! The JS boundary tests of `tests/common/` in Node.js (`make test-wasm-node`).
#![cfg(target_arch = "wasm32")]

mod common;
