//! Hostile inputs (all synthetic, built here): each gets a clear error or a bounded result in
//! bounded time, and the core keeps working afterwards. Crashes found by fuzzing
//! (tests/fuzz) are kept at the end as regression tests.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

const FIXTURE: &str = include_str!("fixtures/events/aws-spotlight__AuthorizeSecurityGroupIngress__1.json");

/// A real fixture still formats: whatever came before did not leave the core broken.
fn still_works() {
    let out = sgnotify::format_json(FIXTURE, &Value::Null).expect("a real fixture formats");
    assert!(!out.messages.is_empty());
}

/// Runs `f`, asserts it took less than `limit` (debug build), then checks the core still works.
fn bounded<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < limit, "took {took:?}, more than {limit:?}");
    still_works();
    out
}

fn err_text(input: &str) -> String {
    sgnotify::format_json(input, &Value::Null).expect_err("an error").to_string()
}

fn within_limits(out: &sgnotify::Formatted) {
    for m in &out.messages {
        m.payload.check_limits().unwrap();
    }
}

/// An AuthorizeSecurityGroupIngress record with the given ipPermissions items.
fn authorize(items: Value) -> Value {
    json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "eventID": "e-1", "eventTime": "2024-03-10T06:30:00Z", "awsRegion": "eu-west-1",
        "userIdentity": { "type": "IAMUser", "userName": "mallory", "accountId": "111122223333" },
        "requestParameters": { "groupId": "sg-0123456789abcdef0", "ipPermissions": { "items": items } }
    })
}

fn sources(n: usize) -> Value {
    let list: Vec<Value> = (0..n).map(|i| json!({ "cidrIp": format!("10.{}.{}.0/24", i / 256, i % 256) })).collect();
    json!([{ "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": { "items": list } }])
}

#[test]
fn deep_nesting_as_text_is_a_clear_error() {
    let n = 100_000;
    let list = "[".repeat(n) + &"]".repeat(n);
    let e = bounded(Duration::from_secs(2), || err_text(&list));
    assert!(e.starts_with("input: invalid JSON: recursion limit exceeded"), "{e}");
    // Nesting under a key the core does not read is skipped without recursing (serde_json's
    // ignore_value is iterative), so the input is whole and merely not an event.
    let objects = "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
    let e = bounded(Duration::from_secs(2), || err_text(&objects));
    assert!(e.starts_with("input: expected an EventBridge event"), "{e}");
    // Under a key it reads, the limit holds.
    let read = "{\"detail\":".repeat(n) + "1" + &"}".repeat(n);
    let e = bounded(Duration::from_secs(2), || err_text(&read));
    assert!(e.starts_with("input: invalid JSON: recursion limit exceeded"), "{e}");
}

#[test]
fn deep_nesting_inside_an_sns_message_is_a_clear_error() {
    let n = 100_000;
    let inner = "[".repeat(n) + &"]".repeat(n);
    let event = json!({ "Records": [{ "EventSource": "aws:sns", "Sns": { "Type": "Notification", "Message": inner } }] });
    let out = bounded(Duration::from_secs(2), || sgnotify::format_event(&event, &Value::Null).unwrap());
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.starts_with("Records[0].Sns.Message: invalid JSON: recursion limit exceeded"), "{}", out.errors[0].message);
}

#[test]
fn nested_sns_notifications_stop() {
    // An SNS notification whose message is a notification whose message is ... 8 deep (each
    // level doubles the escaping, so deeper would only test the test).
    let mut doc = authorize(sources(1));
    for _ in 0..8 {
        doc = json!({ "Type": "Notification", "Message": doc.to_string() });
    }
    let e = bounded(Duration::from_secs(2), || sgnotify::format_event(&doc, &Value::Null).unwrap_err().to_string());
    assert!(e.contains("SNS notifications nested too deep"), "{e}");
}

