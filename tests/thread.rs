//! Threads for bursts on the real fixtures (tests/fixtures/events): which changes share a burst
//! key, and the parent summary of real bursts (expected payloads in tests/snapshots/, reviewed by
//! hand; update with `INSTA_UPDATE=always cargo test --test thread` and review the diff).

use serde_json::{json, Value};
use sgnotify::{format_event, thread_facts, thread_summary};
use std::collections::BTreeSet;

mod real;
use real::{fixture, fixtures as all_fixtures};

fn key_of(name: &str) -> String {
    let f = thread_facts(&fixture(name)).expect("facts");
    assert_eq!(f.len(), 1, "{name}: one SG change");
    f[0].key.clone()
}

/// A burst the way the Lambda builds one: every message of the events, the highest severity, the
/// groups in order of first touch, the first and last event time.
fn burst_of(names: &[&str]) -> Value {
    let (mut changes, mut severity, mut groups, mut times) = (0, "info", Vec::<String>::new(), Vec::<String>::new());
    let rank = |s: &str| ["info", "warning", "critical"].iter().position(|x| *x == s).expect("severity");
    let mut who = None;
    for name in names {
        let event = fixture(name);
        let facts = thread_facts(&event).expect("facts").remove(0);
        let out = format_event(&event, &Value::Null).expect("formats");
        for m in &out.messages {
            changes += 1;
            let s = serde_json::to_value(m.severity).expect("severity");
            let s = s.as_str().expect("a string");
            if rank(s) > rank(severity) {
                severity = ["info", "warning", "critical"][rank(s)];
            }
        }
        if let Some(g) = facts.group.clone().filter(|g| !groups.contains(g)) {
            groups.push(g);
        }
        times.extend(facts.time.clone());
        who.get_or_insert((facts.account.clone(), facts.principal.clone(), facts.principal_type.clone()));
    }
    times.sort();
    let (account, principal, principal_type) = who.expect("at least one event");
    json!({
        "account": account, "principal": principal, "principalType": principal_type, "changes": changes,
        "severity": severity, "groups": groups, "firstTime": times.first(), "lastTime": times.last(),
    })
}

