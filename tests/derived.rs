//! Derived and synthetic cases, one per event shape the real fixtures do not cover (or cover
//! only once). Every event here is SYNTHETIC: built from the CloudTrail and EC2 API references,
//! in the shapes CloudTrail logs them, with documentation addresses (192.0.2.0/24,
//! 2001:db8::/32) and example account ids.

use serde_json::{json, Value};
use sgnotify::{format_event, Formatted, Message};

fn record(name: &str, request: Value, response: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice",
            "arn": "arn:aws:sts::111122223333:assumed-role/NetAdmin/alice", "accountId": "111122223333"},
        "eventTime": "2024-03-01T12:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-central-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": request,
        "responseElements": response,
        "eventID": "00000000-0000-4000-8000-000000000001",
        "recipientAccountId": "111122223333"
    })
}

fn eventbridge(detail: Value, account: &str) -> Value {
    json!({"version": "0", "id": "e1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
           "account": account, "time": "2024-03-01T12:00:00Z", "region": "eu-central-1", "resources": [],
           "detail": detail})
}

fn fmt(v: &Value) -> Formatted {
    format_event(v, &Value::Null).unwrap_or_else(|e| panic!("{e}"))
}

fn all_text(m: &Message) -> String {
    serde_json::to_string(&m.payload).unwrap()
}

fn perm(proto: Value, from: Value, to: Value, sources: Value) -> Value {
    let mut p = json!({"ipProtocol": proto, "ipRanges": {}, "ipv6Ranges": {}, "prefixListIds": {}, "groups": {}});
    if !from.is_null() {
        p["fromPort"] = from;
    }
    if !to.is_null() {
        p["toPort"] = to;
    }
    for (k, v) in sources.as_object().unwrap() {
        p[k] = json!({"items": v});
    }
    p
}

#[test]
fn every_source_of_every_item_is_its_own_message() {
    let perms = json!({"items": [
        perm(json!("tcp"), json!(443), json!(443), json!({
            "ipRanges": [{"cidrIp": "192.0.2.0/24", "description": "office"}, {"cidrIp": "198.51.100.7/32"}, {"cidrIp": "203.0.113.0/25"}],
            "ipv6Ranges": [{"cidrIpv6": "2001:db8::/32"}, {"cidrIpv6": "2001:db8:1::/48", "description": "v6 office"}]})),
        perm(json!("udp"), json!(1024), json!(2048), json!({
            "prefixListIds": [{"prefixListId": "pl-0123456789abcdef0", "description": "s3"}],
            "groups": [{"groupId": "sg-0aaaabbbbccccdddd", "userId": "444455556666", "description": "peer account"},
                       {"groupName": "legacy-web", "groupId": "sg-0eeeeffff00001111"}]}))
    ]});
    let out = fmt(&record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-0123456789abcdef0", "ipPermissions": perms}), json!({"_return": true})));
    let expect = [
        ("192.0.2.0/24", "office"),
        ("198.51.100.7/32", "443"),
        ("203.0.113.0/25", "443"),
        ("2001:db8::/32", "443"),
        ("2001:db8:1::/48", "v6 office"),
        ("pl-0123456789abcdef0", "prefix list"),
        ("sg-0aaaabbbbccccdddd", "`444455556666`"),
        ("sg-0eeeeffff00001111", "legacy-web"),
    ];
    assert_eq!(out.messages.len(), expect.len());
    for (m, (source, detail)) in out.messages.iter().zip(expect) {
        let t = all_text(m);
        assert!(t.contains(source) && t.contains(detail), "{source} / {detail} in {t}");
    }
    assert!(all_text(&out.messages[5]).contains("1024-2048"));
    assert!(all_text(&out.messages[5]).contains("UDP"));
}

#[test]
fn response_rule_set_attaches_each_rule_id_to_its_own_rule() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "192.0.2.1/32"}, {"cidrIp": "192.0.2.2/32"}]}))]});
    // AWS lists the stored rules in its own order.
    let set = json!({"items": [
        {"groupId": "sg-1", "isEgress": false, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "192.0.2.2/32", "securityGroupRuleId": "sgr-0000000000000000b"},
        {"groupId": "sg-1", "isEgress": false, "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "192.0.2.1/32", "securityGroupRuleId": "sgr-0000000000000000a"}]});
    let out = fmt(&record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true, "securityGroupRuleSet": set})));
    assert_eq!(out.messages[0].rule_ids, ["sgr-0000000000000000a"]);
    assert_eq!(out.messages[1].rule_ids, ["sgr-0000000000000000b"]);
}