#[test]
fn a_10_mb_event_gives_a_bounded_result() {
    let huge = "<!channel> & ".repeat(10 * 1024 * 1024 / 13);
    let mut event = authorize(json!([{ "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
        "ipRanges": { "items": [{ "cidrIp": huge.clone(), "description": huge.clone() }] } }]));
    event["userAgent"] = json!(huge.clone());
    event["errorCode"] = json!(huge.clone());
    event["errorMessage"] = json!(huge.clone());
    event["userIdentity"]["userName"] = json!(huge);
    let text = event.to_string();
    assert!(text.len() > 50 * 1024 * 1024);
    let out = bounded(Duration::from_secs(20), || sgnotify::format_json(&text, &Value::Null).unwrap());
    assert_eq!(out.messages.len(), 1);
    within_limits(&out);
    let size = serde_json::to_string(&out).unwrap().len();
    assert!(size < 64 * 1024, "output of {size} bytes");
}

#[test]
fn ten_thousand_rules_are_all_listed_in_bounded_messages() {
    let event = authorize(sources(10_000));
    let out = bounded(Duration::from_secs(20), || sgnotify::format_event(&event, &Value::Null).unwrap());
    within_limits(&out);
    let listed: usize = out
        .messages
        .iter()
        .flat_map(|m| m.payload.attachments[0].blocks.iter())
        .filter_map(|b| match b {
            sgnotify::slack::Block::Section { text: Some(t), .. } => Some(t.as_str().lines().filter(|l| l.starts_with("• ")).count()),
            _ => None,
        })
        .sum();
    assert_eq!(listed, 10_000);
    assert!(out.messages.len() < 200, "{} messages", out.messages.len());
}

#[test]
fn ten_thousand_revoked_rules_matched_against_the_response_stay_fast() {
    // Every rule in the request, in the response's revoked set, and in unknownIpPermissionSet:
    // the matching must not be quadratic in anything slow.
    let n = 10_000;
    let mut event = authorize(sources(n));
    event["eventName"] = json!("RevokeSecurityGroupIngress");
    let set: Vec<Value> = (0..n)
        .map(|i| json!({ "securityGroupRuleId": format!("sgr-{i:017x}"), "isEgress": false, "ipProtocol": "tcp",
                         "fromPort": 22, "toPort": 22, "cidrIpv4": format!("10.{}.{}.0/24", n - 1 - i / 256, i % 256) }))
        .collect();
    event["responseElements"] = json!({ "revokedSecurityGroupRuleSet": { "items": set }, "unknownIpPermissionSet": { "items": sources(n) } });
    event["requestParameters"]["securityGroupRuleIds"] =
        json!({ "items": (0..n).map(|i| json!({ "securityGroupRuleId": format!("sgr-x{i}") })).collect::<Vec<_>>() });
    let out = bounded(Duration::from_secs(30), || sgnotify::format_event(&event, &Value::Null).unwrap());
    within_limits(&out);
}

#[test]
fn ten_thousand_records_in_a_batch() {
    let good = authorize(sources(1));
    let records: Vec<Value> = (0..10_000).map(|i| if i % 2 == 0 { good.clone() } else { json!(i) }).collect();
    let out = bounded(Duration::from_secs(30), || sgnotify::format_event(&json!({ "Records": records }), &Value::Null).unwrap());
    assert_eq!(out.messages.len(), 5_000);
    assert_eq!(out.errors.len(), 5_000);
    assert_eq!(out.errors[0].message, "Records[1]: expected an object, found a number");
}

