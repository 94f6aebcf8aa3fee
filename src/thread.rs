//! Threads for bursts (Slack app mode). A burst is the changes one principal makes in one account
//! within a time window; in Slack it is one parent message that sums it up, with every rule
//! message as a reply. This module gives the caller what it needs to group changes ([`facts`]:
//! who, which account, when, which group) and renders the parent ([`summary`]). The replies are
//! the rule messages of [`crate::format`] unchanged: a critical reply is also broadcast to the
//! channel, where it must stand on its own.

use crate::config::Config;
use crate::envelope::{self, Entry, Envelope};
use crate::config::{deserialize_leaf, expected, read_str, Check, Leaf, Number, Obj, Str};
use crate::error::Error;
use crate::json::Node;
use crate::escape::{self, code, truncate};
use crate::i18n::Locale;
use crate::path::Path;
use crate::policy::Sev;
use crate::risk::Severity;
use crate::slack::{event_time, Block, Text, MAX_FIELD, MAX_HEADER};
use crate::rules::{self, Group};
use crate::{cloudtrail::Record, time};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Groups listed by name in a summary; the rest are counted.
const MAX_GROUPS_SHOWN: usize = 10;
/// Bound on a burst key, far below DynamoDB's 2,048-byte partition key.
const MAX_KEY: usize = 600;

/// What grouping needs to know about one record that changes a security group.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Facts {
    /// The record of the input (`Records[index]`), as in [`crate::Message::index`].
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Equal for changes by the same principal in the same account: the owning account and the
    /// principal's ARN (or its type and name when CloudTrail gives no ARN).
    pub key: String,
    /// The account that owns the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The principal as a person reads it (user, `role/session`, `root`, a service).
    pub principal: String,
    /// CloudTrail's `userIdentity.type`.
    pub principal_type: String,
    /// The group's id, or its name when the event has no id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The event time, RFC 3339 in UTC, and as epoch seconds (absent when unreadable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch_seconds: Option<i64>,
}

/// Facts for every security-group change in the input, in input order. Records that are not
/// SG changes, or that cannot be read, have none: `format_event` reports those.
pub fn facts(input: &Node) -> Result<Vec<Facts>, Error> {
    let mut out = Vec::new();
    envelope::walk(input, &mut |_, entry| {
        let Entry::Record(env) = entry else { return };
        let root = Path::root(&env.prefix);
        let Ok(rec) = Record::read(env.record, &root) else { return };
        if !rec.is_sg_change() {
            return;
        }
        let Ok(extracted) = rules::extract(&rec, &root) else { return };
        out.push(fact(&env, &rec, &extracted.group));
    })?;
    Ok(out)
}

/// The facts of one record that changes `group`: what [`facts`] lists, and what the formatter adds
/// to its result when asked (`formatBodiesWithFacts`), from the record it already read.
pub(crate) fn fact(env: &Envelope, rec: &Record, group: &Group) -> Facts {
    let p = &rec.principal;
    let account = env.owner.clone().or_else(|| rec.recipient_account.clone()).or_else(|| p.account_id.clone());
    let who = p.arn.clone().unwrap_or_else(|| format!("{}:{}", p.kind, p.name));
    let key = truncate(&format!("{}|{who}", account.as_deref().unwrap_or("?")), MAX_KEY);
    let when = rec.event_time.as_deref().and_then(time::parse_utc);
    Facts {
        index: env.index,
        event_id: rec.event_id.clone(),
        key,
        account,
        principal: p.name.clone(),
        principal_type: p.kind.clone(),
        group: group.id.clone().or_else(|| group.name.clone()),
        time: when.as_ref().map(time::rfc3339),
        epoch_seconds: when.map(|t| t.and_utc().timestamp()),
    }
}

/// A burst so far, as the caller keeps it (the Lambda: in its state table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub account: Option<String>,
    pub principal: String,
    pub principal_type: Option<String>,
    /// Changes delivered into the thread so far.
    pub changes: u64,
    /// The highest severity among them.
    pub severity: Severity,
    /// Groups touched (at most the first few the caller kept) and how many in all.
    pub groups: Vec<String>,
    pub group_count: u64,
    /// Event times of the first and the last change, RFC 3339.
    pub first_time: Option<String>,
    pub last_time: Option<String>,
}

