//! Any bytes, read as JSON text, either format or fail with an error: never a panic, and every
//! payload stays within Slack's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgnotify::slack::{block_text_len, MAX_BLOCKS, MAX_MESSAGE_TEXT};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(out) = sgnotify::format_json(text, &serde_json::Value::Null) {
        for m in &out.messages {
            let blocks: usize = m.payload.attachments.iter().map(|a| a.blocks.len()).sum();
            assert!(blocks <= MAX_BLOCKS, "{blocks} blocks");
            assert!(block_text_len(&m.payload) <= MAX_MESSAGE_TEXT, "block text too long");
        }
        // The output must always serialise (the wasm boundary turns it into JSON text).
        serde_json::to_string(&out).expect("output serialises");
    }
});
