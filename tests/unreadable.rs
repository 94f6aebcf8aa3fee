//! Announce what can be announced: a peripheral field of an unexpected type (one no message
//! needs in order to exist) never costs the alert. The real fixtures (tests/fixtures/events) are
//! corrupted here, one field at a time; each still yields the same messages, with the same
//! rules, showing the field as unreadable and reporting it in `warnings`.

use proptest::prelude::*;
use serde_json::{json, Value};
use sgnotify::slack::{Block, Payload};

mod real;
use real::fixtures;

/// What a field holds, to corrupt it with a value of another kind.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Object,
}

/// Every peripheral field the core reads, as a path inside the CloudTrail record (`/`-separated),
/// with what it should hold. `groupDescription` is read for CreateSecurityGroup only.
const PERIPHERAL: &[(&str, Kind)] = &[
    ("eventID", Kind::Text),
    ("eventTime", Kind::Text),
    ("awsRegion", Kind::Text),
    ("sourceIPAddress", Kind::Text),
    ("userAgent", Kind::Text),
    ("recipientAccountId", Kind::Text),
    ("errorCode", Kind::Text),
    ("errorMessage", Kind::Text),
    ("userIdentity", Kind::Object),
    ("userIdentity/type", Kind::Text),
    ("userIdentity/arn", Kind::Text),
    ("userIdentity/accountId", Kind::Text),
    ("userIdentity/userName", Kind::Text),
    ("userIdentity/invokedBy", Kind::Text),
    ("userIdentity/principalId", Kind::Text),
    ("responseElements", Kind::Object),
    ("requestParameters/groupId", Kind::Text),
    ("requestParameters/groupName", Kind::Text),
    ("requestParameters/vpcId", Kind::Text),
    ("requestParameters/groupDescription", Kind::Text),
];

/// The record inside the fixture's envelope, and the path prefix the core reports for it.
fn record_mut(event: &mut Value) -> (&mut Value, &'static str) {
    if event.get("detail").is_some() {
        (&mut event["detail"], "detail.")
    } else {
        (event, "")
    }
}

/// Sets `path` in `rec` to `v`; false when its parent object is not there.
fn set(rec: &mut Value, path: &str, v: Value) -> bool {
    let mut at = rec;
    let mut keys: Vec<&str> = path.split('/').collect();
    let last = keys.pop().unwrap();
    for k in keys {
        match at.get_mut(k) {
            Some(next @ Value::Object(_)) => at = next,
            _ => return false,
        }
    }
    match at.as_object_mut() {
        Some(m) => {
            m.insert(last.to_string(), v);
            true
        }
        None => false,
    }
}

/// The rule part of each message: the fields of its first fields section, less the rule id
/// (which comes from the response) and the not-found note (also from the response).
fn rules(p: &Payload) -> Vec<String> {
    p.attachments[0]
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Section { fields, .. } if !fields.is_empty() => Some(fields),
            _ => None,
        })
        .map(|fields| {
            fields
                .iter()
                .map(|f| f.as_str().to_string())
                .filter(|f| !f.starts_with("*Rule ID*") && !f.starts_with("*⚠️*"))
                .collect()
        })
        .unwrap_or_default()
}

fn all_text(m: &sgnotify::Message) -> String {
    serde_json::to_string(&m.payload).unwrap()
}

