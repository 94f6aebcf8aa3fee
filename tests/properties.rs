//! Property tests: random security-group events (synthetic, generated here) always format
//! without panic, within Slack's limits, with every rule present and all user text inert.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use sgnotify::slack::{Block, Payload};

/// User text at its worst: mentions, forged links, entities, control and bidi characters,
/// backticks, mrkdwn markers, and any unicode at all.
fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("<!channel>".to_string()),
        Just("<!here|here>".to_string()),
        Just("<@U012AB3CD>".to_string()),
        Just("<https://x|y>".to_string()),
        Just("<https://evil.example/cloudtrailv2|Open in CloudTrail>".to_string()),
        Just("&".to_string()),
        Just("&amp;".to_string()),
        Just("&lt;".to_string()),
        Just(">".to_string()),
        Just("`".to_string()),
        Just("*_~".to_string()),
        Just("\n\r\t\u{0}\u{1b}[31m".to_string()),
        Just("\u{202E}\u{2066}\u{200F}".to_string()),
        Just("한국어 ✓ 🚀 e\u{301}".to_string()),
        "[ -~]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ];
    prop::collection::vec(pieces, 0..6).prop_map(move |v| v.concat().chars().take(max).collect())
}

/// A description, sometimes far past anything AWS allows.
fn description() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        3 => hostile_text(60).prop_map(Some),
        1 => (hostile_text(20), 1000usize..6000).prop_map(|(s, n)| Some(format!("{s}{}", "<!channel>&".repeat(n / 11)))),
    ]
}

fn protocol() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("tcp")),
        Just(json!("udp")),
        Just(json!("icmp")),
        Just(json!("icmpv6")),
        Just(json!("-1")),
        Just(json!("6")),
        Just(json!("17")),
        Just(json!("1")),
        Just(json!("58")),
        Just(json!("50")),
        Just(json!(-1)),
        Just(json!(6)),
        Just(json!("TCP")),
        hostile_text(20).prop_map(Value::from),
    ]
}

fn port() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!(-1))),
        Just(Some(json!("-1"))),
        Just(Some(json!(22))),
        Just(Some(json!("3389"))),
        Just(Some(json!(" 443 "))),
        Just(Some(json!(22.0))),
        (0i64..65536).prop_map(|p| Some(json!(p))),
        (0i64..65536).prop_map(|p| Some(json!(p.to_string()))),
        (-1000i64..1000).prop_map(|p| Some(json!(p))),
    ]
}

#[derive(Debug, Clone)]
enum Source {
    V4(String),
    V6(String),
    PrefixList(String),
    Group { id: Option<String>, name: Option<String>, user: Option<String> },
}

fn cidr_like() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0.0.0.0/0".to_string()),
        Just("::/0".to_string()),
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}/[0-9]{1,2}",
        "[0-9a-f:]{2,20}/[0-9]{1,3}",
        hostile_text(40),
    ]
}

fn source() -> impl Strategy<Value = (Source, Option<String>)> {
    let s = prop_oneof![
        cidr_like().prop_map(Source::V4),
        cidr_like().prop_map(Source::V6),
        prop_oneof!["pl-[0-9a-f]{8}", hostile_text(30)].prop_map(Source::PrefixList),
        (
            prop::option::of(prop_oneof!["sg-[0-9a-f]{17}", hostile_text(30)]),
            prop::option::of(hostile_text(30)),
            prop::option::of("[0-9]{12}"),
        )
            .prop_map(|(id, name, user)| Source::Group { id, name, user }),
    ];
    (s, description())
}

#[derive(Debug, Clone)]
struct Item {
    protocol: Value,
    from: Option<Value>,
    to: Option<Value>,
    sources: Vec<(Source, Option<String>)>,
}

fn item() -> impl Strategy<Value = Item> {
    (protocol(), port(), port(), prop::collection::vec(source(), 0..8))
        .prop_map(|(protocol, from, to, sources)| Item { protocol, from, to, sources })
}

/// CloudTrail's `{"items": [...]}`, its `{}` for empty, or a bare list.
fn collection(list: Vec<Value>, style: u8) -> Value {
    match (list.is_empty(), style % 3) {
        (true, 0) => json!({}),
        (_, 2) => Value::Array(list),
        _ => json!({ "items": list }),
    }
}

