//! Envelope unwrapping: whatever the caller was handed (an EventBridge event, a Lambda SNS or SQS
//! event, an SNS notification, a raw CloudTrail record, a CloudTrail log file, `lookup-events`
//! output, or a list of events) becomes CloudTrail records, each with where it came from. JSON
//! text carried inside a string (an SNS Message, an SQS body) is read here, and its records are
//! handed over while that text is alive: the walk calls `sink` once per entry.

use crate::error::{shown, Error};
use crate::fields::{lenient, text, Unreadable};
use crate::json::{self, Doc, Json, Node};
use crate::path::Path;

/// One CloudTrail record and what its envelope said about it.
pub struct Envelope<'e> {
    /// Index of the record in the input (`Records[index]`); 0 for a single event.
    pub index: usize,
    /// Path of the record in the input, for error messages (e.g. `Records[1].Sns.Message.detail`).
    pub prefix: String,
    pub record: &'e Doc<'e>,
    /// The account that owns the resource: EventBridge's `account`.
    pub owner: Option<String>,
    /// Peripheral envelope fields that could not be read (EventBridge's `account`).
    pub unreadable: Vec<Unreadable>,
}

/// What one entry of the input turned into.
pub enum Entry<'e> {
    Record(Envelope<'e>),
    /// Well-formed, but not a CloudTrail API call (e.g. another EventBridge detail-type).
    Skipped { index: usize, reason: String },
    Failed { index: usize, error: Error },
}

/// Where entries go: `batch` is true when the input held a list of records, so that a bad record
/// goes to `errors` instead of failing the whole call.
pub type Sink<'s> = dyn FnMut(bool, Entry<'_>) + 's;

const WHAT_WE_TAKE: &str = "an EventBridge event (detail-type, detail), a Lambda SNS or SQS event \
(Records), an SNS notification, a CloudTrail record (eventName), a CloudTrail log file (Records) \
or `aws cloudtrail lookup-events` output (Events)";

fn unrecognized(path: String, found: &str) -> Error {
    Error::Unrecognized { path, detail: format!("expected {WHAT_WE_TAKE}, found {found}") }
}

/// Hand every entry of `input` to `sink`. A single event that cannot be unwrapped is an `Err`.
pub fn walk(input: &Node, sink: &mut Sink) -> Result<(), Error> {
    match input {
        Node::List(list) => {
            for (i, v) in list.iter().enumerate() {
                classify(v, format!("[{i}]"), 0, i, true, sink);
            }
            Ok(())
        }
        Node::Doc(d) if d.records.is_some() => {
            let Some(Node::List(records)) = &d.records else {
                let found = d.records.as_ref().map_or("null", Node::kind);
                return Err(Error::Shape { path: "Records".into(), expected: "a list", found });
            };
            for (i, r) in records.iter().enumerate() {
                lambda_record(r, i, sink);
            }
            Ok(())
        }
        // `aws cloudtrail lookup-events` output: each event's record is JSON text.
        Node::Doc(d) if matches!(d.events, Some(Node::List(_))) => {
            if let Some(Node::List(events)) = &d.events {
                for (i, e) in events.iter().enumerate() {
                    classify(e, format!("Events[{i}]"), 0, i, true, sink);
                }
            }
            Ok(())
        }
        Node::Doc(_) => {
            let mut failed = None;
            classify(input, String::new(), 0, 0, false, &mut |batch, entry| match entry {
                Entry::Failed { error, .. } => failed = Some(error),
                other => sink(batch, other),
            });
            failed.map_or(Ok(()), Err)
        }
        other => Err(unrecognized(String::new(), other.kind())),
    }
}