#[test]
fn revoke_by_rule_ids_uses_the_revoked_rule_set() {
    let req = json!({"groupId": "sg-1", "securityGroupRuleIds": {"items": [
        {"securityGroupRuleId": "sgr-0aaa"}, {"securityGroupRuleId": "sgr-0bbb"}]}});
    let resp = json!({"_return": true, "revokedSecurityGroupRuleSet": {"items": [
        {"groupId": "sg-1", "securityGroupRuleId": "sgr-0aaa", "isEgress": false, "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "cidrIpv4": "0.0.0.0/0"},
        {"groupId": "sg-1", "securityGroupRuleId": "sgr-0bbb", "isEgress": false, "ipProtocol": "-1", "referencedGroupId": "sg-0peer"}]}});
    let out = fmt(&record("RevokeSecurityGroupIngress", req.clone(), resp));
    assert_eq!(out.messages.len(), 2);
    let first = all_text(&out.messages[0]);
    assert!(first.contains("Inbound rule removed: TCP 3389 (RDP) from 0.0.0.0/0"), "{first}");
    assert!(first.contains("sgr-0aaa"));
    assert!(all_text(&out.messages[1]).contains("All traffic from sg-0peer"));
    // Without the response set the ids are all there is, and the message says so.
    let out = fmt(&record("RevokeSecurityGroupIngress", req, json!({"_return": true})));
    assert_eq!(out.messages.len(), 2);
    assert!(all_text(&out.messages[1]).contains("sgr-0bbb (details not in the event)"));
}

#[test]
fn legacy_request_with_a_source_group_by_name() {
    let req = json!({"groupName": "default", "sourceSecurityGroupName": "web", "sourceSecurityGroupOwnerId": "111122223333", "ipPermissions": {}});
    let out = fmt(&record("RevokeSecurityGroupIngress", req, json!({"_return": true})));
    let t = all_text(&out.messages[0]);
    assert!(t.contains("web") && t.contains("111122223333"), "{t}");
    assert!(t.contains("*Security group*\\ndefault"), "groupName without groupId: {t}");
}

#[test]
fn modify_security_group_rules_object_and_list() {
    let one = json!({"ModifySecurityGroupRulesRequest": {"GroupId": "sg-0mod", "SecurityGroupRule": {"tag": 1,
        "SecurityGroupRuleId": "sgr-0mod1", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "CidrIpv4": "0.0.0.0/0", "Description": "temp <!here>"}}}});
    let out = fmt(&record("ModifySecurityGroupRules", one, json!({"ModifySecurityGroupRulesResponse": {"return": true}})));
    assert_eq!(out.messages.len(), 1);
    let m = &out.messages[0];
    assert_eq!(m.severity, sgnotify::Severity::Critical);
    let t = all_text(m);
    assert!(t.contains("Rule modified: TCP 5432 (PostgreSQL) with 0.0.0.0/0"), "{t}");
    assert!(t.contains("temp &lt;!here&gt;") && !t.contains("<!here>"));
    assert!(t.contains("`sg-0mod`") && t.contains("sgr-0mod1"));

    let list = json!({"ModifySecurityGroupRulesRequest": {"GroupId": "sg-0mod", "SecurityGroupRule": [
        {"SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": {"IpProtocol": "udp", "FromPort": "53", "ToPort": "53", "CidrIpv6": "2001:db8::/32"}},
        {"SecurityGroupRuleId": "sgr-2", "SecurityGroupRule": {"IpProtocol": "-1", "PrefixListId": "pl-0abc"}},
        {"SecurityGroupRuleId": "sgr-3", "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "ReferencedGroupId": "sg-0ref"}}]}});
    let out = fmt(&record("ModifySecurityGroupRules", list, Value::Null));
    let texts: Vec<String> = out.messages.iter().map(all_text).collect();
    assert_eq!(texts.len(), 3);
    assert!(texts[0].contains("UDP 53 with 2001:db8::/32"));
    assert!(texts[1].contains("All traffic with pl-0abc (prefix list)"));
    assert!(texts[2].contains("TCP 443 with sg-0ref"));
}

#[test]
fn protocols_by_name_or_number_and_icmp_types() {
    let cases = [
        (json!("6"), json!(8080), json!(8080), "TCP 8080"),
        (json!("17"), json!(161), json!(161), "UDP 161"),
        (json!("1"), json!(8), json!(-1), "ICMP type 8, code any"),
        (json!("icmp"), json!(-1), json!(-1), "ICMP type any, code any"),
        (json!("58"), json!(128), json!(0), "ICMPv6 type 128, code 0"),
        (json!("-1"), Value::Null, Value::Null, "All traffic"),
        (json!("50"), Value::Null, Value::Null, "IP protocol 50, all ports"),
        (json!("tcp"), json!(0), json!(65535), "TCP All ports (0-65535)"),
    ];
    for (proto, from, to, want) in cases {
        let perms = json!({"items": [perm(proto.clone(), from, to, json!({"ipRanges": [{"cidrIp": "10.0.0.0/8"}]}))]});
        let out = fmt(&record("AuthorizeSecurityGroupEgress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true})));
        let t = all_text(&out.messages[0]);
        assert!(t.contains(&format!("Outbound rule added: {want} to 10.0.0.0/8")), "{proto}: {t}");
    }
}

#[test]
fn failed_calls_are_shown_as_not_applied_with_the_error() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "0.0.0.0/0"}]}))]});
    let mut rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), Value::Null);
    rec["errorCode"] = json!("Client.UnauthorizedOperation");
    rec["errorMessage"] = json!("You are not authorized to perform this operation.");
    let out = fmt(&rec);
    let m = &out.messages[0];
    let t = all_text(m);
    assert!(t.contains("Not applied") && t.contains("Client.UnauthorizedOperation") && t.contains("You are not authorized"), "{t}");
    assert_eq!(m.severity, sgnotify::Severity::Warning, "an attempt at world SSH is at most a warning");
}

