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
        // What the wasm boundary hands to JavaScript: the hand-written JSON (ASCII), the same
        // value as the Serialize derives' JSON; and the bodies form, valid JSON too.
        let text = out.to_json(false);
        assert!(text.is_ascii());
        let ours: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(ours, serde_json::to_value(&out).expect("output serialises"));
        let _: serde_json::Value = serde_json::from_str(&out.to_json(true)).expect("bodies are valid JSON");
    }
});
