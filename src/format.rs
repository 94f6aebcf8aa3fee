//! The pipeline: envelope → CloudTrail record → rule changes → risk → Slack messages → policy
//! (mute, minimum severity, route).

use crate::cloudtrail::Record;
use crate::config::Config;
use crate::envelope::{self, Entry, Envelope};
use crate::error::Error;
use crate::path::Path;
use crate::policy::{Subject, DEFAULT_DESTINATION};
use crate::risk::Severity;
use crate::rules;
use crate::slack::{self, Payload};
use serde::Serialize;
use serde_json::Value;

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
    pub message: String,
}

#[derive(Serialize, Debug, Clone, PartialEq, Default)]
pub struct Formatted {
    pub messages: Vec<Message>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<RecordError>,
}

/// Format any supported input. A single event that cannot be read is an `Err`; inside a batch
/// (`Records`, a list) a bad record goes to `errors` and the others still format.
pub fn format_value(input: &Value, cfg: &Config) -> Result<Formatted, Error> {
    let unwrapped = envelope::unwrap(input)?;
    let mut out = Formatted::default();
    for entry in unwrapped.entries {
        let result = match entry {
            Entry::Record(env) => format_record(&env, cfg, &mut out),
            Entry::Skipped { index, reason } => {
                out.skipped.push(Skipped { index, event_id: None, event_name: None, reason });
                Ok(())
            }
            Entry::Failed { index, error } => Err((index, error)),
        };
        if let Err((index, error)) = result {
            if !unwrapped.batch {
                return Err(error);
            }
            out.errors.push(RecordError { index, message: error.to_string() });
        }
    }
    Ok(out)
}

fn format_record(env: &Envelope, cfg: &Config, out: &mut Formatted) -> Result<(), (usize, Error)> {
    let fail = |e| (env.index, e);
    let root = Path::root(&env.prefix);
    let rec = Record::parse(&env.record, &root).map_err(fail)?;
    if !rec.is_sg_change() {
        let source = rec.event_source.as_deref().unwrap_or("(no eventSource)");
        let name = if rec.event_name.is_empty() { "(no eventName)" } else { &rec.event_name };
        out.skipped.push(Skipped {
            index: env.index,
            event_id: rec.event_id.clone(),
            event_name: Some(rec.event_name.clone()).filter(|n| !n.is_empty()),
            reason: format!("{} {} is not a security group change", crate::error::shown(source), crate::error::shown(name)),
        });
        return Ok(());
    }
    let extracted = rules::extract(&rec, &root).map_err(fail)?;
    let event = slack::Event { rec: &rec, group: &extracted.group, owner: env.owner.as_deref(), cfg };
    let owner = event.owner_id();
    let subject = Subject {
        owner,
        account: owner.and_then(|o| cfg.accounts.get(o)),
        principal_arn: rec.principal.arn.as_deref(),
        user_agent: rec.user_agent.as_deref(),
        event_name: &rec.event_name,
    };
    let muted = cfg.policy.muted_by(&subject);
    for r in event.render(&extracted.changes) {
        let skip = |reason: String| Skipped {
            index: env.index,
            event_id: rec.event_id.clone(),
            event_name: Some(rec.event_name.clone()),
            reason: format!("{reason} · {}", r.summary),
        };
        // NOTE: a policy skip names the change (its summary), so nothing leaves without a trace.
        if let Some(i) = muted {
            out.skipped.push(skip(format!("policy: mute[{i}]")));
            continue;
        }
        if let Some(min) = cfg.policy.min_severity.filter(|&m| r.severity < m) {
            out.skipped.push(skip(format!("policy: minSeverity {} (this change is {})", min.name(), r.severity.name())));
            continue;
        }
        let route = cfg.policy.route(&subject, r.severity);
        let mention = route.and_then(|rt| rt.mention.clone());
        let mut payload = r.payload;
        if let Some(m) = &mention {
            payload.text = format!("{m} {}", payload.text);
        }
        out.messages.push(Message {
            index: env.index,
            event_id: rec.event_id.clone().unwrap_or_default(),
            event_name: rec.event_name.clone(),
            severity: r.severity,
            summary: r.summary,
            rule_ids: r.rule_ids,
            destination: route.map_or(DEFAULT_DESTINATION, |rt| rt.destination.as_str()).to_string(),
            mention,
            payload,
        });
    }
    Ok(())
}