#[test]
fn update_descriptions_show_the_new_description() {
    let perms = json!({"items": [perm(json!("tcp"), json!(443), json!(443), json!({"ipRanges": [{"cidrIp": "192.0.2.0/24", "description": "new: partner VPN"}]}))]});
    let out = fmt(&record("UpdateSecurityGroupRuleDescriptionsIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true})));
    let t = all_text(&out.messages[0]);
    assert!(t.contains("Inbound rule description updated") && t.contains("new: partner VPN"), "{t}");
    assert_eq!(out.messages[0].severity, sgnotify::Severity::Info);
    let by_id = json!({"groupId": "sg-1", "securityGroupRuleDescriptions": {"items": [{"securityGroupRuleId": "sgr-9", "description": "db"}]}});
    let out = fmt(&record("UpdateSecurityGroupRuleDescriptionsEgress", by_id, json!({"_return": true})));
    let t = all_text(&out.messages[0]);
    assert!(t.contains("sgr-9") && t.contains("db"), "{t}");
}

#[test]
fn revoke_of_a_rule_that_did_not_exist_says_nothing_was_removed() {
    let p = perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "192.0.2.9/32"}]}));
    let out = fmt(&record("RevokeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": {"items": [p.clone()]}}),
        json!({"_return": true, "unknownIpPermissionSet": {"items": [p]}})));
    assert!(all_text(&out.messages[0]).contains("nothing was removed"));
}

#[test]
fn owner_is_the_eventbridge_account_not_the_callers() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "10.1.0.0/16"}]}))]});
    let mut rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true}));
    rec["recipientAccountId"] = json!("777788889999");
    let ev = eventbridge(rec, "777788889999");
    let options = json!({"accounts": {"777788889999": "payments-prod", "111122223333": "shared-services"}});
    let out = format_event(&ev, &options).unwrap();
    let t = all_text(&out.messages[0]);
    assert!(t.contains("*Account*\\npayments-prod (`777788889999`)"), "{t}");
    assert!(t.contains("from account shared-services `111122223333`"), "{t}");
    assert!(out.messages[0].payload.text.contains("payments-prod"));
}

#[test]
fn korean_unknown_account_reads_as_the_original_tool_wrote() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "10.1.0.0/16"}]}))]});
    let rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true}));
    let out = format_event(&rec, &json!({"locale": "ko"})).unwrap();
    assert!(all_text(&out.messages[0]).contains("계정정보없음 (`111122223333`)"));
}

