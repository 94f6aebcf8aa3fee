//! Every real fixture (tests/fixtures/events, attribution in SOURCES.md) formatted whole and
//! compared with its expected payloads (tests/snapshots/, reviewed by hand; update deliberately
//! with `INSTA_UPDATE=always cargo test --test fixtures` and review the diff).

mod real;

use real::fixtures;
use serde_json::{json, Value};

/// The record inside whatever envelope the fixture has.
fn record(v: &Value) -> &Value {
    v.get("detail").unwrap_or(v)
}

/// Rules in an event, counted straight from the JSON (not by the code under test): every
/// ipPermissions item times its sources, at least one per item; the legacy form is one rule.
fn rules_in(rec: &Value) -> usize {
    let items = |v: &Value, k: &str| -> Vec<Value> {
        v.get(k).and_then(|c| c.get("items")).and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let rp = &rec["requestParameters"];
    let perms = items(rp, "ipPermissions");
    if perms.is_empty() {
        return 1;
    }
    perms
        .iter()
        .map(|p| {
            ["ipRanges", "ipv6Ranges", "prefixListIds", "groups"].iter().map(|k| items(p, k).len()).sum::<usize>().max(1)
        })
        .sum()
}

#[test]
fn every_fixture_formats_to_its_reviewed_payloads() {
    let options = json!({"accounts": {"123456789012": "prod-main", "999999999999": "sandbox"}});
    for (name, event) in fixtures() {
        let out = sgnotify::format_event(&event, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(name.clone(), out);
    }
}

#[test]
fn every_rule_of_every_fixture_has_its_message() {
    for (name, event) in fixtures() {
        let out = sgnotify::format_event(&event, &Value::Null).unwrap();
        assert!(out.errors.is_empty() && out.skipped.is_empty(), "{name}");
        assert_eq!(out.messages.len(), rules_in(record(&event)), "{name}: one message per rule");
        for m in &out.messages {
            let p = serde_json::to_value(&m.payload).unwrap();
            let text = p["text"].as_str().unwrap();
            assert!(!text.is_empty(), "{name}: top-level text for notifications");
            let blocks = p["attachments"][0]["blocks"].as_array().unwrap();
            assert_eq!(blocks[0]["type"], "header", "{name}");
            m.payload.check_limits().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn every_message_names_the_event_and_links_to_cloudtrail() {
    for (name, event) in fixtures() {
        let rec = record(&event);
        let id = rec["eventID"].as_str().unwrap();
        let region = rec["awsRegion"].as_str().unwrap();
        let out = sgnotify::format_event(&event, &Value::Null).unwrap();
        for m in &out.messages {
            assert_eq!(m.event_id, id, "{name}");
            assert_eq!(m.event_name, rec["eventName"].as_str().unwrap());
            let all = serde_json::to_string(&m.payload).unwrap();
            assert!(all.contains(&format!("`{}`", rec["eventName"].as_str().unwrap())), "{name}: event name shown");
            if region != "..." {
                assert!(
                    all.contains(&format!("console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/")),
                    "{name}: CloudTrail link"
                );
            }
        }
    }
}

#[test]
fn korean_labels_and_time_zone() {
    let (_, event) = fixtures().into_iter().find(|(n, _)| n == "panther__AuthorizeSecurityGroupIngress__2").unwrap();
    let out = sgnotify::format_event(&event, &json!({"locale": "ko", "timezone": "Asia/Seoul"})).unwrap();
    insta::assert_json_snapshot!("ko_asia_seoul", out);
}

/// The bar colour of each message of a fixture under a colour scheme, with its severity.
fn bars(name: &str, scheme: &str) -> Vec<(String, sgnotify::Severity)> {
    let (_, event) = fixtures().into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("fixture {name}"));
    let out = sgnotify::format_event(&event, &json!({"colorScheme": scheme})).unwrap();
    assert!(!out.messages.is_empty(), "{name}");
    out.messages.iter().map(|m| (m.payload.attachments[0].color.to_string(), m.severity)).collect()
}

#[test]
fn colour_schemes_on_real_events() {
    use sgnotify::Severity::{Critical, Info};
    let (red, blue) = ("#eb4034", "#0c3f7d");
    // A revoke: blue (info) by severity, red by action; its severity stays info either way.
    let revoke = "aws-spotlight__RevokeSecurityGroupIngress__1";
    for (colour, sev) in bars(revoke, "severity") {
        assert_eq!((colour.as_str(), sev), (Info.color(), Info));
    }
    for (colour, sev) in bars(revoke, "action") {
        assert_eq!((colour.as_str(), sev), (red, Info));
    }
    // A world-open SSH authorize: red (critical) by severity, dark blue by action, still critical.
    let ssh = "panther__AuthorizeSecurityGroupIngress__2";
    assert_eq!(bars(ssh, "severity"), [(Critical.color().to_string(), Critical)]);
    assert_eq!(bars(ssh, "action"), [(blue.to_string(), Critical)]);
    // A deleted group is a removal; a created one is not.
    assert!(bars("aws-spotlight__DeleteSecurityGroup__1", "action").iter().all(|(c, _)| c == red));
    assert!(bars("aws-spotlight__CreateSecurityGroup__1", "action").iter().all(|(c, _)| c == blue));
    // Unset is the severity scheme; only the colour differs between the two.
    let (_, event) = fixtures().into_iter().find(|(n, _)| n == revoke).unwrap();
    let default = sgnotify::format_event(&event, &Value::Null).unwrap();
    let mut action = sgnotify::format_event(&event, &json!({"colorScheme": "action"})).unwrap();
    assert_eq!(sgnotify::format_event(&event, &json!({"colorScheme": "severity"})).unwrap(), default);
    for m in &mut action.messages {
        m.payload.attachments[0].color = Info.color();
    }
    assert_eq!(action, default);
}