/// A burst as the caller hands it over (camelCase keys; unknown keys are errors).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBurst {
    account: Option<Str>,
    principal: Str,
    principal_type: Option<Str>,
    changes: Count,
    /// Absent: info.
    severity: Option<Sev>,
    groups: Option<Vec<Str>>,
    /// Absent: the number of `groups`.
    group_count: Option<Count>,
    first_time: Option<Str>,
    last_time: Option<Str>,
}

impl Check for RawBurst {}

/// A whole number ≥ 0.
struct Count(u64);

impl Leaf for Count {
    const EXPECTING: &'static str = "a whole number ≥ 0";
    fn from_number(n: Number) -> Result<Count, String> {
        n.whole().map(Count).ok_or_else(|| expected(Self::EXPECTING, &n.to_string()))
    }
}

deserialize_leaf!(Count);

impl From<RawBurst> for Burst {
    fn from(r: RawBurst) -> Burst {
        let groups: Vec<String> = r.groups.map_or_else(Vec::new, |l| l.into_iter().map(|g| g.0).collect());
        let count = r.group_count.map_or(0, |c| c.0);
        Burst {
            account: r.account.map(|s| s.0),
            principal: r.principal.0,
            principal_type: r.principal_type.map(|s| s.0),
            changes: r.changes.0,
            severity: r.severity.map_or(Severity::Info, |s| s.0),
            group_count: count.max(groups.len() as u64),
            groups,
            first_time: r.first_time.map(|s| s.0),
            last_time: r.last_time.map(|s| s.0),
        }
    }
}

/// Errors of a burst: `burst.<key path>`, or `burst` for the value itself.
fn burst_error(path: String, detail: String) -> Error {
    let path = if path.is_empty() { "burst".to_string() } else { format!("burst.{path}") };
    Error::Unrecognized { path, detail }
}

impl Burst {
    /// Reads a burst from a JSON object; an error names the key that is wrong.
    pub fn from_json(v: &Value) -> Result<Burst, Error> {
        Burst::from_json_str(&v.to_string())
    }

    /// Reads a burst from JSON text, straight from the text.
    pub fn from_json_str(text: &str) -> Result<Burst, Error> {
        read_str::<Obj<RawBurst>>(text, "burst", "key", burst_error).map(|b| Burst::from(b.0))
    }
}

/// The parent message of a thread: a Web API payload (`chat.postMessage` / `chat.update` take it
/// with `channel`, and `ts` for an update).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Summary {
    /// The notification line (mobile notifications and the channel list read only this).
    pub text: String,
    pub blocks: Vec<Block>,
}

struct Words {
    title: &'static str,
    changes: &'static str,
    so_far: &'static str,
    highest: &'static str,
    groups: &'static str,
    more: &'static str,
    first_last: &'static str,
    how: &'static str,
}

const EN: Words = Words {
    title: "Security group changes by",
    changes: "Changes",
    so_far: "so far",
    highest: "Highest severity",
    groups: "Security groups",
    more: "more",
    first_last: "First · last change",
    how: "Each change is a reply in this thread; critical ones are also posted to the channel.",
};

const KO: Words = Words {
    title: "보안 그룹 변경:",
    changes: "변경",
    so_far: "현재까지",
    highest: "최고 위험도",
    groups: "보안 그룹",
    more: "개 더",
    first_last: "첫 변경 · 마지막 변경",
    how: "각 변경은 이 스레드의 답글입니다. 위험 변경은 채널에도 게시됩니다.",
};

