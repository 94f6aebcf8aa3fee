//! Envelope unwrapping: whatever the caller was handed (an EventBridge event, a Lambda SNS or SQS
//! event, an SNS notification, a raw CloudTrail record, a CloudTrail log file, or a list of
//! events) becomes a list of CloudTrail records, each with where it came from.

use crate::error::Error;
use crate::fields::{get, lenient, text, Unreadable};
use crate::path::Path;
use serde_json::Value;
use std::borrow::Cow;

/// One CloudTrail record and what its envelope said about it.
pub struct Envelope<'a> {
    /// Index of the record in the input (`Records[index]`); 0 for a single event.
    pub index: usize,
    /// Path of the record in the input, for error messages (e.g. `Records[1].Sns.Message.detail`).
    pub prefix: String,
    pub record: Cow<'a, Value>,
    /// The account that owns the resource: EventBridge's `account`.
    pub owner: Option<String>,
    /// Peripheral envelope fields that could not be read (EventBridge's `account`).
    pub unreadable: Vec<Unreadable>,
}

/// What one entry of the input turned into.
pub enum Entry<'a> {
    Record(Envelope<'a>),
    /// Well-formed, but not a CloudTrail API call (e.g. another EventBridge detail-type).
    Skipped { index: usize, reason: String },
    Failed { index: usize, error: Error },
}

/// The unwrapped input. `batch` is true when it held a list of records: a bad record then goes
/// to `errors` instead of failing the whole call.
pub struct Unwrapped<'a> {
    pub batch: bool,
    pub entries: Vec<Entry<'a>>,
}

const WHAT_WE_TAKE: &str = "an EventBridge event (detail-type, detail), a Lambda SNS or SQS event \
(Records), an SNS notification, a CloudTrail record (eventName), a CloudTrail log file (Records) \
or `aws cloudtrail lookup-events` output (Events)";

pub fn unwrap(input: &Value) -> Result<Unwrapped<'_>, Error> {
    match input {
        Value::Array(list) => Ok(Unwrapped {
            batch: true,
            entries: list
                .iter()
                .enumerate()
                .map(|(i, v)| entry(i, classify(Cow::Borrowed(v), format!("[{i}]"), 0)))
                .collect(),
        }),
        Value::Object(map) if map.contains_key("Records") => {
            let root = Path::root("");
            let records = match get(input, "Records") {
                Some(Value::Array(list)) => list,
                Some(other) => return Err(Error::shape(root.key("Records").to_string(), "a list", other)),
                None => return Err(Error::shape(root.key("Records").to_string(), "a list", &Value::Null)),
            };
            let entries = records
                .iter()
                .enumerate()
                .map(|(i, r)| entry(i, lambda_record(r, i)))
                .collect();
            Ok(Unwrapped { batch: true, entries })
        }
        // `aws cloudtrail lookup-events` output: each event's record is JSON text.
        Value::Object(map) if matches!(map.get("Events"), Some(Value::Array(_))) => {
            let events = map.get("Events").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
            let entries = events
                .iter()
                .enumerate()
                .map(|(i, e)| entry(i, classify(Cow::Borrowed(e), format!("Events[{i}]"), 0)))
                .collect();
            Ok(Unwrapped { batch: true, entries })
        }
        Value::Object(_) => {
            let one = classify(Cow::Borrowed(input), String::new(), 0)?;
            Ok(Unwrapped { batch: false, entries: vec![entry(0, Ok(one))] })
        }
        other => Err(Error::Unrecognized {
            path: String::new(),
            detail: format!("expected {WHAT_WE_TAKE}, found {}", crate::error::kind_of(other)),
        }),
    }
}

enum Classified<'a> {
    Record { record: Cow<'a, Value>, prefix: String, owner: Option<String>, unreadable: Vec<Unreadable> },
    Skip(String),
}

