//! The `accounts` and `policy` options on real fixtures (tests/fixtures/events): names and OU
//! paths shown, and every policy rule: mute, minSeverity, routes and mentions, trusted CIDRs,
//! sensitive ports, and the errors a bad policy gives.

use serde_json::{json, Value};
use sgnotify::Severity;
use sgnotify::{format_event, Formatted};

mod real;
use real::fixture;

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

fn error(name: &str, options: Value) -> String {
    format_event(&fixture(name), &options).map(|_| ()).unwrap_err().to_string()
}

fn reasons(out: &Formatted) -> Vec<&str> {
    out.skipped.iter().map(|s| s.reason.as_str()).collect()
}

// aws-spotlight ingress: MySQL (3306) from 0.0.0.0/0 and ::/0 in account 999999999999, by a
// switched-in console user.
const MYSQL: &str = "aws-spotlight__AuthorizeSecurityGroupIngress__1";
// aws-spotlight create: Terraform on an EC2 instance role in 999999999999.
const TERRAFORM: &str = "aws-spotlight__CreateSecurityGroup__1";
// panther egress: all traffic to 0.0.0.0/0 by the ContinousDeployment role (warning).
const CD_EGRESS: &str = "panther__AuthorizeSecurityGroupEgress__1";
// streamalert 2: all traffic from 10.0.0.0/8 (warning: all-traffic rule).
const ALL_FROM_10: &str = "streamalert__AuthorizeSecurityGroupIngress__2";
// sg-change-alerting: HTTP (80) from anywhere, by root.
const ROOT_HTTP: &str = "sg-change-alerting__AuthorizeSecurityGroupIngress__1";

fn org() -> Value {
    json!({
        "999999999999": {"name": "sandbox-1", "ou": "Root/Sandbox", "tags": {"team": "platform"}},
        "123456789012": {"name": "prod-web", "ou": "Root/Prod/Web", "tags": {"env": "prod", "team": "web"}},
        "112233445566": {"name": "prod-ci", "ou": "Root/Production", "tags": {"env": "prod"}}
    })
}

#[test]
fn without_a_policy_every_message_goes_to_default() {
    let out = run(MYSQL, json!({"accounts": org()}));
    assert_eq!(out.messages.len(), 2);
    assert!(out.messages.iter().all(|m| m.destination == "default" && m.mention.is_none()));
    assert!(out.skipped.is_empty());
}

#[test]
fn mute_by_principal_glob_over_the_arn() {
    let policy = json!({"mute": [
        {"principal": "arn:aws:sts::*:assumed-role/Nobody/*"},
        {"principal": "arn:aws:sts::*:assumed-role/ContinousDeployment/*"}
    ]});
    let out = run(CD_EGRESS, json!({"policy": policy}));
    assert!(out.messages.is_empty());
    assert_eq!(reasons(&out).len(), 1);
    assert!(reasons(&out)[0].starts_with("policy: mute[1] · "), "{:?}", reasons(&out));
    assert!(out.skipped[0].event_id.is_some() && out.skipped[0].event_name.as_deref() == Some("AuthorizeSecurityGroupEgress"));
    // The same glob leaves another role's change alone.
    let other = run(MYSQL, json!({"policy": policy}));
    assert_eq!((other.messages.len(), other.skipped.len()), (2, 0));
}

#[test]
fn mute_by_user_agent_glob() {
    let policy = json!({"mute": [{"userAgent": "*Terraform/*"}]});
    let out = run(TERRAFORM, json!({"policy": policy}));
    assert_eq!((out.messages.len(), reasons(&out)[0].starts_with("policy: mute[0] · ")), (0, true));
    assert_eq!(run(MYSQL, json!({"policy": policy})).messages.len(), 2, "console changes are not muted");
}