/// Renders the parent message of a burst in the configured locale, zone and account names.
pub fn summary(burst: &Burst, cfg: &Config) -> Summary {
    let l = cfg.locale.labels();
    let w = match cfg.locale {
        Locale::En => &EN,
        Locale::Ko => &KO,
    };
    let sev = burst.severity;
    let sev_word = match sev {
        Severity::Critical => l.critical,
        Severity::Warning => l.warning,
        Severity::Info => l.info,
    };
    let who = escape::text(&burst.principal, 256);
    let kind = burst.principal_type.as_deref().map(|k| format!(" ({})", escape::text(k, 64))).unwrap_or_default();
    let (account_plain, account_md) = match burst.account.as_deref() {
        Some(id) => match (cfg.account_name(id), l.unknown_account) {
            (Some(n), _) => (format!("{} ({})", escape::text(n, 128), escape::text(id, 128)), format!("{} ({})", escape::text(n, 128), code(id, 128))),
            (None, "") => (escape::text(id, 128), code(id, 128)),
            (None, unnamed) => (format!("{unnamed} ({})", escape::text(id, 128)), format!("{unnamed} ({})", code(id, 128))),
        },
        None => (l.unknown.to_string(), l.unknown.to_string()),
    };

    let shown: Vec<String> = burst.groups.iter().take(MAX_GROUPS_SHOWN).map(|g| code(g, 128)).collect();
    let hidden = burst.group_count.saturating_sub(shown.len() as u64);
    let mut groups = if shown.is_empty() { l.unknown.to_string() } else { shown.join(", ") };
    if hidden > 0 {
        groups.push_str(&format!(" (+{hidden} {})", w.more));
    }
    let time = |t: &Option<String>| event_time(t.as_deref(), cfg.timezone);
    let field = |label: &str, value: String| Text::Mrkdwn { text: truncate(&format!("*{label}*\n{value}"), MAX_FIELD) };

    let header = truncate(&format!("🧵 {} {}", w.title, escape::text(&burst.principal, 140)), MAX_HEADER);
    let blocks = vec![
        Block::Header { text: Text::Plain { text: header, emoji: true } },
        Block::Section {
            text: None,
            fields: vec![
                field(l.account, account_md),
                field(l.principal, format!("{who}{kind}")),
                field(w.changes, format!("*{}* ({})", burst.changes, w.so_far)),
                field(w.highest, format!("{} {sev_word}", sev.icon())),
                field(w.groups, groups),
                field(w.first_last, format!("{}\n{}", time(&burst.first_time), time(&burst.last_time))),
            ],
        },
        Block::Context { elements: vec![Text::Mrkdwn { text: w.how.to_string() }] },
    ];
    let text = truncate(
        &format!("{} [{sev_word}] {} {who} · {account_plain} · {}: {}", sev.icon(), w.title, w.changes, burst.changes),
        1000,
    );
    Summary { text, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_burst_names_its_bad_key() {
        let e = |v: Value| {
            let from_value = Burst::from_json(&v).unwrap_err();
            assert_eq!(Burst::from_json_str(&v.to_string()).unwrap_err(), from_value, "text and value agree on {v}");
            from_value.to_string()
        };
        assert_eq!(e(json!([])), "burst: expected an object, found a list");
        assert_eq!(e(json!({"changes": 1})), "burst.principal: required");
        assert_eq!(e(json!({"principal": "a"})), "burst.changes: required");
        assert_eq!(e(json!({"principal": "a", "changes": -1})), "burst.changes: expected a whole number ≥ 0, found -1");
        assert_eq!(e(json!({"principal": "a", "changes": "1"})), "burst.changes: expected a whole number ≥ 0, found a string");
        assert_eq!(e(json!({"principal": "a", "changes": 1, "severity": "high"})), "burst.severity: unknown severity \"high\" (use \"info\", \"warning\" or \"critical\")");
        assert_eq!(e(json!({"principal": "a", "changes": 1, "groups": ["sg-1", 2]})), "burst.groups[1]: expected a string, found a number");
        assert_eq!(e(json!({"principal": "a", "changes": 1, "groupCount": 1.5})), "burst.groupCount: expected a whole number ≥ 0, found 1.5");
        assert_eq!(
            e(json!({"principal": "a", "changes": 1, "colour": "red"})),
            "burst.colour: unknown key (known: account, principal, principalType, changes, severity, groups, groupCount, firstTime, lastTime)"
        );
        assert!(Burst::from_json_str("{").unwrap_err().to_string().starts_with("burst: invalid JSON: "));
    }

    #[test]
    fn a_burst_reads_with_defaults() {
        let b = Burst::from_json_str(r#"{"principal": "alice", "changes": 3, "groups": ["sg-1", "sg-2"], "groupCount": 1}"#).unwrap();
        assert_eq!((b.severity, b.group_count, b.account), (Severity::Info, 2, None));
        let b = Burst::from_json(&json!({"principal": "a", "changes": 0, "severity": "critical", "groupCount": 12, "firstTime": null})).unwrap();
        assert_eq!((b.severity, b.group_count, b.first_time), (Severity::Critical, 12, None));
    }
}