#[test]
fn lambda_envelopes_sns_sqs_and_log_files() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "10.1.0.0/16"}, {"cidrIp": "10.2.0.0/16"}]}))]});
    let rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true}));
    let eb = eventbridge(rec.clone(), "111122223333").to_string();
    let sns = json!({"Records": [
        {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": eb}},
        {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": eb}}]});
    let out = fmt(&sns);
    assert_eq!(out.messages.iter().map(|m| m.index).collect::<Vec<_>>(), [0, 0, 1, 1], "all records, all rules");

    let notification = json!({"Type": "Notification", "MessageId": "m", "Message": eb}).to_string();
    let sqs = json!({"Records": [
        {"messageId": "a", "eventSource": "aws:sqs", "body": eb},
        {"messageId": "b", "eventSource": "aws:sqs", "body": notification}]});
    let out = fmt(&sqs);
    assert_eq!(out.messages.len(), 4);
    assert!(out.errors.is_empty() && out.skipped.is_empty());

    let log_file = json!({"Records": [rec.clone(), rec]});
    assert_eq!(fmt(&log_file).messages.len(), 4);
}

#[test]
fn other_events_are_skipped_with_a_reason() {
    let mut run = record("RunInstances", json!({}), json!({}));
    run["eventName"] = json!("RunInstances");
    let not_cloudtrail = json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "account": "1",
        "detail": {"instance-id": "i-1", "state": "running"}});
    let s3 = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]});
    let out = fmt(&eventbridge(run, "1"));
    assert_eq!(out.messages.len(), 0);
    assert_eq!(out.skipped[0].reason, "ec2.amazonaws.com RunInstances is not a security group change");
    assert_eq!(out.skipped[0].event_name.as_deref(), Some("RunInstances"));
    assert!(fmt(&not_cloudtrail).skipped[0].reason.contains("EC2 Instance State-change Notification"));
    assert!(fmt(&s3).skipped[0].reason.starts_with("aws:s3 ObjectCreated:Put"));
}

#[test]
fn a_bad_record_in_a_batch_goes_to_errors_and_the_rest_format() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [{"cidrIp": "10.1.0.0/16"}]}))]});
    let good = eventbridge(record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({})), "1").to_string();
    let bad = eventbridge(record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": "ssh"}]}}), json!({})), "1").to_string();
    let sns = json!({"Records": [
        {"Sns": {"Message": good}}, {"Sns": {"Message": "{not json"}}, {"Sns": {"Message": bad}}, {"Sns": {"Message": good}}]});
    let out = fmt(&sns);
    assert_eq!(out.messages.iter().map(|m| m.index).collect::<Vec<_>>(), [0, 3]);
    assert_eq!(out.errors.len(), 2);
    assert_eq!(out.errors[0].index, 1);
    assert!(out.errors[0].message.starts_with("Records[1].Sns.Message: invalid JSON: key must be a string"), "{}", out.errors[0].message);
    assert_eq!(out.errors[1].message, "Records[2].Sns.Message.detail.requestParameters.ipPermissions.items[0].fromPort: expected an integer, found a string");
}

#[test]
fn a_single_unusable_event_is_an_error_that_says_where() {
    let e = |v: Value| format_event(&v, &Value::Null).unwrap_err().to_string();
    let rec = |req: Value| eventbridge(record("AuthorizeSecurityGroupIngress", req, json!({})), "1");
    assert_eq!(e(rec(json!({"ipPermissions": "tcp:22"}))), "detail.requestParameters.ipPermissions: expected an object with items, found a string");
    assert_eq!(e(rec(json!({"ipPermissions": {"items": [7]}}))), "detail.requestParameters.ipPermissions.items[0]: expected an object, found a number");
    assert_eq!(
        e(rec(json!({"ipPermissions": {"items": [{"ipProtocol": "tcp", "ipRanges": {"items": [{"cidrIp": ["x"]}]}}]}}))),
        "detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].cidrIp: expected a string, found a list"
    );
    assert_eq!(e(json!({"hello": "world"})).split(':').next(), Some("input"));
    assert_eq!(e(json!("text")), "input: expected an EventBridge event (detail-type, detail), a Lambda SNS or SQS event (Records), an SNS notification, a CloudTrail record (eventName), a CloudTrail log file (Records) or `aws cloudtrail lookup-events` output (Events), found a string");
    assert_eq!(e(json!({"Records": 5})), "Records: expected a list, found a number");
}

#[test]
fn user_text_cannot_ping_forge_links_or_add_lines() {
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": [
        {"cidrIp": "10.0.0.0/8", "description": "<!channel> <@U024BE7LH> & <https://evil.example|Click>\n*Severity*: info"}]}))]});
    let mut rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "groupName": "<!here>", "ipPermissions": perms}), json!({}));
    rec["userIdentity"]["arn"] = json!("arn:aws:sts::1:assumed-role/R/<!everyone>");
    let out = fmt(&rec);
    let m = &out.messages[0];
    let t = all_text(m);
    for raw in ["<!channel>", "<@U024BE7LH>", "<https://evil.example", "<!here>", "<!everyone>", "\\n*Severity*"] {
        assert!(!t.contains(raw), "{raw} survived: {t}");
    }
    assert!(t.contains("&lt;!channel&gt; &lt;@U024BE7LH&gt; &amp; &lt;https://evil.example|Click&gt; *Severity*: info"));
}

