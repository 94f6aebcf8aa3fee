//! The pipeline: envelope → CloudTrail record → rule changes → risk → Slack messages → policy
//! (mute, minimum severity, route); tamper calls (CloudTrail stopped, sgnotify's rule disabled...)
//! become alerts of their own and pass through the same policy.

use crate::cloudtrail::Record;
use crate::config::Config;
use crate::envelope::{self, Entry, Envelope};
use crate::json::Node;
use crate::error::Error;
use crate::fields::Unreadable;
use crate::path::Path;
use crate::policy::{Decision, Subject};
use crate::risk::{self, Severity};
use crate::rules;
use crate::slack::{self, Payload, Rendered};
use crate::tamper::{self, Verdict};
use crate::thread::{self, Facts};
use serde::Serialize;

/// One Slack message, ready to POST.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The record of the input it came from (`Records[index]`; 0 for a single event).
    pub index: usize,
    pub event_id: String,
    pub event_name: String,
    pub severity: Severity,
    /// One plain-text line for logs.
    pub summary: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_ids: Vec<String>,
    /// Fields of the event that had an unexpected type and were left out of the message, each
    /// with its path and what was wrong (`detail.userAgent: expected a string, found an object`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The policy route's destination, `"default"` when none matched.
    pub destination: String,
    /// The route's mention, already at the start of `payload.text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mention: Option<String>,
    pub payload: Payload,
}

/// A well-formed event that is not a security-group change.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    pub reason: String,
}

/// A bad record inside a batch; the other records are still formatted.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub index: usize,
    /// Where in the input the problem is (see [`Error::path`]); `message` starts with it.
    pub path: String,
    pub message: String,
}

#[derive(Serialize, Debug, Clone, PartialEq, Default)]
pub struct Formatted {
    pub messages: Vec<Message>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<RecordError>,
    /// Thread facts (Slack app mode) of every security-group change, when asked for: what
    /// [`crate::thread_facts`] gives, from the same reading of each record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Vec<Facts>>,
}

/// Format any supported input. A single event that cannot be read is an `Err`; inside a batch
/// (`Records`, a list) a bad record goes to `errors` and the others still format. With `facts`,
/// the result also lists each security-group change's thread facts.
pub fn format(input: &Node, cfg: &Config, facts: bool) -> Result<Formatted, Error> {
    let mut out = Formatted { facts: facts.then(Vec::new), ..Formatted::default() };
    let mut fatal = None;
    envelope::walk(input, &mut |batch, entry| {
        let result = match entry {
            Entry::Record(env) => format_record(&env, cfg, &mut out),
            Entry::Skipped { index, reason } => {
                out.skipped.push(Skipped { index, event_id: None, event_name: None, reason });
                Ok(())
            }
            Entry::Failed { index, error } => Err((index, error)),
        };
        match result {
            Err((_, error)) if !batch => fatal = Some(error),
            Err((index, error)) => out.errors.push(RecordError { index, path: error.path(), message: error.to_string() }),
            Ok(()) => {}
        }
    })?;
    fatal.map_or(Ok(out), Err)
}

fn format_record(env: &Envelope, cfg: &Config, out: &mut Formatted) -> Result<(), (usize, Error)> {
    let fail = |e| (env.index, e);
    let root = Path::root(&env.prefix);
    let rec = Record::read(env.record, &root).map_err(fail)?;
    if !rec.is_sg_change() {
        not_a_change(env, &rec, &root, cfg, out);
        return Ok(());
    }
    let extracted = rules::extract(&rec, &root).map_err(fail)?;
    if let Some(facts) = &mut out.facts {
        facts.push(thread::fact(env, &rec, &extracted.group));
    }
    let unreadable: Vec<Unreadable> =
        env.unreadable.iter().chain(&rec.unreadable).chain(&extracted.unreadable).cloned().collect();
    let severities = risk::rate(&extracted.changes, rec.principal.is_root(), rec.failed(), &cfg.policy.exposure);
    let event = slack::Event::new(&rec, Some(&extracted.group), env.owner.as_deref(), cfg, &unreadable);
    for r in event.render(&extracted.changes, &severities) {
        push(out, env.index, &event, r, false);
    }
    Ok(())
}

/// A record that is not a security-group change: a tamper alert (CloudTrail stopped,
/// sgnotify's rule disabled...) or a skip with its reason. NOTE: its own function, never
/// inlined: a first call with a rule change does not make V8 compile it.
#[inline(never)]
fn not_a_change(env: &Envelope, rec: &Record, root: &Path, cfg: &Config, out: &mut Formatted) {
    match tamper::classify(rec, root) {
        Verdict::Alert(t) => {
            let unreadable: Vec<Unreadable> =
                env.unreadable.iter().chain(&rec.unreadable).chain(&t.unreadable).cloned().collect();
            let event = slack::Event::new(rec, None, env.owner.as_deref(), cfg, &unreadable);
            push(out, env.index, &event, t.render(&event, risk::tamper_severity(rec.failed())), true);
            return;
        }
        Verdict::NotOurs(reason) => {
            out.skipped.push(Skipped { index: env.index, event_id: rec.event_id.clone(), event_name: Some(rec.event_name.clone()), reason });
            return;
        }
        Verdict::NotTamper => {}
    }
    let source = rec.event_source.as_deref().unwrap_or("(no eventSource)");
    let name = if rec.event_name.is_empty() { "(no eventName)" } else { &rec.event_name };
    out.skipped.push(Skipped {
        index: env.index,
        event_id: rec.event_id.clone(),
        event_name: Some(rec.event_name.clone()).filter(|n| !n.is_empty()),
        reason: format!("{} {} is not a security group change", crate::error::shown(source), crate::error::shown(name)),
    });
}