fn entry(index: usize, c: Result<Classified<'_>, Error>) -> Entry<'_> {
    match c {
        Ok(Classified::Record { record, prefix, owner, unreadable }) => {
            Entry::Record(Envelope { index, prefix, record, owner, unreadable })
        }
        Ok(Classified::Skip(reason)) => Entry::Skipped { index, reason },
        Err(error) => Entry::Failed { index, error },
    }
}

/// One member of a Lambda event's `Records`, or of a CloudTrail log file.
fn lambda_record(r: &Value, i: usize) -> Result<Classified<'_>, Error> {
    let at = format!("Records[{i}]");
    let root = Path::root(&at);
    if !r.is_object() {
        return Err(Error::shape(at, "an object", r));
    }
    if let Some(sns) = get(r, "Sns").or_else(|| get(r, "sns")) {
        let p = root.key("Sns");
        let message = get(sns, "Message").unwrap_or(&Value::Null);
        let prefix = p.key("Message").to_string();
        return parse_embedded(message, &prefix).and_then(|doc| classify(Cow::Owned(doc), prefix, 1));
    }
    // NOTE: check `body` before `eventName`: SQS records carry `eventSource: "aws:sqs"` too.
    if let Some(body) = get(r, "body") {
        let prefix = root.key("body").to_string();
        return parse_embedded(body, &prefix).and_then(|doc| classify(Cow::Owned(doc), prefix, 0));
    }
    if get(r, "eventName").is_some() || get(r, "eventSource").is_some() {
        return Ok(Classified::Record { record: Cow::Borrowed(r), prefix: at, owner: None, unreadable: Vec::new() });
    }
    Err(Error::Unrecognized {
        path: at,
        detail: "expected an SNS record (Sns.Message), an SQS record (body) or a CloudTrail record (eventName)"
            .into(),
    })
}

/// JSON text carried inside a string field (SNS Message, SQS body). An object is taken as is.
fn parse_embedded(v: &Value, prefix: &str) -> Result<Value, Error> {
    match v {
        Value::String(s) => crate::json::parse(s, prefix),
        Value::Object(_) => Ok(v.clone()),
        other => Err(Error::shape(prefix.to_string(), "a JSON string", other)),
    }
}

/// An event document: EventBridge event, SNS notification or CloudTrail record.
fn classify(doc: Cow<'_, Value>, prefix: String, sns_depth: u8) -> Result<Classified<'_>, Error> {
    let root = Path::root(&prefix);
    if !doc.is_object() {
        return Err(Error::Unrecognized {
            path: prefix.clone(),
            detail: format!("expected {WHAT_WE_TAKE}, found {}", crate::error::kind_of(&doc)),
        });
    }
    // One event of `aws cloudtrail lookup-events`: the record is JSON text in CloudTrailEvent.
    if let Some(embedded) = get(&doc, "CloudTrailEvent") {
        if sns_depth > 1 {
            return Err(Error::Unrecognized { path: prefix, detail: "embedded events nested too deep".into() });
        }
        let inner = root.key("CloudTrailEvent").to_string();
        let parsed = parse_embedded(embedded, &inner)?;
        return classify(Cow::Owned(parsed), inner, sns_depth + 1);
    }
    let is_notification = get(&doc, "Type").and_then(Value::as_str) == Some("Notification")
        && get(&doc, "Message").is_some();
    if is_notification {
        if sns_depth > 1 {
            return Err(Error::Unrecognized { path: prefix, detail: "SNS notifications nested too deep".into() });
        }
        let inner = root.key("Message").to_string();
        let message = get(&doc, "Message").unwrap_or(&Value::Null);
        let parsed = parse_embedded(message, &inner)?;
        return classify(Cow::Owned(parsed), inner, sns_depth + 1);
    }
    let is_eventbridge = get(&doc, "detail-type").is_some()
        || (get(&doc, "detail").is_some() && get(&doc, "source").is_some());
    if is_eventbridge {
        let mut unreadable = Vec::new();
        let owner = lenient(&mut unreadable, "account", text(get(&doc, "account"), &root.key("account")));
        let detail_path = root.key("detail").to_string();
        let has_event_name = match get(&doc, "detail") {
            Some(d @ Value::Object(_)) => get(d, "eventName").is_some(),
            Some(other) => return Err(Error::shape(detail_path, "an object", other)),
            None => false,
        };
        if !has_event_name {
            let kind = get(&doc, "detail-type").and_then(Value::as_str).unwrap_or("(none)");
            let source = get(&doc, "source").and_then(Value::as_str).unwrap_or("(none)");
            return Ok(Classified::Skip(format!(
                "EventBridge event of detail-type \"{}\" from \"{}\" is not a CloudTrail API call",
                crate::error::shown(kind),
                crate::error::shown(source)
            )));
        }
        let record = match doc {
            Cow::Borrowed(v) => Cow::Borrowed(v.get("detail").unwrap_or(&Value::Null)),
            Cow::Owned(mut v) => Cow::Owned(v.as_object_mut().and_then(|m| m.remove("detail")).unwrap_or(Value::Null)),
        };
        return Ok(Classified::Record { record, prefix: detail_path, owner, unreadable });
    }
    if get(&doc, "eventName").is_some() || get(&doc, "eventSource").is_some() {
        return Ok(Classified::Record { record: doc, prefix, owner: None, unreadable: Vec::new() });
    }
    Err(Error::Unrecognized { path: prefix, detail: format!("expected {WHAT_WE_TAKE}") })
}