#[test]
fn every_field_of_a_mute_entry_must_match() {
    // Terraform in the sandbox is muted; Terraform elsewhere and people in the sandbox are not.
    let entry = json!({"userAgent": "*Terraform*", "ou": "Root/Sandbox", "eventName": ["CreateSecurityGroup", "DeleteSecurityGroup"]});
    let options = |accounts: Value| json!({"accounts": accounts, "policy": {"mute": [entry.clone()]}});
    assert_eq!(run(TERRAFORM, options(org())).messages.len(), 0);
    let elsewhere = json!({"999999999999": {"name": "x", "ou": "Root/Prod"}});
    assert_eq!(run(TERRAFORM, options(elsewhere)).messages.len(), 1, "ou differs");
    assert_eq!(run(TERRAFORM, options(json!({}))).messages.len(), 1, "no ou known: an ou entry cannot match");
    assert_eq!(run(MYSQL, options(org())).messages.len(), 2, "user agent and event name differ");
    // account (one or many) and tag.
    for (m, muted) in [
        (json!({"account": "999999999999"}), true),
        (json!({"account": ["1", "999999999999"]}), true),
        (json!({"account": "111122223333"}), false),
        (json!({"tag": {"team": "platform"}}), true),
        (json!({"tag": {"team": "platform", "env": "prod"}}), false),
        (json!({"tag": {"team": "web"}}), false),
        (json!({"account": "999999999999", "eventName": "RevokeSecurityGroupIngress"}), false),
    ] {
        let out = run(MYSQL, json!({"accounts": org(), "policy": {"mute": [m.clone()]}}));
        assert_eq!(out.messages.is_empty(), muted, "{m}");
        assert_eq!(out.skipped.len(), if muted { 2 } else { 0 }, "{m}: one skip per message");
    }
}

#[test]
fn a_mute_entry_may_name_severities() {
    // The sandbox muted below warning: its info change is held back, its critical ones are not.
    let policy = json!({"mute": [{"ou": "Root/Sandbox", "severity": "info"}]});
    let created = run(TERRAFORM, json!({"accounts": org(), "policy": policy}));
    assert!(created.messages.is_empty() && reasons(&created)[0].starts_with("policy: mute[0] · "));
    assert_eq!(run(MYSQL, json!({"accounts": org(), "policy": policy})).messages.len(), 2);
    let both = json!({"mute": [{"ou": "Root/Sandbox", "severity": ["info", "critical"]}]});
    assert!(run(MYSQL, json!({"accounts": org(), "policy": both})).messages.is_empty());
}

#[test]
fn ou_matches_whole_path_segments() {
    // 112233445566 sits in Root/Production: a Root/Prod entry must not catch it.
    let mute = |ou: &str| run(CD_EGRESS, json!({"accounts": org(), "policy": {"mute": [{"ou": ou}]}})).messages.is_empty();
    assert!(!mute("Root/Prod"));
    assert!(mute("Root/Production") && mute("Root") && mute("/Root/Production/"));
    // And Root/Prod catches Root/Prod/Web below it.
    let web = run(EB, json!({"accounts": org(), "policy": {"mute": [{"ou": "Root/Prod"}]}}));
    assert!(web.messages.is_empty());
}

#[test]
fn below_min_severity_is_skipped_with_its_reason() {
    // MySQL open to the world: critical; CD egress: warning; Terraform create: info.
    let policy = json!({"minSeverity": "warning"});
    assert_eq!(run(MYSQL, json!({"policy": policy})).messages.len(), 2);
    assert_eq!(run(CD_EGRESS, json!({"policy": policy})).messages.len(), 1);
    let out = run(TERRAFORM, json!({"policy": policy}));
    assert!(out.messages.is_empty());
    assert!(reasons(&out)[0].starts_with("policy: minSeverity warning (this change is info) · Security group created"), "{:?}", reasons(&out));
    let crit = run(CD_EGRESS, json!({"policy": {"minSeverity": "critical"}}));
    assert!(crit.messages.is_empty() && reasons(&crit)[0].starts_with("policy: minSeverity critical (this change is warning)"));
}

