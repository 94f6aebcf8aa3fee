//! Tamper alerts on SYNTHETIC events (tests/fixtures/synthetic, shaped like the AWS
//! documentation's sample records; no real ones are published): each call that can blind the
//! notifier is one critical message naming the trail or rule, the account, region, caller and
//! time, with the CloudTrail link. Expected payloads in tests/snapshots/tamper__*.snap, reviewed.

use serde_json::{json, Value};
use sgnotify::Severity;
use std::fs;
use std::path::PathBuf;

fn synthetic(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/synthetic/synthetic__{name}.json"));
    serde_json::from_str(&fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn text(m: &sgnotify::Message) -> String {
    serde_json::to_string(&m.payload).unwrap()
}

/// (file, title, resource name, ARN, account, region, caller)
const ALERTS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    ("StopLogging", "CloudTrail logging stopped: My-First-Trail", "My-First-Trail",
     "arn:aws:cloudtrail:us-east-2:123456789012:trail/My-First-Trail", "123456789012", "us-east-2", "Mary_Major"),
    ("DeleteTrail", "CloudTrail trail deleted: management-events", "management-events",
     "arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events", "111122223333", "eu-west-1", "Admin/mallory"),
    ("PutEventSelectors", "CloudTrail event selectors changed: TrailName", "TrailName",
     "arn:aws:cloudtrail:us-east-2:123456789012:trail/TrailName", "123456789012", "us-east-2", "Mary_Major"),
    ("PutRule", "sgnotify EventBridge rule changed: sgnotify-member-SecurityGroupChanges", "sgnotify-member-SecurityGroupChanges",
     "arn:aws:events:us-east-1:123456789012:rule/sgnotify-member-SecurityGroupChanges", "123456789012", "us-east-1", "root"),
    ("DisableRule", "sgnotify EventBridge rule disabled: sgnotify-member-SecurityGroupChanges", "sgnotify-member-SecurityGroupChanges",
     "arn:aws:events:us-east-1:123456789012:rule/sgnotify-member-SecurityGroupChanges", "123456789012", "us-east-1", "Admin/mallory"),
    ("DeleteRule", "sgnotify EventBridge rule deleted: sgnotify-forward", "sgnotify-forward",
     "arn:aws:events:us-east-1:123456789012:rule/security/sgnotify-forward", "123456789012", "us-east-1", "Admin/mallory"),
    ("RemoveTargets", "Targets removed from the sgnotify EventBridge rule: sgnotify-member-SecurityGroupChanges",
     "sgnotify-member-SecurityGroupChanges", "arn:aws:events:us-east-1:123456789012:rule/sgnotify-member-SecurityGroupChanges",
     "123456789012", "us-east-1", "Admin/mallory"),
];

#[test]
fn each_tamper_call_is_one_critical_message_naming_resource_and_caller() {
    for &(file, title, name, arn, account, region, caller) in ALERTS {
        let event = synthetic(file);
        let out = sgnotify::format_event(&event, &json!({"accounts": {"123456789012": "payments-prod"}})).unwrap();
        insta::assert_json_snapshot!(file, out);
        assert!(out.skipped.is_empty() && out.errors.is_empty(), "{file}");
        assert_eq!(out.messages.len(), 1, "{file}");
        let m = &out.messages[0];
        assert_eq!(m.severity, Severity::Critical, "{file}");
        assert!(m.warnings.is_empty(), "{file}: {:?}", m.warnings);
        let record = event.get("detail").unwrap_or(&event);
        assert_eq!(m.event_id, record["eventID"].as_str().unwrap());
        assert_eq!(m.event_name, file);
        let t = text(m);
        assert!(m.payload.text.contains(title), "{file}: {}", m.payload.text);
        assert!(t.contains(&format!("`{name}`")), "{file}: name");
        assert!(t.contains(&format!("*ARN*\\n`{arn}`")), "{file}: ARN in {t}");
        assert!(t.contains(&format!("`{account}`")), "{file}: account");
        assert!(t.contains(&format!("*Region*\\n`{region}`")), "{file}: region");
        assert!(t.contains(&format!("*Changed by*\\n{caller}")), "{file}: caller in {t}");
        let time = record["eventTime"].as_str().unwrap().replace('T', " ").replace('Z', " UTC");
        assert!(t.contains(&format!("*Time*\\n{time}")), "{file}: time");
        let link = format!("https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{}", record["eventID"].as_str().unwrap());
        assert!(t.contains(&link), "{file}: CloudTrail link");
        assert!(t.contains("may no longer be reported"), "{file}: says why it matters");
        assert!(!t.contains("*Security group*"), "{file}: no security group field");
    }
}

#[test]
fn details_each_call_adds() {
    let out = sgnotify::format_event(&synthetic("RemoveTargets"), &Value::Null).unwrap();
    assert!(text(&out.messages[0]).contains("*Targets removed*\\n`ForwardToMonitoringAccount`"));
    let t = text(&sgnotify::format_event(&synthetic("PutRule"), &Value::Null).unwrap().messages[0]);
    assert!(t.contains("*State*\\n`ENABLED`") && t.contains("*Event pattern*\\n`{\\\"source\\\""), "{t}");
    let t = text(&sgnotify::format_event(&synthetic("DeleteRule"), &Value::Null).unwrap().messages[0]);
    assert!(t.contains("*Event bus*\\n`security`"), "{t}");
}

#[test]
fn a_failed_attempt_is_a_warning_shown_as_not_applied() {
    let out = sgnotify::format_event(&synthetic("UpdateTrail__failed"), &Value::Null).unwrap();
    insta::assert_json_snapshot!("UpdateTrail__failed", out);
    let m = &out.messages[0];
    assert_eq!(m.severity, Severity::Warning);
    let t = text(m);
    assert!(t.contains("CloudTrail trail changed: myTrail2") && t.contains("Not applied") && t.contains("TrailNotFoundException"), "{t}");
    assert!(!t.contains("may no longer be reported"), "nothing changed: {t}");
}

#[test]
fn other_rules_and_same_named_calls_of_other_services_are_skipped() {
    // The documentation's own PutRule: another team's rule.
    let out = sgnotify::format_event(&synthetic("PutRule__other-rule"), &Value::Null).unwrap();
    assert!(out.messages.is_empty());
    assert_eq!(out.skipped[0].reason, "events.amazonaws.com PutRule on rule \"cttest2\": not an sgnotify rule");
    // ELB has a DeleteRule too.
    let mut elb = synthetic("DeleteRule");
    elb["eventSource"] = json!("elasticloadbalancing.amazonaws.com");
    elb["requestParameters"] = json!({"ruleArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/sgnotify/1/2/3"});
    let out = sgnotify::format_event(&elb, &Value::Null).unwrap();
    assert!(out.messages.is_empty());
    assert!(out.skipped[0].reason.contains("is not a security group change"), "{}", out.skipped[0].reason);
    // The rule name is matched without regard to case.
    let mut upper = synthetic("DisableRule");
    upper["detail"]["requestParameters"]["name"] = json!("SGNotify-Forward");
    assert_eq!(sgnotify::format_event(&upper, &Value::Null).unwrap().messages.len(), 1);
}

#[test]
fn a_rule_call_whose_rule_cannot_be_read_is_announced() {
    let mut e = synthetic("DisableRule");
    e["detail"]["requestParameters"]["name"] = json!({"oops": 1});
    let out = sgnotify::format_event(&e, &Value::Null).unwrap();
    assert_eq!(out.messages.len(), 1);
    let m = &out.messages[0];
    assert!(m.payload.text.contains("sgnotify EventBridge rule disabled: (unreadable name)"), "{}", m.payload.text);
    assert_eq!(m.warnings, ["detail.requestParameters.name: expected a string, found an object"]);
    let mut e = synthetic("StopLogging");
    e["requestParameters"] = json!("name=My-First-Trail");
    let m = &sgnotify::format_event(&e, &Value::Null).unwrap().messages[0];
    assert_eq!(m.severity, Severity::Critical);
    assert_eq!(m.warnings, ["requestParameters: expected an object, found a string"]);
}

#[test]
fn colour_schemes_and_korean() {
    let bar = |file: &str, scheme: &str| {
        sgnotify::format_event(&synthetic(file), &json!({"colorScheme": scheme})).unwrap().messages[0].payload.attachments[0].color
    };
    assert_eq!(bar("StopLogging", "severity"), Severity::Critical.color());
    // "action": what stops, deletes or disconnects monitoring is a removal; a change is not.
    for file in ["StopLogging", "DeleteTrail", "DisableRule", "DeleteRule", "RemoveTargets"] {
        assert_eq!(bar(file, "action"), "#eb4034", "{file}");
    }
    for file in ["PutRule", "PutEventSelectors"] {
        assert_eq!(bar(file, "action"), "#0c3f7d", "{file}");
    }
    let out = sgnotify::format_event(&synthetic("StopLogging"), &json!({"locale": "ko", "timezone": "Asia/Seoul"})).unwrap();
    let t = text(&out.messages[0]);
    assert!(t.contains("CloudTrail 로깅 중지됨: My-First-Trail") && t.contains("*추적*") && t.contains("2019-06-19 09:18:31 KST"), "{t}");
}

#[test]
fn hostile_parameters_give_a_bounded_inert_message() {
    let huge = "<!channel>&`".repeat(100_000);
    let mut e = synthetic("PutRule");
    let rp = &mut e["detail"]["requestParameters"];
    rp["name"] = json!(format!("sgnotify{huge}"));
    rp["eventPattern"] = json!(huge.clone());
    rp["state"] = json!(huge.clone());
    rp["eventBusName"] = json!(huge.clone());
    e["detail"]["responseElements"]["ruleArn"] = json!(huge.clone());
    let mut r = synthetic("RemoveTargets");
    r["detail"]["requestParameters"]["ids"] = json!(vec![huge.clone(); 1000]);
    for event in [e, r] {
        let out = sgnotify::format_event(&event, &Value::Null).unwrap();
        let m = &out.messages[0];
        m.payload.check_limits().unwrap();
        assert!(m.payload.text.chars().count() <= 1000 && m.summary.chars().count() <= 1000);
        let t = text(m);
        assert!(!t.contains("<!channel>"), "user text is escaped");
        assert!(t.len() < 64 * 1024, "{} bytes", t.len());
    }
}

#[test]
fn a_mute_holds_back_a_tamper_alert_only_when_it_names_the_call() {
    // Mallory's role is muted as if it were automation. The mute still holds back its routine
    // security-group changes, not its disabling of the notifier's rule.
    let event = synthetic("DisableRule");
    let run = |mute: Value| sgnotify::format_event(&event, &json!({"policy": {"mute": [mute]}})).unwrap();
    for mute in [
        json!({"principal": "arn:aws:sts::*:assumed-role/Admin/*"}),
        json!({"userAgent": "aws-cli/*"}),
        json!({"account": "123456789012"}),
        json!({"principal": "*", "severity": "critical"}),
    ] {
        let out = run(mute.clone());
        assert_eq!((out.messages.len(), out.skipped.len()), (1, 0), "{mute}: the alert is not muted");
        assert_eq!(out.messages[0].severity, Severity::Critical);
    }
    // An entry that names the call mutes it (with its other fields), and says so.
    let named = json!({"eventName": ["PutRule", "DisableRule"], "principal": "arn:aws:sts::*:assumed-role/Admin/*"});
    let out = run(named);
    assert!(out.messages.is_empty());
    assert!(out.skipped[0].reason.starts_with("policy: mute[0] · sgnotify EventBridge rule disabled: "), "{}", out.skipped[0].reason);
    let other_caller = json!({"eventName": "DisableRule", "principal": "arn:aws:sts::*:assumed-role/Deploy/*"});
    assert_eq!(run(other_caller).messages.len(), 1, "every field of the entry must still match");
    // The same kind of mute on a security-group change by that role does hold it back.
    let change: Value = serde_json::from_str(include_str!("fixtures/events/aws-spotlight__AuthorizeSecurityGroupIngress__1.json")).unwrap();
    let record = change.get("detail").unwrap_or(&change);
    let by_role = record["userIdentity"]["arn"].as_str().unwrap().to_string();
    let out = sgnotify::format_event(&change, &json!({"policy": {"mute": [{"principal": by_role}]}})).unwrap();
    assert!(out.messages.is_empty() && !out.skipped.is_empty(), "a routine change by the muted principal is muted");
}
