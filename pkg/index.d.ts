// Types for every entry point. They are generated from the Rust crate (src/wasm.rs) into the
// web build; Node.js entries export the same formatEvent, and an init() that resolves at once.
export * from './dist/web/sgnotify.js';
export { default } from './dist/web/sgnotify.js';