/// One rendered message through the policy: skipped with its reason, or sent to its route's
/// destination with the route's mention at the start of the top-level text. `tamper`: a tamper
/// alert, which only a mute entry naming its call holds back.
fn push(out: &mut Formatted, index: usize, event: &slack::Event, r: Rendered, tamper: bool) {
    let (rec, cfg) = (event.rec, event.cfg);
    let owner = event.owner_id();
    let subject = Subject {
        owner,
        account: owner.and_then(|o| cfg.accounts.get(o)),
        principal_arn: rec.principal.arn.as_deref(),
        user_agent: rec.user_agent.as_deref(),
        event_name: &rec.event_name,
        tamper,
    };
    let (destination, mention) = match cfg.policy.decide(&subject, r.severity) {
        // NOTE: a policy skip names the change (its summary), so nothing leaves without a trace.
        Decision::Skip(reason) => {
            out.skipped.push(Skipped {
                index,
                event_id: rec.event_id.clone(),
                event_name: Some(rec.event_name.clone()),
                reason: format!("{reason} · {}", r.summary),
            });
            return;
        }
        Decision::Send { destination, mention } => (destination.to_string(), mention.map(str::to_string)),
    };
    let mut payload = r.payload;
    if let Some(m) = &mention {
        payload.text = format!("{m} {}", payload.text);
    }
    out.messages.push(Message {
        index,
        event_id: rec.event_id.clone().unwrap_or_default(),
        event_name: rec.event_name.clone(),
        severity: r.severity,
        summary: r.summary,
        rule_ids: r.rule_ids,
        warnings: event.unreadable.iter().map(|u| u.warning.clone()).collect(),
        destination,
        mention,
        payload,
    });
}

impl Message {
    /// The payload as the JSON text to POST, byte for byte what Slack receives (ASCII: every
    /// other character escaped, as all the core's output).
    pub fn body(&self) -> String {
        crate::out::to_text(&self.payload)
    }
}

impl Formatted {
    /// The result as JSON text; with `bodies`, each message carries `body` (the payload as the
    /// JSON text to POST) instead of the `payload` object, so a sender never re-serialises it.
    pub fn to_json(&self, bodies: bool) -> String {
        crate::out::formatted(self, bodies)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn json_out_is_ascii_and_bodies_are_the_payloads() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events");
        let mut seen_non_ascii = false;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(out) = crate::format_json(&text, &Value::Null) else { continue };
            let objects = out.to_json(false);
            assert!(objects.is_ascii(), "{path:?}");
            let want = serde_json::to_value(&out).unwrap();
            seen_non_ascii |= !serde_json::to_string(&out).unwrap().is_ascii();
            assert_eq!(serde_json::from_str::<Value>(&objects).unwrap(), want, "{path:?}");
            let bodies: Value = serde_json::from_str(&out.to_json(true)).unwrap();
            for (m, b) in out.messages.iter().zip(bodies["messages"].as_array().unwrap()) {
                let body = b["body"].as_str().unwrap();
                assert!(body.is_ascii());
                assert_eq!(serde_json::from_str::<Value>(body).unwrap(), serde_json::to_value(&m.payload).unwrap(), "the body is the payload");
                assert!(b.get("payload").is_none());
                assert_eq!(b["summary"], Value::from(m.summary.as_str()));
            }
        }
        assert!(seen_non_ascii, "the fixtures' messages have non-ASCII characters (·, emoji) to escape");
    }

    #[test]
    fn facts_come_with_the_messages_only_when_asked_and_equal_thread_facts() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events");
        let cfg = crate::config::Config::from_json(&Value::Null).unwrap();
        let mut with_facts = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(plain) = crate::format_text(&text, &cfg, false) else { continue };
            let mut asked = crate::format_text(&text, &cfg, true).unwrap();
            let facts = asked.facts.take().expect("asked for");
            assert_eq!(asked, plain, "{path:?}: the rest is unchanged");
            assert_eq!(plain.facts, None);
            assert_eq!(facts, crate::thread_facts_json(&text).unwrap(), "{path:?}");
            with_facts += usize::from(!facts.is_empty());
            let out: Value = serde_json::from_str(&crate::out::formatted(&crate::format_text(&text, &cfg, true).unwrap(), true)).unwrap();
            assert_eq!(out["facts"], serde_json::to_value(&facts).unwrap(), "{path:?}: written as the derive writes it");
        }
        assert!(with_facts > 20, "{with_facts} fixtures have facts");
    }
}