/// One member of a Lambda event's `Records`, or of a CloudTrail log file.
fn lambda_record(r: &Node, i: usize, sink: &mut Sink) {
    let at = format!("Records[{i}]");
    let fail = |sink: &mut Sink, error| sink(true, Entry::Failed { index: i, error });
    let Node::Doc(d) = r else {
        return fail(sink, Error::Shape { path: at, expected: "an object", found: r.kind() });
    };
    if let Some(sns) = &d.sns {
        let message = match sns {
            Node::Doc(s) => s.message.as_ref(),
            _ => None,
        };
        return embedded(message, format!("{at}.Sns.Message"), 1, i, true, sink);
    }
    // NOTE: check `body` before `eventName`: SQS records carry `eventSource: "aws:sqs"` too.
    if d.body.is_some() {
        return embedded(d.body.as_ref(), format!("{at}.body"), 0, i, true, sink);
    }
    if d.event_name.is_some() || d.event_source.is_some() {
        let env = Envelope { index: i, prefix: at, record: d, owner: None, unreadable: Vec::new() };
        return sink(true, Entry::Record(env));
    }
    let detail = "expected an SNS record (Sns.Message), an SQS record (body) or a CloudTrail record (eventName)";
    fail(sink, Error::Unrecognized { path: at, detail: detail.into() })
}

/// A document carried inside a string field (SNS Message, SQS body, CloudTrailEvent) as JSON
/// text, or as an object taken as it is.
fn embedded(v: Option<&Node>, prefix: String, depth: u8, index: usize, batch: bool, sink: &mut Sink) {
    match v {
        Some(Node::Value(Json::Str(text))) => {
            let parsed = json::parse(text, &prefix, |doc| classify(doc, prefix.clone(), depth, index, batch, sink));
            if let Err(error) = parsed {
                sink(batch, Entry::Failed { index, error });
            }
        }
        Some(doc @ Node::Doc(_)) => classify(doc, prefix, depth, index, batch, sink),
        other => {
            let found = other.map_or("null", Node::kind);
            sink(batch, Entry::Failed { index, error: Error::Shape { path: prefix, expected: "a JSON string", found } })
        }
    }
}

/// An event document: EventBridge event, SNS notification or CloudTrail record.
fn classify(node: &Node, prefix: String, depth: u8, index: usize, batch: bool, sink: &mut Sink) {
    let fail = |sink: &mut Sink, error| sink(batch, Entry::Failed { index, error });
    let Node::Doc(d) = node else { return fail(sink, unrecognized(prefix, node.kind())) };
    // One event of `aws cloudtrail lookup-events`: the record is JSON text in CloudTrailEvent.
    if d.cloudtrail_event.is_some() {
        if depth > 1 {
            return fail(sink, Error::Unrecognized { path: prefix, detail: "embedded events nested too deep".into() });
        }
        let inner = Path::root(&prefix).key("CloudTrailEvent").to_string();
        return embedded(d.cloudtrail_event.as_ref(), inner, depth + 1, index, batch, sink);
    }
    let is_notification = d.kind.as_ref().and_then(Json::as_str) == Some("Notification") && d.message.is_some();
    if is_notification {
        if depth > 1 {
            return fail(sink, Error::Unrecognized { path: prefix, detail: "SNS notifications nested too deep".into() });
        }
        let inner = Path::root(&prefix).key("Message").to_string();
        return embedded(d.message.as_ref(), inner, depth + 1, index, batch, sink);
    }
    let is_eventbridge = d.detail_type.is_some() || (d.detail.is_some() && d.source.is_some());
    if is_eventbridge {
        let root = Path::root(&prefix);
        let mut unreadable = Vec::new();
        let owner = lenient(&mut unreadable, "account", text(d.account.as_ref(), &root.key("account")));
        let detail_path = root.key("detail").to_string();
        let record = match &d.detail {
            Some(Node::Doc(r)) if r.event_name.is_some() => r,
            Some(Node::Doc(_)) | None => {
                let name = |v: &Option<Json>| shown(v.as_ref().and_then(Json::as_str).unwrap_or("(none)"));
                let reason = format!(
                    "EventBridge event of detail-type \"{}\" from \"{}\" is not a CloudTrail API call",
                    name(&d.detail_type),
                    name(&d.source)
                );
                return sink(batch, Entry::Skipped { index, reason });
            }
            Some(other) => return fail(sink, Error::Shape { path: detail_path, expected: "an object", found: other.kind() }),
        };
        let env = Envelope { index, prefix: detail_path, record, owner, unreadable };
        return sink(batch, Entry::Record(env));
    }
    if d.event_name.is_some() || d.event_source.is_some() {
        return sink(batch, Entry::Record(Envelope { index, prefix, record: d, owner: None, unreadable: Vec::new() }));
    }
    fail(sink, Error::Unrecognized { path: prefix, detail: format!("expected {WHAT_WE_TAKE}") })
}