#[test]
fn more_rules_than_allowed_are_grouped_and_none_dropped() {
    let ranges: Vec<Value> = (0..25).map(|i| json!({"cidrIp": format!("10.0.{i}.0/24")})).collect();
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": ranges}))]});
    let rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({}));
    let out = fmt(&rec);
    assert_eq!(out.messages.len(), 1, "25 rules fit one grouped message");
    let t = all_text(&out.messages[0]);
    assert!(t.contains("25 Inbound rules added"), "{t}");
    for i in 0..25 {
        assert!(t.contains(&format!("10.0.{i}.0/24")));
    }
    // Many more: several messages, each within Slack's limits, every rule in exactly one.
    let ranges: Vec<Value> = (0..2000).map(|i| json!({"cidrIp": format!("10.{}.{}.0/24", i / 256, i % 256), "description": "x".repeat(40)})).collect();
    let perms = json!({"items": [perm(json!("tcp"), json!(22), json!(22), json!({"ipRanges": ranges}))]});
    let out = fmt(&record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({})));
    assert!(out.messages.len() > 1 && out.messages.len() < 60, "{}", out.messages.len());
    let joined: String = out.messages.iter().map(all_text).collect();
    for i in 0..2000 {
        assert_eq!(joined.matches(&format!("`10.{}.{}.0/24`", i / 256, i % 256)).count(), 1);
    }
    for m in &out.messages {
        m.payload.check_limits().unwrap();
    }
    // With a higher limit each rule has its own message again.
    let out = format_event(&rec, &json!({"maxMessagesPerEvent": 25})).unwrap();
    assert_eq!(out.messages.len(), 25);
}

#[test]
fn root_is_at_least_a_warning_and_overrides_reach_the_payload() {
    let perms = json!({"items": [perm(json!("tcp"), json!(443), json!(443), json!({"ipRanges": [{"cidrIp": "10.0.0.0/8"}]}))]});
    let mut rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({}));
    rec["userIdentity"] = json!({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"});
    let out = format_event(&rec, &json!({"channel": "#sec", "username": "sgnotify", "iconEmoji": ":shield:"})).unwrap();
    let m = &out.messages[0];
    assert_eq!(m.severity, sgnotify::Severity::Warning);
    let p = serde_json::to_value(&m.payload).unwrap();
    assert_eq!((p["channel"].as_str(), p["username"].as_str(), p["icon_emoji"].as_str()), (Some("#sec"), Some("sgnotify"), Some(":shield:")));
    assert!(all_text(m).contains("root (Root)"));
}

#[test]
fn delete_by_name_shows_the_id_the_response_names() {
    let out = fmt(&record("DeleteSecurityGroup", json!({"groupName": "old-web"}), json!({"_return": true, "groupId": "sg-0dead"})));
    let t = all_text(&out.messages[0]);
    assert!(t.contains("Security group deleted: sg-0dead (old-web)"), "{t}");
    assert_eq!(out.messages.len(), 1);
}

#[test]
fn cloudtrail_lookup_events_output_is_a_batch() {
    let perms = json!({"items": [perm(json!("tcp"), json!(3389), json!(3389), json!({"ipRanges": [{"cidrIp": "0.0.0.0/0"}]}))]});
    let rec = record("AuthorizeSecurityGroupIngress", json!({"groupId": "sg-1", "ipPermissions": perms}), json!({"_return": true}));
    let item = |r: &Value| json!({"EventId": r["eventID"], "EventName": r["eventName"], "ReadOnly": "false",
        "EventSource": "ec2.amazonaws.com", "Resources": [], "CloudTrailEvent": r.to_string()});
    let out = fmt(&json!({"Events": [item(&rec), {"EventId": "x", "CloudTrailEvent": "{oops"}, item(&rec)], "NextToken": "t"}));
    assert_eq!(out.messages.iter().map(|m| m.index).collect::<Vec<_>>(), [0, 2]);
    assert!(all_text(&out.messages[0]).contains("TCP 3389 (RDP) from 0.0.0.0/0"));
    assert!(out.errors[0].message.starts_with("Events[1].CloudTrailEvent: invalid JSON"), "{}", out.errors[0].message);
    // One event of that output on its own.
    assert_eq!(fmt(&item(&rec)).messages.len(), 1);
}