fn item_json(it: &Item, style: u8) -> Value {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    let mut pl = Vec::new();
    let mut groups = Vec::new();
    for (s, d) in &it.sources {
        let mut o = Map::new();
        match s {
            Source::V4(c) => {
                o.insert("cidrIp".into(), json!(c));
            }
            Source::V6(c) => {
                o.insert("cidrIpv6".into(), json!(c));
            }
            Source::PrefixList(id) => {
                o.insert("prefixListId".into(), json!(id));
            }
            Source::Group { id, name, user } => {
                for (k, v) in [("groupId", id), ("groupName", name), ("userId", user)] {
                    if let Some(v) = v {
                        o.insert(k.into(), json!(v));
                    }
                }
            }
        }
        if let Some(d) = d {
            o.insert("description".into(), json!(d));
        }
        match s {
            Source::V4(_) => v4.push(Value::Object(o)),
            Source::V6(_) => v6.push(Value::Object(o)),
            Source::PrefixList(_) => pl.push(Value::Object(o)),
            Source::Group { .. } => groups.push(Value::Object(o)),
        }
    }
    let mut o = Map::new();
    o.insert("ipProtocol".into(), it.protocol.clone());
    if let Some(f) = &it.from {
        o.insert("fromPort".into(), f.clone());
    }
    if let Some(t) = &it.to {
        o.insert("toPort".into(), t.clone());
    }
    o.insert("ipRanges".into(), collection(v4, style));
    o.insert("ipv6Ranges".into(), collection(v6, style.wrapping_add(1)));
    o.insert("prefixListIds".into(), collection(pl, style));
    o.insert("groups".into(), collection(groups, style.wrapping_add(2)));
    Value::Object(o)
}

#[derive(Debug, Clone)]
struct Case {
    event: Value,
    /// One rule per source, and one for an item with no source at all.
    rules: usize,
    options: Value,
}

fn case() -> impl Strategy<Value = Case> {
    let names = prop_oneof![
        Just("AuthorizeSecurityGroupIngress"),
        Just("AuthorizeSecurityGroupEgress"),
        Just("RevokeSecurityGroupIngress"),
        Just("RevokeSecurityGroupEgress"),
    ];
    (
        names,
        prop::collection::vec(item(), 1..6),
        any::<u8>(),
        (hostile_text(40), hostile_text(40), hostile_text(40), hostile_text(40)),
        prop::option::of(hostile_text(30)),
        (1usize..15, prop_oneof![Just("en"), Just("ko")], prop_oneof![Just("UTC"), Just("Asia/Seoul"), Just("America/St_Johns")]),
        any::<bool>(),
    )
        .prop_map(|(name, items, style, (user, agent, region, group), error, (max, locale, tz), eventbridge)| {
            let rules = items.iter().map(|i| i.sources.len().max(1)).sum();
            let mut detail = json!({
                "eventVersion": "1.08",
                "eventSource": "ec2.amazonaws.com",
                "eventName": name,
                "eventTime": "2024-03-10T06:30:00Z",
                "eventID": format!("{group}-id"),
                "awsRegion": if style % 2 == 0 { "eu-west-1".to_string() } else { region },
                "sourceIPAddress": agent.clone(),
                "userAgent": agent,
                "recipientAccountId": "111122223333",
                "userIdentity": { "type": "IAMUser", "userName": user, "accountId": "444455556666" },
                "requestParameters": {
                    "groupId": if style % 4 == 1 { group } else { "sg-0123456789abcdef0".to_string() },
                    "ipPermissions": { "items": items.iter().map(|i| item_json(i, style)).collect::<Vec<_>>() },
                },
            });
            if let Some(e) = error {
                detail["errorCode"] = json!("Client.InvalidPermission.Duplicate");
                detail["errorMessage"] = json!(e);
            }
            let event = if eventbridge {
                json!({ "version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
                        "account": "111122223333", "region": "eu-west-1", "detail": detail })
            } else {
                detail
            };
            let options = json!({ "maxMessagesPerEvent": max, "locale": locale, "timezone": tz,
                                  "accounts": { "111122223333": "<!channel> & prod" } });
            Case { event, rules, options }
        })
}

fn texts(p: &Payload) -> Vec<(&'static str, &str)> {
    let mut out = vec![("text", p.text.as_str())];
    for a in &p.attachments {
        out.push(("fallback", a.fallback.as_str()));
        for b in &a.blocks {
            match b {
                Block::Header { text } => out.push(("header", text.as_str())),
                Block::Section { text, fields } => {
                    out.extend(text.iter().map(|t| ("section", t.as_str())));
                    out.extend(fields.iter().map(|t| ("field", t.as_str())));
                }
                Block::Context { elements } => out.extend(elements.iter().map(|t| ("context", t.as_str()))),
            }
        }
    }
    out
}

