//! Any bytes, read as JSON text, either format or fail with an error: never a panic, and every
//! payload stays within Slack's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(out) = sgnotify::format_json(text, &serde_json::Value::Null) {
        for m in &out.messages {
            if let Err(e) = m.payload.check_limits() {
                panic!("{e}");
            }
        }
        // The output must always serialise (the wasm boundary turns it into JSON text).
        serde_json::to_string(&out).expect("output serialises");
    }
});