#[test]
fn mute_comes_before_min_severity() {
    let out = run(TERRAFORM, json!({"policy": {"minSeverity": "critical", "mute": [{"userAgent": "*Terraform*"}]}}));
    assert!(reasons(&out)[0].starts_with("policy: mute[0]"));
}

fn sec_alerts() -> Value {
    json!({"routes": [
        {"destination": "sec-alerts", "mention": "<!here>", "match": {"ou": "Root/Prod", "severity": "critical"}},
        {"destination": "prod", "match": {"tag": {"env": "prod"}}},
        {"destination": "platform", "mention": "<!subteam^S0123ABC> <@U024BE7LH>", "match": {"account": ["999999999999"], "eventName": "AuthorizeSecurityGroupIngress", "severity": ["critical", "warning"]}}
    ]})
}

#[test]
fn the_first_matching_route_wins_and_its_mention_leads_the_text() {
    let unrouted = run(EB, json!({"accounts": org()}));
    let out = run(EB, json!({"accounts": org(), "policy": sec_alerts()}));
    let m = &out.messages[0];
    assert_eq!((m.destination.as_str(), m.mention.as_deref()), ("sec-alerts", Some("<!here>")));
    assert_eq!(m.payload.text, format!("<!here> {}", unrouted.messages[0].payload.text));
    // The blocks are untouched: the mention is only in the top-level text.
    assert_eq!(m.payload.attachments, unrouted.messages[0].payload.attachments);

    // A prod account's warning is not critical: the second route (by tag) takes it, no mention.
    let ci = run(CD_EGRESS, json!({"accounts": org(), "policy": sec_alerts()}));
    assert_eq!((ci.messages[0].destination.as_str(), ci.messages[0].mention.as_deref()), ("prod", None));
    assert_eq!(ci.messages[0].payload.text, run(CD_EGRESS, json!({"accounts": org()})).messages[0].payload.text);

    // Account, event name and a list of severities together.
    let sandbox = run(MYSQL, json!({"accounts": org(), "policy": sec_alerts()}));
    for m in &sandbox.messages {
        assert_eq!(m.destination, "platform");
        assert!(m.payload.text.starts_with("<!subteam^S0123ABC> <@U024BE7LH> 🚨 [CRITICAL]"), "{}", m.payload.text);
    }
    // No route matches: default.
    let created = run(TERRAFORM, json!({"accounts": org(), "policy": sec_alerts()}));
    assert_eq!((created.messages[0].destination.as_str(), created.messages[0].mention.as_deref()), ("default", None));
}

#[test]
fn a_route_by_severity_sees_each_message_on_its_own() {
    // streamalert 1: all traffic from 0.0.0.0/0 and ::/0 (critical); aws-spotlight egress: two
    // all-traffic egress rules (warning). Routes choose per message.
    let policy = json!({"routes": [{"destination": "urgent", "match": {"severity": "critical"}}]});
    let out = run("streamalert__AuthorizeSecurityGroupIngress__1", json!({"policy": policy}));
    assert!(out.messages.iter().all(|m| m.destination == "urgent"));
    let out = run("aws-spotlight__AuthorizeSecurityGroupEgress__1", json!({"policy": policy}));
    assert!(out.messages.iter().all(|m| m.destination == "default"));
}