/// A value of the wrong kind for a field of `kind` (never null, which means "absent").
fn wrong(kind: Kind) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        Just(Value::Null),
    ];
    let nested = leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,8}", inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    });
    match kind {
        // Numbers and booleans are read as their text: only lists and objects are unreadable.
        Kind::Text => nested.prop_filter("a list or an object", |v| v.is_array() || v.is_object()).boxed(),
        Kind::Object => nested.prop_filter("not an object, not null", |v| !v.is_object() && !v.is_null()).boxed(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// For every fixture and every peripheral field, a corrupted value yields the same
    /// messages (count, event, rules) with a warning that names the field's path.
    #[test]
    fn a_corrupted_peripheral_field_costs_no_message(text in wrong(Kind::Text), object in wrong(Kind::Object)) {
        let options = json!({"accounts": {"123456789012": "prod-main"}});
        for (name, event) in fixtures() {
            let before = sgnotify::format_event(&event, &options).unwrap();
            let eventbridge = event.get("detail").is_some();
            let fields = PERIPHERAL.iter().copied().chain(eventbridge.then_some(("^account", Kind::Text)));
            for (field, kind) in fields {
                let v = if kind == Kind::Text { text.clone() } else { object.clone() };
                let mut corrupted = event.clone();
                let (path, prefix) = if let Some(top) = field.strip_prefix('^') {
                    (set(&mut corrupted, top, v), format!("{top}: "))
                } else {
                    let (rec, prefix) = record_mut(&mut corrupted);
                    let is_create = rec["eventName"] == "CreateSecurityGroup";
                    if field.ends_with("groupDescription") && !is_create {
                        continue;
                    }
                    (set(rec, field, v), format!("{prefix}{}: ", field.replace('/', ".")))
                };
                if !path {
                    continue;
                }
                let after = sgnotify::format_event(&corrupted, &options)
                    .map_err(|e| TestCaseError::fail(format!("{name}, {field}: rejected: {e}")))?;
                prop_assert_eq!(after.messages.len(), before.messages.len(), "{}, {}: message count", name, field);
                prop_assert!(after.errors.is_empty() && after.skipped.is_empty());
                let group_call = matches!(before.messages[0].event_name.as_str(), "CreateSecurityGroup" | "DeleteSecurityGroup");
                for (a, b) in after.messages.iter().zip(&before.messages) {
                    prop_assert_eq!(&a.event_name, &b.event_name);
                    if !group_call {
                        prop_assert_eq!(rules(&a.payload), rules(&b.payload), "{}, {}: the same rule", name, field);
                    }
                    prop_assert!(
                        a.warnings.iter().any(|w| w.starts_with(&prefix)),
                        "{}, {}: a warning naming {:?} in {:?}", name, field, prefix, a.warnings
                    );
                    let notice = all_text(a);
                    // Messages name request fields without their parent (`groupId`).
                    let shown = field.trim_start_matches('^').trim_start_matches("requestParameters/").replace('/', ".");
                    prop_assert!(notice.contains("Unreadable in the event, left out") && notice.contains(&shown), "{}: {}", name, notice);
                }
            }
        }
    }
}

/// The issue's examples, each on a real world-open SSH authorize delivered by EventBridge.
#[test]
fn every_odd_field_of_the_issue_is_shown_as_unreadable() {
    let event = fixtures().into_iter().find(|(n, _)| n == "watch-security-group__AuthorizeSecurityGroupIngress__1").unwrap().1;
    let cases = [
        ("userAgent", json!({"name": "aws-cli"}), "via (unreadable userAgent)"),
        ("sourceIPAddress", json!(["192.0.2.1"]), "*Source IP*\\n(unreadable sourceIPAddress)"),
        ("awsRegion", json!(["eu-west-1"]), "*Region*\\n(unreadable awsRegion)"),
        ("eventTime", json!({"epoch": 1}), "*Time*\\n(unreadable eventTime)"),
        ("userIdentity", json!("arn:aws:iam::1:user/x"), "*Changed by*\\n(unreadable userIdentity)"),
        // EventBridge's `account` still names the owner.
        ("recipientAccountId", json!({"id": 1}), "*Account*\\n`123456789012`"),
        ("eventID", json!({"id": 1}), "(unreadable eventID)"),
        ("responseElements", json!("<return>true</return>"), "responseElements"),
    ];
    let before = sgnotify::format_event(&event, &Value::Null).unwrap();
    assert_eq!(before.messages[0].severity, sgnotify::Severity::Critical);
    for (field, v, shown) in cases {
        let mut e = event.clone();
        e["detail"][field] = v;
        let out = sgnotify::format_event(&e, &Value::Null).unwrap_or_else(|err| panic!("{field}: {err}"));
        assert_eq!(out.messages.len(), 1, "{field}");
        let m = &out.messages[0];
        assert!(all_text(m).contains(shown), "{field}: {shown} in {}", all_text(m));
        assert!(m.warnings[0].starts_with(&format!("detail.{field}: expected ")), "{:?}", m.warnings);
        assert!(all_text(m).contains("SSH"), "{field}: the rule is still there");
    }
    // The owner's account was there but unreadable: the caller's own account is not shown in
    // its place (for a cross-account role it would be the wrong account).
    let mut e = event.clone();
    e["account"] = json!(["x"]);
    e["detail"]["recipientAccountId"] = json!({});
    let t = all_text(&sgnotify::format_event(&e, &Value::Null).unwrap().messages[0]);
    assert!(t.contains("*Account*\\n(unreadable account)"), "{t}");
    // Korean labels say the same.
    let mut e = event.clone();
    e["detail"]["userAgent"] = json!({});
    let t = all_text(&sgnotify::format_event(&e, &json!({"locale": "ko"})).unwrap().messages[0]);
    assert!(t.contains("(userAgent 읽을 수 없음)") && t.contains("이벤트에서 읽을 수 없어 생략된 항목: userAgent"), "{t}");
}

#[test]
fn what_decides_the_message_still_rejects_the_event() {
    let event = fixtures().into_iter().find(|(n, _)| n == "watch-security-group__AuthorizeSecurityGroupIngress__1").unwrap().1;
    for (at, v, want) in [
        ("/detail/eventName", json!({}), "detail.eventName: expected a string, found an object"),
        ("/detail/eventSource", json!([]), "detail.eventSource: expected a string, found a list"),
        ("/detail/requestParameters", json!("x"), "detail.requestParameters: expected an object, found a string"),
        ("/detail/requestParameters/ipPermissions/items/0/ipRanges", json!(1), "detail.requestParameters.ipPermissions.items[0].ipRanges: expected an object with items, found a number"),
    ] {
        let mut e = event.clone();
        *e.pointer_mut(at).unwrap() = v;
        assert_eq!(sgnotify::format_event(&e, &Value::Null).map(|_| ()).unwrap_err().to_string(), want);
    }
}

#[test]
fn a_group_call_with_unreadable_parameters_is_still_announced() {
    let mut event = fixtures().into_iter().find(|(n, _)| n == "aws-spotlight__CreateSecurityGroup__2").unwrap().1;
    event["requestParameters"] = json!("groupName=onecloud");
    let out = sgnotify::format_event(&event, &Value::Null).unwrap();
    assert_eq!(out.messages.len(), 1);
    let t = all_text(&out.messages[0]);
    // The response still names the new group's id.
    assert!(t.contains("Security group created: sg-0e4669b73c6c4c0fd"), "{t}");
    assert_eq!(out.messages[0].warnings, ["requestParameters: expected an object, found a string"]);
}

#[test]
fn a_rule_call_with_no_readable_rule_is_still_one_message() {
    let mut event = fixtures().into_iter().find(|(n, _)| n == "stratus-red-team__AuthorizeSecurityGroupIngress__1").unwrap().1;
    // The legacy request form, with its rules only in the response: drop the request's rule.
    for k in ["cidrIp", "fromPort", "toPort", "ipProtocol"] {
        event["requestParameters"].as_object_mut().unwrap().remove(k);
    }
    event["responseElements"]["securityGroupRuleSet"] = json!("sgr-09b3e3d2c");
    let out = sgnotify::format_event(&event, &Value::Null).unwrap();
    assert_eq!(out.messages.len(), 1);
    let t = all_text(&out.messages[0]);
    assert!(t.contains("Inbound rule added: unknown (details not in the event)"), "{t}");
    assert_eq!(out.messages[0].warnings, ["responseElements.securityGroupRuleSet: expected an object with items, found a string"]);
}