#[test]
fn every_fixture_has_facts_for_its_change() {
    for (name, event) in all_fixtures() {
        let facts = thread_facts(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(facts.len(), 1, "{name}");
        let f = &facts[0];
        let record = event.get("detail").unwrap_or(&event);
        assert_eq!(f.event_id.as_deref(), record["eventID"].as_str(), "{name}");
        // The owner as the messages name it: EventBridge's account, the recipient, else the caller's.
        let owner = [event.get("account"), record.get("recipientAccountId"), record["userIdentity"].get("accountId")]
            .into_iter()
            .flatten()
            .find_map(Value::as_str);
        assert_eq!(f.account.as_deref(), owner, "{name}: the owning account");
        assert!(f.key.starts_with(&format!("{}|", owner.unwrap_or("?"))), "{name}: {}", f.key);
        assert!(f.epoch_seconds.is_some(), "{name}: event time read");
    }
}

#[test]
fn same_principal_same_account_share_a_key_and_no_one_else_does() {
    // wwalpha switched into a role and revoked, then authorized, ingress five minutes apart.
    let revoke = thread_facts(&fixture("aws-spotlight__RevokeSecurityGroupIngress__1")).unwrap().remove(0);
    let authorize = thread_facts(&fixture("aws-spotlight__AuthorizeSecurityGroupIngress__1")).unwrap().remove(0);
    assert_eq!(revoke.key, authorize.key);
    assert_eq!(authorize.epoch_seconds.unwrap() - revoke.epoch_seconds.unwrap(), 283);
    assert_eq!(revoke.principal, "wwalpha@gmail.com_SwitchRole/wwalpha@gmail.com");
    // The same person as an IAM user is another principal; so is another session of a role.
    assert_ne!(key_of("aws-spotlight__AuthorizeSecurityGroupEgress__1"), revoke.key);
    assert_ne!(key_of("panther__AuthorizeSecurityGroupIngress__2"), key_of("panther__AuthorizeSecurityGroupEgress__1"));
    // Across all fixtures, keys split exactly where (owner, principal ARN) read from the JSON do.
    let fixtures = all_fixtures();
    let keys: BTreeSet<String> = fixtures.iter().map(|(n, _)| key_of(n)).collect();
    let pairs: BTreeSet<(String, String)> = fixtures
        .iter()
        .map(|(_, e)| {
            let r = e.get("detail").unwrap_or(e);
            let owner = e.get("account").or_else(|| r.get("recipientAccountId")).or_else(|| r["userIdentity"].get("accountId"));
            (owner.and_then(Value::as_str).unwrap_or("?").to_string(), r["userIdentity"]["arn"].as_str().unwrap_or("-").to_string())
        })
        .collect();
    assert_eq!(keys.len(), pairs.len());
    assert!(keys.len() < fixtures.len(), "some fixtures share a principal");
}

#[test]
fn facts_follow_records_through_a_batch() {
    let batch = json!({"Records": [
        fixture("aws-spotlight__AuthorizeSecurityGroupEgress__1"),
        {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "eventID": "x"},
        "not a record",
        fixture("aws-spotlight__RevokeSecurityGroupEgress__1"),
    ]});
    let facts = thread_facts(&batch).expect("a batch with bad records still has facts");
    assert_eq!(facts.iter().map(|f| f.index).collect::<Vec<_>>(), vec![0, 3]);
    assert_eq!(facts[0].key, facts[1].key);
    assert_eq!(facts[0].group.as_deref(), Some("sg-0299796957cc35b44"));
}

#[test]
fn summary_of_a_real_burst() {
    // The role session's two events, five minutes apart: MySQL from 0.0.0.0/0 and ::/0 revoked on
    // one group, then opened on another.
    let burst = burst_of(&["aws-spotlight__RevokeSecurityGroupIngress__1", "aws-spotlight__AuthorizeSecurityGroupIngress__1"]);
    assert_eq!((burst["changes"].as_u64(), burst["severity"].as_str()), (Some(4), Some("critical")));
    let options = json!({"accounts": {"999999999999": "sandbox"}});
    insta::assert_json_snapshot!("thread_summary_en", thread_summary(&burst, &options).expect("renders"));
    let options = json!({"accounts": {"999999999999": "sandbox"}, "timezone": "Asia/Seoul", "locale": "ko"});
    insta::assert_json_snapshot!("thread_summary_ko_asia_seoul", thread_summary(&burst, &options).expect("renders"));
}

#[test]
fn summary_escapes_user_text_and_stays_within_limits() {
    let groups: Vec<String> = (0..25).map(|i| format!("sg-{i:017}")).collect();
    let burst = json!({
        "account": "111122223333", "principal": format!("<!channel> {}", "x".repeat(3000)), "principalType": "IAMUser",
        "changes": 250, "severity": "warning", "groups": groups, "groupCount": 40,
        "firstTime": "2024-05-01T10:00:00Z", "lastTime": "2024-05-01T10:09:59Z",
    });
    let s = serde_json::to_value(thread_summary(&burst, &Value::Null).expect("renders")).unwrap();
    let text = s["text"].as_str().unwrap();
    assert!(text.starts_with("⚠️ [WARNING] Security group changes by &lt;!channel&gt; x"), "{text}");
    assert!(!s.to_string().contains("<!channel>"));
    assert!(text.chars().count() <= 1000);
    let header = s["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(header.chars().count() <= 150);
    let fields = s["blocks"][1]["fields"].as_array().unwrap();
    assert!(fields.len() <= 10);
    for f in fields {
        assert!(f["text"].as_str().unwrap().chars().count() <= 2000);
    }
    let groups_field = fields[4]["text"].as_str().unwrap();
    assert_eq!(groups_field.matches("`sg-").count(), 10, "ten groups by name");
    assert!(groups_field.ends_with("(+30 more)"), "{groups_field}");
    assert_eq!(fields[2]["text"], "*Changes*\n*250* (so far)");
}

#[test]
fn a_bad_burst_or_option_is_an_error_saying_where() {
    let e = thread_summary(&json!({"principal": "a", "changes": "3"}), &Value::Null).unwrap_err();
    assert_eq!(e.to_string(), "burst.changes: expected a whole number ≥ 0, found a string");
    // A key the burst does not have (the Lambda's state item spelt another way) is named in full.
    let e = thread_summary(&json!({"principal": "a", "changes": 3, "group_count": 2}), &Value::Null).unwrap_err();
    assert_eq!(
        e.to_string(),
        "burst.group_count: unknown key (known: account, principal, principalType, changes, severity, groups, groupCount, firstTime, lastTime)"
    );
    let e = thread_summary(&json!({"changes": 3}), &Value::Null).unwrap_err();
    assert_eq!(e.to_string(), "burst.principal: required");
    let e = thread_summary(&json!({"principal": "a", "changes": 3}), &json!({"timezone": "Mars/Base"})).unwrap_err();
    assert!(e.to_string().starts_with("options.timezone: unknown time zone"));
}