#[test]
fn a_trusted_cidr_never_raises_severity() {
    assert_eq!(run(ALL_FROM_10, json!({})).messages[0].severity, Severity::Warning);
    let trusted = run(ALL_FROM_10, json!({"policy": {"trustedCidrs": ["192.168.0.0/16", "10.0.0.0/8"]}}));
    assert_eq!(trusted.messages[0].severity, Severity::Info);
    // A narrower trusted range does not cover the wider source.
    assert_eq!(run(ALL_FROM_10, json!({"policy": {"trustedCidrs": ["10.1.0.0/16"]}})).messages[0].severity, Severity::Warning);
    // IPv6: streamalert 1 opens all traffic to 0.0.0.0/0 and ::/0; trusting a v6 range that is
    // not ::/0 changes nothing, and ::/0 itself cannot be trusted.
    let both = run("streamalert__AuthorizeSecurityGroupIngress__1", json!({"policy": {"trustedCidrs": ["2001:db8::/32"]}}));
    assert!(both.messages.iter().all(|m| m.severity == Severity::Critical));
    assert!(error(ALL_FROM_10, json!({"policy": {"trustedCidrs": ["::/0"]}}))
        .starts_with("options.policy.trustedCidrs[0]: trusting the whole internet"));
    // Root still raises: trust is about the source, not the caller.
    assert_eq!(run(ROOT_HTTP, json!({"policy": {"trustedCidrs": ["10.0.0.0/8"]}})).messages[0].severity, Severity::Warning);
}

#[test]
fn sensitive_ports_can_be_added_and_removed() {
    // MySQL 3306 from anywhere is critical by default; removed from the set it is a warning.
    assert!(run(MYSQL, json!({})).messages.iter().all(|m| m.severity == Severity::Critical));
    let removed = run(MYSQL, json!({"policy": {"sensitivePorts": {"remove": [3306]}}}));
    assert!(removed.messages.iter().all(|m| m.severity == Severity::Warning));
    // HTTP 80 from anywhere is a warning; added to the set, critical.
    assert_eq!(run(ROOT_HTTP, json!({})).messages[0].severity, Severity::Warning);
    let added = run(ROOT_HTTP, json!({"policy": {"sensitivePorts": {"add": [{"port": 80, "name": "HTTP"}]}}}));
    assert_eq!(added.messages[0].severity, Severity::Critical);
    // The message names sensitive ports as the policy sees them.
    assert!(added.messages[0].summary.starts_with("Inbound rule added: TCP 80 (HTTP) from 0.0.0.0/0"), "{}", added.messages[0].summary);
    assert!(removed.messages[0].summary.starts_with("Inbound rule added: TCP 3306 from 0.0.0.0/0"), "{}", removed.messages[0].summary);
}

