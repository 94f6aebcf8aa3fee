//! Reading JSON without copying it. An input is read once, by serde_json, into [`Node`]s: typed
//! [`Doc`]s that keep only the keys some stage reads (envelope keys and record fields) and skip
//! every other key without building it, with strings borrowed from the input (`Cow`, owned only
//! where the JSON had escapes). The parts whose shape varies by call (`requestParameters`,
//! `responseElements`, `userIdentity`) are kept as a borrowed tree, [`Json`], for the lenient,
//! path-aware reads of [`crate::fields`]. Types are never checked here: a field of an unexpected
//! type is kept as what it is, so the stage that needs it can name its path (or, for a
//! peripheral field, note it and go on).
//!
//! One leniency real producers need: a lone UTF-16 surrogate escape (`"\ud800"`), which
//! JavaScript's JSON.stringify and Python's json.dumps both write for broken strings, becomes
//! U+FFFD instead of failing the whole event.

use crate::error::Error;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Number;
use std::borrow::Cow;
use std::fmt;

/// A JSON value whose strings borrow from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    /// Members in input order; lookups are linear (CloudTrail objects are small).
    Obj(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// How the value is named in messages ("a string", "a list", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "a list",
            Json::Obj(_) => "an object",
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Json::Obj(_))
    }
    /// The member `key` (exact match); `None` when absent, null, or `self` is not an object.
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Obj(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| **v != Json::Null),
            _ => None,
        }
    }
    /// Like [`Json::get`], falling back to a case-insensitive match (some exporters lower-case keys).
    pub fn get_ci(&self, key: &str) -> Option<&Json<'a>> {
        self.get(key).or_else(|| match self {
            Json::Obj(members) => {
                members.iter().find(|(k, v)| k.eq_ignore_ascii_case(key) && *v != Json::Null).map(|(_, v)| v)
            }
            _ => None,
        })
    }
}

/// A string that borrows from the input when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Num(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Num(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Json<'de>, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Num))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Json>()? {
            items.push(v);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(Str(k)) = map.next_key::<Str>()? {
            members.push((k, map.next_value::<Json>()?));
        }
        Ok(Json::Obj(members))
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

/// One document of the input: an EventBridge event, a Lambda SNS or SQS event or record, an SNS
/// notification, a CloudTrail record or log file, `lookup-events` output or one of its events.
/// Only the keys below are kept; a null is the same as an absent key.
#[derive(Debug, Default)]
pub struct Doc<'a> {
    // Envelopes.
    pub records: Option<Node<'a>>,
    pub events: Option<Node<'a>>,
    pub detail_type: Option<Json<'a>>,
    pub source: Option<Json<'a>>,
    pub account: Option<Json<'a>>,
    pub detail: Option<Node<'a>>,
    /// SNS notification: `Type` and `Message`.
    pub kind: Option<Json<'a>>,
    pub message: Option<Node<'a>>,
    pub cloudtrail_event: Option<Node<'a>>,
    /// A Lambda SNS record's `Sns` (or `sns`), an SQS record's `body`.
    pub sns: Option<Node<'a>>,
    pub body: Option<Node<'a>>,
    // CloudTrail record.
    pub event_name: Option<Json<'a>>,
    pub event_source: Option<Json<'a>>,
    pub event_id: Option<Json<'a>>,
    pub event_time: Option<Json<'a>>,
    pub aws_region: Option<Json<'a>>,
    pub source_ip: Option<Json<'a>>,
    pub user_agent: Option<Json<'a>>,
    pub recipient_account: Option<Json<'a>>,
    pub error_code: Option<Json<'a>>,
    pub error_message: Option<Json<'a>>,
    pub user_identity: Option<Json<'a>>,
    pub request: Option<Json<'a>>,
    pub response: Option<Json<'a>>,
}

/// A value where a document may stand: a [`Doc`] for an object, a list of nodes, or any other
/// value as it is.
#[derive(Debug)]
pub enum Node<'a> {
    Doc(Box<Doc<'a>>),
    List(Vec<Node<'a>>),
    Value(Json<'a>),
}

impl Node<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Doc(_) => "an object",
            Node::List(_) => "a list",
            Node::Value(v) => v.kind(),
        }
    }
}

fn set<'de, A: MapAccess<'de>, T>(map: &mut A, slot: &mut Option<T>) -> Result<(), A::Error>
where
    T: Deserialize<'de> + IsNull,
{
    let v: T = map.next_value()?;
    *slot = (!v.is_null()).then_some(v);
    Ok(())
}