#[test]
fn numbers_where_strings_go() {
    // Numbers and booleans in text fields read as their JSON text; objects and lists in the
    // rules are errors that name the field (peripheral fields: tests/unreadable.rs).
    let mut e = authorize(json!([{ "ipProtocol": 6, "fromPort": "22", "toPort": 22.0,
        "ipRanges": { "items": [{ "cidrIp": 10, "description": 1e300 }] } }]));
    e["eventID"] = json!(12345);
    e["awsRegion"] = json!(true);
    e["eventTime"] = json!(1_700_000_000);
    e["userIdentity"]["userName"] = json!(-0.0);
    let out = bounded(Duration::from_secs(2), || sgnotify::format_event(&e, &Value::Null).unwrap());
    assert_eq!(out.messages.len(), 1);
    assert_eq!(out.messages[0].event_id, "12345");

    let cases = [
        ("/eventName", json!([1]), "eventName: expected a string, found a list"),
        ("/requestParameters", json!("x"), "requestParameters: expected an object, found a string"),
        ("/requestParameters/ipPermissions", json!(7), "requestParameters.ipPermissions: expected an object with items, found a number"),
        ("/requestParameters/ipPermissions/items", json!(7), "requestParameters.ipPermissions.items: expected a list, found a number"),
        ("/requestParameters/ipPermissions/items/0/fromPort", json!("ssh"), "requestParameters.ipPermissions.items[0].fromPort: expected an integer, found a string"),
        ("/requestParameters/ipPermissions/items/0/fromPort", json!(1e300), "requestParameters.ipPermissions.items[0].fromPort: expected an integer, found a number"),
        ("/requestParameters/ipPermissions/items/0/ipRanges/items/0", json!("10.0.0.0/8"), "requestParameters.ipPermissions.items[0].ipRanges.items[0]: expected an object, found a string"),
    ];
    for (at, v, want) in cases {
        let mut e = authorize(sources(1));
        *e.pointer_mut(at).unwrap() = v;
        let got = bounded(Duration::from_secs(2), || sgnotify::format_event(&e, &Value::Null).map(|_| ()).unwrap_err().to_string());
        assert_eq!(got, want, "at {at}");
    }
}

#[test]
fn not_json_and_not_events() {
    for (input, want) in [
        ("", "input: invalid JSON: EOF while parsing a value at line 1 column 0"),
        ("nul", "input: invalid JSON: "),
        ("\"\\ud800\"", "input: "),
        ("1e999999", "input: invalid JSON: number out of range"),
        ("{\"a\":1,\"a\":2}", "input: expected an EventBridge event"),
        ("[]", ""),
    ] {
        let got = bounded(Duration::from_secs(1), || sgnotify::format_json(input, &Value::Null).map(|o| (o.messages.len(), o.errors.len())));
        match got {
            Ok(counts) => assert_eq!((want, counts), ("", (0, 0)), "{input:?}"),
            // NOTE: "" marks the one input that must succeed; an error there is a failure too.
            Err(e) => assert!(!want.is_empty() && e.to_string().starts_with(want), "{input:?}: {e}"),
        }
    }
}

#[test]
fn hostile_options_are_clear_errors() {
    for (opts, want) in [
        (json!({ "maxMessagesPerEvent": 1e308 }), "options.maxMessagesPerEvent: expected a whole number from 1 to 1000"),
        (json!({ "maxMessagesPerEvent": -1 }), "options.maxMessagesPerEvent: expected a whole number from 1 to 1000"),
        (json!({ "timezone": "x".repeat(1 << 20) }), "options.timezone: unknown time zone"),
        (json!({ "accounts": { "1": { "a": 1 } } }), "options.accounts[\"1\"].a: unknown key (known: name, ou, tags)"),
        (json!([1]), "options: expected an object, found a list"),
        (json!({ "locale": "x".repeat(1 << 20) }), "options.locale: unknown locale"),
        (json!({ "x".repeat(1 << 20): 1 }), "options.xxxx"),
        (json!({ "accounts": { "1".repeat(1 << 20): 5 } }), "options.accounts[\"111"),
    ] {
        let got = bounded(Duration::from_secs(2), || sgnotify::format_json(FIXTURE, &opts).map(|_| ()).unwrap_err().to_string());
        assert!(got.starts_with(want), "{got}");
        assert!(got.len() < 2048, "error message of {} bytes", got.len());
    }
}

#[test]
fn huge_names_in_skipped_events_give_bounded_reasons() {
    let huge = "x".repeat(1 << 20);
    let events = [
        json!({ "eventSource": huge.clone(), "eventName": huge.clone() }),
        json!({ "detail-type": huge.clone(), "source": huge.clone(), "detail": {} }),
    ];
    for e in events {
        let out = bounded(Duration::from_secs(2), || sgnotify::format_event(&e, &Value::Null).unwrap());
        assert_eq!(out.skipped.len(), 1);
        // eventName and eventId pass through as given; the reason, our text, stays short.
        let size = out.skipped[0].reason.len();
        assert!(size < 1024, "a reason of {size} bytes");
    }
}