#[test]
fn a_bad_policy_names_the_key_path() {
    for (policy, want) in [
        (json!([]), "options.policy: expected an object, found a list"),
        (json!({"minSeverity": "high"}), "options.policy.minSeverity: unknown severity \"high\""),
        (json!({"mutes": []}), "options.policy.mutes: unknown key (known: minSeverity, mute, routes, trustedCidrs, sensitivePorts)"),
        (json!({"mute": {}}), "options.policy.mute: expected a list, found an object"),
        (json!({"mute": [{}]}), "options.policy.mute[0]: an empty entry would mute everything"),
        (json!({"mute": [{"role": "x"}]}), "options.policy.mute[0].role: unknown key"),
        (json!({"mute": [{"account": []}]}), "options.policy.mute[0].account: expected at least one value"),
        (json!({"mute": [{"eventName": ["A", 1]}]}), "options.policy.mute[0].eventName[1]: expected a string, found a number"),
        (json!({"mute": [{"ou": "Root", "severity": []}]}), "options.policy.mute[0].severity: expected at least one value"),
        (json!({"mute": [{"tag": {"env": true}}]}), "options.policy.mute[0].tag[\"env\"]: expected a string, found a boolean"),
        (json!({"routes": [{"match": {}}]}), "options.policy.routes[0].destination: required"),
        (json!({"routes": [{"destination": null, "match": {}}]}), "options.policy.routes[0].destination: expected a string, found null"),
        (json!({"routes": [{"destination": " ", "match": {}}]}), "options.policy.routes[0].destination: expected a non-empty string"),
        (json!({"routes": [{"destination": "a"}]}), "options.policy.routes[0].match: required"),
        (json!({"routes": [{"destination": "a", "match": []}]}), "options.policy.routes[0].match: expected an object, found a list"),
        (json!({"routes": [{"destination": "a", "match": {}}, {"destination": "b", "match": {"severity": "loud"}}]}),
            "options.policy.routes[1].match.severity: unknown severity \"loud\" (use \"info\", \"warning\" or \"critical\")"),
        (json!({"routes": [{"destination": "a", "match": {"severity": "urgent"}}]}), "options.policy.routes[0].match.severity: unknown severity \"urgent\""),
        (json!({"routes": [{"destination": "a", "match": {"severity": ["info", 2]}}]}), "options.policy.routes[0].match.severity[1]: expected a severity (string), found a number"),
        (json!({"routes": [{"destination": "a", "match": {"principal": "x"}}]}), "options.policy.routes[0].match.principal: unknown key"),
        (json!({"routes": [{"destination": "a", "mention": "@here", "match": {}}]}), "options.policy.routes[0].mention: \"@here\" is not a mention"),
        (json!({"routes": [{"destination": "a", "mention": "<!here> <http://x|y>", "match": {}}]}), "options.policy.routes[0].mention: \"<http://x|y>\" is not a mention"),
        (json!({"routes": [{"destination": "a", "mention": "<@U1|x>", "match": {}}]}), "options.policy.routes[0].mention: \"<@U1|x>\" is not a mention"),
        (json!({"trustedCidrs": ["10.0.0.0/33"]}), "options.policy.trustedCidrs[0]: \"10.0.0.0/33\" is not an IPv4 or IPv6 CIDR"),
        (json!({"sensitivePorts": {"add": [{"port": 70000, "name": "x"}]}}), "options.policy.sensitivePorts.add[0].port: expected a port number from 1 to 65535, found 70000"),
        (json!({"sensitivePorts": {"add": [{"port": 80}]}}), "options.policy.sensitivePorts.add[0].name: required"),
        (json!({"sensitivePorts": {"remove": [8080]}}), "options.policy.sensitivePorts.remove[0]: port 8080 is not a default sensitive port"),
        (json!({"sensitivePorts": {"drop": []}}), "options.policy.sensitivePorts.drop: unknown key (known: add, remove)"),
        (json!({"sensitivePorts": {"remove": [22.5]}}), "options.policy.sensitivePorts.remove[0]: expected a port number from 1 to 65535, found 22.5"),
        (json!({"sensitivePorts": {"add": [[80, "HTTP"]]}}), "options.policy.sensitivePorts.add[0]: expected an object, found a list"),
        (json!({"trustedCidrs": "10.0.0.0/8"}), "options.policy.trustedCidrs: expected a list, found a string"),
    ] {
        let got = error(MYSQL, json!({"policy": policy}));
        assert!(got.starts_with(want), "{policy}\n got: {got}\nwant: {want}");
    }
}