trait IsNull {
    fn is_null(&self) -> bool;
}
impl IsNull for Json<'_> {
    fn is_null(&self) -> bool {
        *self == Json::Null
    }
}
impl IsNull for Node<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Node::Value(Json::Null))
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    // Scalars are the same values as in a `Json` tree.
    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        JsonVisitor.visit_unit().map(Node::Value)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node<'de>, E> {
        JsonVisitor.visit_bool(b).map(Node::Value)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Node<'de>, E> {
        JsonVisitor.visit_i64(n).map(Node::Value)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Node<'de>, E> {
        JsonVisitor.visit_u64(n).map(Node::Value)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Node<'de>, E> {
        JsonVisitor.visit_f64(n).map(Node::Value)
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Node<'de>, E> {
        JsonVisitor.visit_borrowed_str(s).map(Node::Value)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Node<'de>, E> {
        JsonVisitor.visit_str(s).map(Node::Value)
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Node<'de>, E> {
        JsonVisitor.visit_string(s).map(Node::Value)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Node>()? {
            items.push(v);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut d = Doc::default();
        while let Some(Str(k)) = map.next_key::<Str>()? {
            match &*k {
                "Records" => set(&mut map, &mut d.records)?,
                "Events" => set(&mut map, &mut d.events)?,
                "detail-type" => set(&mut map, &mut d.detail_type)?,
                "source" => set(&mut map, &mut d.source)?,
                "account" => set(&mut map, &mut d.account)?,
                "detail" => set(&mut map, &mut d.detail)?,
                "Type" => set(&mut map, &mut d.kind)?,
                "Message" => set(&mut map, &mut d.message)?,
                "CloudTrailEvent" => set(&mut map, &mut d.cloudtrail_event)?,
                "Sns" | "sns" => set(&mut map, &mut d.sns)?,
                "body" => set(&mut map, &mut d.body)?,
                "eventName" => set(&mut map, &mut d.event_name)?,
                "eventSource" => set(&mut map, &mut d.event_source)?,
                "eventID" => set(&mut map, &mut d.event_id)?,
                "eventTime" => set(&mut map, &mut d.event_time)?,
                "awsRegion" => set(&mut map, &mut d.aws_region)?,
                "sourceIPAddress" => set(&mut map, &mut d.source_ip)?,
                "userAgent" => set(&mut map, &mut d.user_agent)?,
                "recipientAccountId" => set(&mut map, &mut d.recipient_account)?,
                "errorCode" => set(&mut map, &mut d.error_code)?,
                "errorMessage" => set(&mut map, &mut d.error_message)?,
                "userIdentity" => set(&mut map, &mut d.user_identity)?,
                "requestParameters" => set(&mut map, &mut d.request)?,
                "responseElements" => set(&mut map, &mut d.response)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Node::Doc(Box::new(d)))
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Reads a [`Node`] with a seed, so that one generic parse function serves every caller.
struct NodeSeed;
impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

fn from_text(text: &str) -> Result<Node<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let node = NodeSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

/// Parse `text` and hand the document to `then`; `path` names where the text came from for the
/// error message. (A callback, because a repaired text lives only inside this call.)
pub fn parse<R>(text: &str, path: &str, then: impl FnOnce(&Node) -> R) -> Result<R, Error> {
    let err = |e: serde_json::Error| Error::Json { path: path.to_string(), message: e.to_string() };
    match from_text(text) {
        Ok(node) => Ok(then(&node)),
        Err(first) => match replace_lone_surrogates(text) {
            Cow::Owned(repaired) => from_text(&repaired).map(|node| then(&node)).map_err(err),
            Cow::Borrowed(_) => Err(err(first)),
        },
    }
}

fn hex4(b: &[u8]) -> Option<u16> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u16::from_str_radix(s, 16).ok()
}

/// `\uD800`-`\uDFFF` escapes that do not form a pair become `\uFFFD`.
fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b.get(i + 1) != Some(&b'u') {
            i += 2; // an escaped character, possibly a backslash: skip both
            continue;
        }
        let Some(unit) = hex4(&b[(i + 2).min(b.len())..]) else {
            i += 2;
            continue;
        };
        let is_high = (0xD800..=0xDBFF).contains(&unit);
        let is_low = (0xDC00..=0xDFFF).contains(&unit);
        if is_high && b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u') {
            if let Some(next) = hex4(&b[(i + 8).min(b.len())..]) {
                if (0xDC00..=0xDFFF).contains(&next) {
                    i += 12; // a proper pair
                    continue;
                }
            }
        }
        if is_high || is_low {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..i]);
            o.push_str("\\uFFFD");
            copied = i + 6;
        }
        i += 6;
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str) -> Vec<String> {
        parse(text, "", |n| match n {
            Node::List(items) => items.iter().map(|i| match i {
                Node::Value(Json::Str(s)) => s.to_string(),
                other => panic!("{other:?}"),
            }).collect(),
            other => panic!("{other:?}"),
        })
        .unwrap()
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(strings(r#"["a\ud800b"]"#), ["a\u{FFFD}b"]);
        assert_eq!(strings(r#"["\udc00"]"#), ["\u{FFFD}"]);
        assert_eq!(strings(r#"["\ud83d\ude00"]"#), ["😀"]);
        assert_eq!(strings(r#"["\\ud800"]"#), ["\\ud800"]);
    }

    fn check(text: &str, path: &str) -> Result<(), Error> {
        parse(text, path, |_| ())
    }

    #[test]
    fn other_errors_keep_their_message_and_path() {
        let e = check("{x", "Records[0].body").unwrap_err();
        assert_eq!(e.to_string(), "Records[0].body: invalid JSON: key must be a string at line 1 column 2");
        assert!(check("{} x", "").is_err(), "trailing characters are an error");
    }

    #[test]
    fn documents_keep_what_is_read_and_borrow_it() {
        let text = r#"{"eventName": "X", "resources": [{"deep": [1, 2, 3]}], "requestParameters": {"a": "b\"c", "n": null}}"#;
        parse(text, "", |n| {
            let Node::Doc(d) = n else { panic!("{n:?}") };
            assert!(matches!(d.event_name, Some(Json::Str(Cow::Borrowed("X")))));
            let req = d.request.as_ref().unwrap();
            assert!(matches!(req.get("a"), Some(Json::Str(Cow::Owned(s))) if s == "b\"c"));
            assert_eq!(req.get("n"), None, "null is absent");
        })
        .unwrap();
    }
}
