//! The JS boundary tests of `tests/common/` in a real browser: headless Chromium through Debian's
//! chromedriver (`make test-wasm-browser`; capabilities in `tests/wasm_browser.webdriver.json`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod common;