/// The worked example in src/README.md, read from the README itself so the two cannot drift.
#[test]
fn the_readme_worked_example_does_what_it_says() {
    let readme = std::fs::read_to_string(format!("{}/src/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let example = readme.split("**Worked example**").nth(1).expect("the worked example");
    let json_block = example.split("```json").nth(1).and_then(|b| b.split("```").next()).expect("its JSON");
    let policy: Value = serde_json::from_str(json_block).unwrap();
    let accounts = json!({
        "123456789012": {"name": "web-prod", "ou": "Root/Prod/Web"},
        "999999999999": {"name": "sandbox-1", "ou": "Root/Sandbox/Team-A"}
    });
    let options = json!({"accounts": accounts, "policy": policy});
    // Prod critical: #sec-alerts with @here.
    let prod = run(EB, options.clone());
    assert_eq!((prod.messages[0].destination.as_str(), prod.messages[0].mention.as_deref()), ("sec-alerts", Some("<!here>")));
    // Sandbox below warning: muted by the second entry; its critical changes still go out.
    let created = run(TERRAFORM, options.clone());
    assert!(created.messages.is_empty() && reasons(&created)[0].starts_with("policy: mute[1] · Security group created"));
    let open = run(MYSQL, options.clone());
    assert!(open.messages.iter().all(|m| m.destination == "default" && m.severity == Severity::Critical));
    // The CI role's glob, on the ARN of a real assumed-role caller renamed to ci-deploy.
    let mut ci = fixture(CD_EGRESS);
    ci["userIdentity"]["arn"] = json!("arn:aws:sts::112233445566:assumed-role/ci-deploy/run-42");
    let muted = format_event(&ci, &options).unwrap();
    assert!(muted.messages.is_empty() && reasons(&muted)[0].starts_with("policy: mute[0] · "));
}

/// An unknown key at any level is an error whose path names it in full, with the keys that level
/// knows: a misspelt key is never silently ignored.
#[test]
fn an_unknown_key_at_any_level_names_its_full_path() {
    for (options, want) in [
        (json!({"timeZone": "UTC"}), "options.timeZone: unknown option (known: accounts, policy, timezone, locale, channel, username, iconEmoji, maxMessagesPerEvent, colorScheme)"),
        (json!({"policy": {"minseverity": "info"}}), "options.policy.minseverity: unknown key (known: minSeverity, mute, routes, trustedCidrs, sensitivePorts)"),
        (json!({"policy": {"mute": [{"ou": "Root"}, {"principal": "x", "user_agent": "y"}]}}),
            "options.policy.mute[1].user_agent: unknown key (known: principal, userAgent, account, ou, eventName, tag, severity)"),
        (json!({"policy": {"routes": [{"destination": "a", "match": {}}, {"destination": "b", "channel": "#x", "match": {}}]}}),
            "options.policy.routes[1].channel: unknown key (known: destination, mention, match)"),
        (json!({"policy": {"routes": [{"destination": "a", "match": {"account": "1", "principal": "x"}}]}}),
            "options.policy.routes[0].match.principal: unknown key (known: account, ou, tag, severity, eventName)"),
        (json!({"policy": {"sensitivePorts": {"add": [{"port": 80, "name": "HTTP", "proto": "tcp"}]}}}),
            "options.policy.sensitivePorts.add[0].proto: unknown key (known: port, name)"),
        (json!({"accounts": {"111122223333": {"name": "prod", "OU": "Root"}}}), "options.accounts[\"111122223333\"].OU: unknown key (known: name, ou, tags)"),
    ] {
        assert_eq!(error(MYSQL, options.clone()), want, "{options}");
    }
}

/// The error examples in src/README.md ("Reading options"), each produced by a real bad option
/// (or burst) on a real fixture, so the README cannot drift from what the core says.
#[test]
fn the_readme_error_examples_are_what_the_core_says() {
    let readme = std::fs::read_to_string(format!("{}/src/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let section = readme.split("## Reading options: what is rejected and how errors read").nth(1).expect("the section");
    let block = section.split("```\n").nth(1).expect("the examples");
    let documented: Vec<&str> = block.lines().collect();
    let route = |m: Value| json!({"destination": "a", "match": m});
    let produced: Vec<String> = [
        json!({"timeZone": "UTC"}),
        json!({"policy": {"routes": [route(json!({})), route(json!({"severity": "loud"}))]}}),
        json!({"policy": {"routes": [route(json!({"principal": "x"}))]}}),
        json!({"policy": {"routes": [{"match": {}}]}}),
        json!({"policy": {"mute": [{"eventName": ["A", 1]}]}}),
        json!({"policy": {"sensitivePorts": {"add": [{"port": 70000, "name": "x"}]}}}),
        json!({"accounts": {"111122223333": {"name": "a", "tags": {"env": 1}}}}),
        json!({"maxMessagesPerEvent": 0}),
        json!([]),
    ]
    .into_iter()
    .map(|o| error(MYSQL, o))
    .chain([sgnotify::thread_summary(&json!({"principal": "a", "changes": -1}), &Value::Null).unwrap_err().to_string()])
    .collect();
    assert_eq!(documented, produced);
}