const CONSOLE_HOSTS: [&str; 2] = ["console.amazonaws-us-gov.com/", "console.amazonaws.cn/"];

/// The core's own console links, `<https://{region}.console.aws.amazon.com/...|label>`, removed;
/// `None` when a `<` starts anything else.
fn without_console_links(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let link = &rest[i + 1..];
        let url = link.strip_prefix("https://")?;
        let host_ok = CONSOLE_HOSTS.iter().any(|h| url.starts_with(h))
            || url.split_once('/').is_some_and(|(host, _)| {
                host.strip_suffix(".console.aws.amazon.com")
                    .is_some_and(|r| r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            });
        let end = link.find('>')?;
        let inner = &link[..end];
        let (target, label) = inner.split_once('|')?;
        if !host_ok || target.contains(char::is_whitespace) || label.contains('<') {
            return None;
        }
        rest = &link[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn check_inert(kind: &str, s: &str) -> Result<(), TestCaseError> {
    let s = if kind == "context" {
        match without_console_links(s) {
            Some(t) => t,
            None => return Err(TestCaseError::fail(format!("{kind}: a `<` that is not a console link: {s:?}"))),
        }
    } else {
        s.to_string()
    };
    prop_assert!(!s.contains('<') && !s.contains('>'), "{kind}: raw angle bracket in {s:?}");
    for (i, _) in s.match_indices('&') {
        let t = &s[i..];
        prop_assert!(
            t.starts_with("&amp;") || t.starts_with("&lt;") || t.starts_with("&gt;"),
            "{kind}: bare & in {s:?}"
        );
    }
    prop_assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{kind}: control character in {s:?}");
    prop_assert!(!s.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')), "{kind}: bidi override");
    Ok(())
}

fn check_limits(p: &Payload) -> Result<(), TestCaseError> {
    p.check_limits().map_err(TestCaseError::fail)
}

/// Rule lines of a grouped message: its section texts' lines that start with a bullet.
fn rule_lines(p: &Payload) -> usize {
    p.attachments
        .iter()
        .flat_map(|a| a.blocks.iter())
        .filter_map(|b| match b {
            Block::Section { text: Some(t), .. } => Some(t.as_str().lines().filter(|l| l.starts_with("• ")).count()),
            _ => None,
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sg_events_format_within_limits_and_inert(c in case()) {
        let out = sgnotify::format_event(&c.event, &c.options)
            .map_err(|e| TestCaseError::fail(format!("error: {e}")))?;
        prop_assert!(out.errors.is_empty() && out.skipped.is_empty());
        let max = c.options["maxMessagesPerEvent"].as_u64().unwrap() as usize;
        if c.rules <= max {
            prop_assert_eq!(out.messages.len(), c.rules, "one message per rule");
        } else {
            let listed: usize = out.messages.iter().map(|m| rule_lines(&m.payload)).sum();
            prop_assert_eq!(listed, c.rules, "every rule listed once across {} messages", out.messages.len());
        }
        for m in &out.messages {
            check_limits(&m.payload)?;
            for (kind, s) in texts(&m.payload) {
                check_inert(kind, s)?;
            }
        }
        // The same event as JSON text takes the same path to the same result.
        let text = serde_json::to_string(&c.event).unwrap();
        let again = sgnotify::format_json(&text, &c.options).unwrap();
        prop_assert_eq!(again, out);
    }

    /// Any JSON value anywhere in an SG event: a result or an error, never a panic.
    #[test]
    fn any_value_anywhere_never_panics(c in case(), path in prop::collection::vec(0usize..64, 1..6), v in any_json()) {
        let mut event = c.event;
        poke(&mut event, &path, v);
        if let Ok(out) = sgnotify::format_event(&event, &c.options) {
            for m in &out.messages {
                check_limits(&m.payload)?;
            }
        }
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_text(30).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,12}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Replace the value found by walking `path` (child number modulo the children) with `v`.
fn poke(at: &mut Value, path: &[usize], v: Value) {
    let Some((&first, rest)) = path.split_first() else {
        *at = v;
        return;
    };
    let child = match at {
        Value::Object(m) if !m.is_empty() => {
            let n = first % m.len();
            m.values_mut().nth(n)
        }
        Value::Array(a) if !a.is_empty() => {
            let n = first % a.len();
            a.get_mut(n)
        }
        _ => None,
    };
    match child {
        Some(c) => poke(c, rest, v),
        None => *at = v,
    }
}
