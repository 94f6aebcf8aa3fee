//! Options: read once per call from JSON with a derived `Deserialize` that rejects unknown keys,
//! validated into [`Config`]. Every error names its key path (`options.policy.routes[1].match`)
//! and says what is wrong in the project's words ([`read_str`]).

use crate::accounts::{Account, Accounts};
use crate::color::ColorScheme;
use crate::error::{shown, Error};
use crate::i18n::Locale;
use crate::policy::Policy;
use chrono_tz::Tz;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;

pub const DEFAULT_MAX_MESSAGES: usize = 10;

/// Validated options.
#[derive(Debug, Clone)]
pub struct Config {
    /// Account id -> name ("alias"), OU path and tags.
    pub accounts: HashMap<String, Account>,
    pub timezone: Tz,
    pub locale: Locale,
    pub channel: Option<String>,
    pub username: Option<String>,
    pub icon_emoji: Option<String>,
    /// Above this many rules in one event, rules are grouped into fewer messages.
    pub max_messages: usize,
    pub color_scheme: ColorScheme,
    pub policy: Policy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            accounts: HashMap::new(),
            timezone: Tz::UTC,
            locale: Locale::En,
            channel: None,
            username: None,
            icon_emoji: None,
            max_messages: DEFAULT_MAX_MESSAGES,
            color_scheme: ColorScheme::Severity,
            policy: Policy::default(),
        }
    }
}

/// The options object as given: every key optional (`null` = the default), nothing else allowed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Options {
    accounts: Option<Accounts>,
    policy: Option<Policy>,
    timezone: Option<TimeZone>,
    locale: Option<LocaleName>,
    channel: Option<Str>,
    username: Option<Str>,
    icon_emoji: Option<Str>,
    max_messages_per_event: Option<MaxMessages>,
    color_scheme: Option<Scheme>,
}

/// An IANA time zone name, e.g. `Asia/Seoul`.
struct TimeZone(Tz);

impl Leaf for TimeZone {
    fn from_text(name: &str) -> Result<Self, String> {
        name.trim().parse::<Tz>().map(TimeZone).map_err(|_| {
            format!("unknown time zone \"{}\" (use an IANA name such as \"UTC\" or \"Asia/Seoul\")", shown(name))
        })
    }
}

struct LocaleName(Locale);

impl Leaf for LocaleName {
    fn from_text(l: &str) -> Result<Self, String> {
        Locale::parse(l).map(LocaleName).ok_or_else(|| format!("unknown locale \"{}\" (use \"en\" or \"ko\")", shown(l)))
    }
}

struct Scheme(ColorScheme);

impl Leaf for Scheme {
    fn from_text(s: &str) -> Result<Self, String> {
        ColorScheme::parse(s)
            .map(Scheme)
            .ok_or_else(|| format!("unknown colour scheme \"{}\" (use \"severity\" or \"action\")", shown(s)))
    }
}


/// `maxMessagesPerEvent`: a whole number from 1 to 1000 (`3.0` counts as whole, as in JSON).
struct MaxMessages(usize);

impl Leaf for MaxMessages {
    const EXPECTING: &'static str = "a whole number from 1 to 1000";
    fn from_number(n: Number) -> Result<Self, String> {
        match n.whole() {
            Some(k @ 1..=1000) => Ok(MaxMessages(k as usize)),
            _ => Err(expected(Self::EXPECTING, &n.to_string())),
        }
    }
}


impl From<Options> for Config {
    fn from(o: Options) -> Config {
        let d = Config::default();
        Config {
            accounts: o.accounts.map_or(d.accounts, |a| a.0),
            timezone: o.timezone.map_or(d.timezone, |t| t.0),
            locale: o.locale.map_or(d.locale, |l| l.0),
            channel: o.channel.map(|s| s.0),
            username: o.username.map(|s| s.0),
            icon_emoji: o.icon_emoji.map(|s| s.0),
            max_messages: o.max_messages_per_event.map_or(d.max_messages, |m| m.0),
            color_scheme: o.color_scheme.map_or(d.color_scheme, |s| s.0),
            policy: o.policy.unwrap_or(d.policy),
        }
    }
}

/// Errors of the options: a key path below `options`, or the object itself.
fn option_error(path: String, message: String) -> Error {
    if path.is_empty() {
        Error::Unrecognized { path: "options".into(), detail: message }
    } else {
        Error::Option { name: path, message }
    }
}

impl Config {
    /// Options from a JSON value; `null` means all defaults. Unknown keys are errors, so a
    /// misspelt option is never silently ignored.
    pub fn from_json(v: &Value) -> Result<Config, Error> {
        // NOTE: through the text, so that both ways read (and report) alike; options are small.
        Config::from_json_str(&v.to_string())
    }

    /// Options from JSON text, read straight from the text; empty text or `null` means all
    /// defaults.
    pub fn from_json_str(text: &str) -> Result<Config, Error> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let o: Option<Obj<Options>> = read_str(text, "options", "option", option_error)?;
        Ok(o.map(|o| Config::from(o.0)).unwrap_or_default())
    }

    /// The name for an account id, if one was given.
    pub fn account_name(&self, id: &str) -> Option<&str> {
        self.accounts.get(id).map(|a| a.name.as_str())
    }

    /// The OU path of an account id, if one was given.
    pub fn account_ou(&self, id: &str) -> Option<&str> {
        self.accounts.get(id).and_then(|a| a.ou.as_deref())
    }
}

// ---- reading JSON with paths and clear messages (options and bursts) ----
//
// NOTE: every value is read with `deserialize_any` by a visitor that takes every JSON kind and
// says itself what it expected and found. serde's own type errors would bring in its
// `Unexpected` names and, through them, the float formatting machinery (about 20 KB of wasm);
// and a check that runs inside the visitor of its value gets that value's place in the text,
// from which the key path is found (`path_at`).

/// "expected a string, found a number".
pub(crate) fn expected(what: &str, found: &str) -> String {
    format!("expected {what}, found {found}")
}

/// A JSON number as read, named in messages by its text.
#[derive(Clone, Copy)]
pub(crate) enum Number {
    U(u64),
    I(i64),
    F(f64),
}

impl Number {
    /// The number if it is whole and not negative (`3.0` counts, as JSON does not tell them apart).
    pub(crate) fn whole(self) -> Option<u64> {
        match self {
            Number::U(n) => Some(n),
            Number::I(n) => u64::try_from(n).ok(),
            // NOTE: 2^64 as f64; anything at or above it does not fit.
            Number::F(f) => (f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&f)).then_some(f as u64),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::U(n) => write!(f, "{n}"),
            Number::I(n) => write!(f, "{n}"),
            // serde_json's float writer (already in the module), not core's.
            Number::F(x) => match serde_json::Number::from_f64(x) {
                Some(n) => write!(f, "{n}"),
                None => f.write_str("a number"),
            },
        }
    }
}

/// A value given as one JSON string or number, checked as it is read.
pub(crate) trait Leaf: Sized {
    /// What it should be, as messages say it.
    const EXPECTING: &'static str = "a string";
    fn from_text(_: &str) -> Result<Self, String> {
        Err(expected(Self::EXPECTING, "a string"))
    }
    fn from_number(_: Number) -> Result<Self, String> {
        Err(expected(Self::EXPECTING, "a number"))
    }
}

/// The visitor methods for the JSON kinds a value does not take: each one an error naming it.
macro_rules! reject {
    ($de:lifetime, $what:expr; $($kind:ident)*) => { $( reject!(@ $kind $de $what); )* };
    (@ bool $de:lifetime $what:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::custom($crate::config::expected(&$what, "a boolean")))
        }
    };
    (@ null $de:lifetime $what:expr) => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom($crate::config::expected(&$what, "null")))
        }
    };
    (@ number $de:lifetime $what:expr) => {
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::custom($crate::config::expected(&$what, "a number")))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::custom($crate::config::expected(&$what, "a number")))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::custom($crate::config::expected(&$what, "a number")))
        }
    };
    (@ str $de:lifetime $what:expr) => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::custom($crate::config::expected(&$what, "a string")))
        }
    };
    (@ seq $de:lifetime $what:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<$de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(serde::de::Error::custom($crate::config::expected(&$what, "a list")))
        }
    };
    (@ map $de:lifetime $what:expr) => {
        fn visit_map<A: serde::de::MapAccess<$de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(serde::de::Error::custom($crate::config::expected(&$what, "an object")))
        }
    };
}
pub(crate) use reject;

/// A leaf as JSON gave it, handed to the type's own check inside the visitor.
enum Scalar<'a> {
    Str(&'a str),
    Num(Number),
}

/// One visitor for every [`Leaf`] type (so serde_json's `deserialize_any` is in the code once, not
/// once per type): the type comes in as what it expects and a closure that checks and keeps it.
struct ScalarV<'f> {
    expecting: &'static str,
    take: &'f mut dyn FnMut(Scalar<'_>) -> Result<(), String>,
}

impl<'de> Visitor<'de> for ScalarV<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        (self.take)(Scalar::Str(s)).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        (self.take)(Scalar::Num(Number::U(n))).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        (self.take)(Scalar::Num(Number::I(n))).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        (self.take)(Scalar::Num(Number::F(n))).map_err(E::custom)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(expected(self.expecting, "a boolean")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(expected(self.expecting, "null")))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(expected(self.expecting, "a list")))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(expected(self.expecting, "an object")))
    }
}

/// The `Deserialize` of [`Leaf`] types.
pub(crate) fn leaf<'de, T: Leaf, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    let mut out = None;
    let mut take = |s: Scalar<'_>| {
        out = Some(match s {
            Scalar::Str(s) => T::from_text(s)?,
            Scalar::Num(n) => T::from_number(n)?,
        });
        Ok(())
    };
    d.deserialize_any(ScalarV { expecting: T::EXPECTING, take: &mut take })?;
    out.ok_or_else(|| de::Error::custom(expected(T::EXPECTING, "nothing")))
}

macro_rules! deserialize_leaf {
    ($($t:ty),*) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::config::leaf(d)
            }
        }
    )*};
}
pub(crate) use deserialize_leaf;

deserialize_leaf!(TimeZone, LocaleName, Scheme, MaxMessages, Str);

/// A string, as given.
pub(crate) struct Str(pub String);

impl Leaf for Str {
    fn from_text(s: &str) -> Result<Str, String> {
        Ok(Str(s.to_string()))
    }
}

/// An object's own check, run where the object is read (see [`Obj`]).
pub(crate) trait Check {
    fn check(&self) -> Result<(), &'static str> {
        Ok(())
    }
}

impl Check for Options {}

/// A derived struct read from a JSON object only (serde's derive also takes a list of the fields
/// in order, which no option or burst means), then checked.
pub(crate) struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de> + Check> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Check> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, m: M) -> Result<Obj<T>, M::Error> {
                let t = T::deserialize(de::value::MapAccessDeserializer::new(m))?;
                t.check().map_err(de::Error::custom)?;
                Ok(Obj(t))
            }
            reject!('de, "an object"; bool null number str seq);
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON list.
pub(crate) struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<List<T>, S::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element()? {
                    out.push(t);
                }
                Ok(List(out))
            }
            reject!('de, "a list"; bool null number str map);
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Tags: an object of tag -> value (strings).
pub(crate) struct Tags(pub BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of tag -> value")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, mut m: M) -> Result<Tags, M::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = m.next_key::<String>()? {
                    let Str(v) = m.next_value()?;
                    out.insert(k, v);
                }
                Ok(Tags(out))
            }
            reject!('de, "an object of tag -> value"; bool null number str seq);
        }
        d.deserialize_any(V)
    }
}

/// Deserialises `T` straight from JSON text (`what` names the text in a syntax error). `top_noun`
/// names an unknown key at the top ("option"); `error` builds the error from the key path (empty
/// for the value itself) and the message.
pub(crate) fn read_str<'de, T: Deserialize<'de>>(
    text: &'de str,
    what: &str,
    top_noun: &str,
    error: fn(String, String) -> Error,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let out = T::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    out.map_err(|e| match e.classify() {
        serde_json::error::Category::Data => located(text, &e, top_noun, error),
        _ => Error::Json { path: what.to_string(), message: e.to_string() },
    })
}

/// A data error at its key path. serde_json gives where in the text it stopped (line, column in
/// bytes); the path is found by reading the text again up to there, which costs only on an error
/// and keeps the reader's code to the derived types alone (a path-tracking deserializer wrapper
/// doubled the wasm code of every option type).
fn located(text: &str, e: &serde_json::Error, top_noun: &str, error: fn(String, String) -> Error) -> Error {
    let line_start: usize = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
    let (mut path, depth) = path_at(text, line_start + e.column());
    let message = e.to_string();
    // The message ends in " at line L column C"; the key path says where, more usefully.
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let raw = message.strip_suffix(&suffix).unwrap_or(&message);
    let noun = if depth == 1 { top_noun } else { "key" };
    let (missing, message) = clear(raw, noun);
    if let Some(field) = missing {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&field);
    }
    error(path, message)
}

/// Where reading stood at byte `end` of `text` (read without a syntax error up to there): the
/// value being read, or the one just finished, as `policy.routes[1].match.tag["env"]` with struct
/// keys after dots, list indices, and the keys of maps that hold user keys (account ids, tag
/// names) in brackets, each key cut to 64 characters. Also gives the number of segments.
fn path_at(text: &str, end: usize) -> (String, usize) {
    enum Frame {
        Object { key: Option<String>, expect_key: bool },
        List { index: Option<usize> },
    }
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    // A value starts: in a list, it is the next item.
    let started = |stack: &mut Vec<Frame>| {
        if let Some(Frame::List { index }) = stack.last_mut() {
            *index = Some(index.map_or(0, |n| n + 1));
        }
    };
    while i < end {
        match b[i] {
            b'{' => {
                started(&mut stack);
                stack.push(Frame::Object { key: None, expect_key: true });
            }
            b'[' => {
                started(&mut stack);
                stack.push(Frame::List { index: None });
            }
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = true;
                }
            }
            b'"' => {
                let from = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let raw = text.get(from..=i.min(b.len() - 1)).unwrap_or("");
                match stack.last_mut() {
                    Some(Frame::Object { key, expect_key }) if *expect_key => {
                        *key = Some(unescape(raw));
                        *expect_key = false;
                    }
                    _ => started(&mut stack),
                }
            }
            c if c.is_ascii_whitespace() || c == b':' => {}
            _ => {
                // A number, true, false or null: one value up to the next delimiter.
                started(&mut stack);
                while i + 1 < b.len() && !matches!(b[i + 1], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    let mut out = String::new();
    let mut depth = 0;
    let mut field: Option<&str> = None;
    for frame in &stack {
        match frame {
            Frame::List { index: Some(n) } => {
                out.push_str(&format!("[{n}]"));
                field = None;
            }
            Frame::Object { key: Some(k), .. } if matches!(field, Some("accounts" | "tags" | "tag")) => {
                // Quoted as in JSON, so a key with `"` or `\` reads unambiguously.
                out.push_str(&format!("[\"{}\"]", shown(k).replace('\\', "\\\\").replace('"', "\\\"")));
                field = None;
            }
            Frame::Object { key: Some(k), .. } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&shown(k));
                field = Some(k);
            }
            _ => continue,
        }
        depth += 1;
    }
    (out, depth)
}

/// A JSON string token's text (quotes included) as the string it means. serde_json's own reader
/// would do, but would bring its type errors and their float formatting into the code.
fn unescape(token: &str) -> String {
    let inner = token.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(token);
    let mut units: Vec<u16> = Vec::new();
    let mut out = String::new();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    };
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush(&mut units, &mut out);
            out.push(c);
            continue;
        }
        let simple = match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                units.push(u16::from_str_radix(&hex, 16).unwrap_or(0xFFFD));
                continue;
            }
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some(other) => other,
            None => break,
        };
        flush(&mut units, &mut out);
        out.push(simple);
    }
    flush(&mut units, &mut out);
    out
}

/// serde's messages for keys in the project's words; a missing key comes back separately, to be
/// named in the path. Our own messages pass as they are.
fn clear(raw: &str, noun: &str) -> (Option<String>, String) {
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        // NOTE: the list (after the last "`, expected ") is ours; the key before it is user text.
        let known = match rest.rsplit_once("`, expected ") {
            Some((_, list)) => list.split('`').skip(1).step_by(2).collect::<Vec<_>>().join(", "),
            None => "none".to_string(),
        };
        return (None, format!("unknown {noun} (known: {known})"));
    }
    if let Some(field) = raw.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
        return (Some(field.to_string()), "required".to_string());
    }
    (None, raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_values() {
        let c = Config::from_json(&Value::Null).unwrap();
        assert_eq!((c.timezone, c.locale, c.max_messages), (Tz::UTC, Locale::En, 10));
        let c = Config::from_json(&json!({"timezone": "Asia/Seoul", "locale": "ko", "maxMessagesPerEvent": 3,
            "accounts": {"111122223333": "prod"}, "colorScheme": "action", "channel": "#sec"})).unwrap();
        assert_eq!(c.timezone, Tz::Asia__Seoul);
        assert_eq!(c.account_name("111122223333"), Some("prod"));
        assert_eq!((c.max_messages, c.color_scheme, c.channel.as_deref()), (3, ColorScheme::Action, Some("#sec")));
        // null is the default for every key, as for the whole object.
        let c = Config::from_json(&json!({"timezone": null, "maxMessagesPerEvent": null, "policy": null})).unwrap();
        assert_eq!((c.timezone, c.max_messages), (Tz::UTC, 10));
        assert_eq!(Config::from_json(&json!({"maxMessagesPerEvent": 3.0})).unwrap().max_messages, 3);
    }

    #[test]
    fn text_reads_like_the_value() {
        for text in ["", "  ", "null"] {
            assert_eq!(Config::from_json_str(text).unwrap().max_messages, 10, "{text:?}");
        }
        let c = Config::from_json_str(r#"{"timezone": "Asia/Seoul", "accounts": {"1": {"name": "a", "ou": "/Root/"}}}"#).unwrap();
        assert_eq!((c.timezone, c.account_ou("1")), (Tz::Asia__Seoul, Some("Root")));
        for bad in [
            json!({"timeZone": "UTC"}),
            json!({"policy": {"routes": [{"destination": "a", "match": {"severity": "loud"}}]}}),
            json!({"maxMessagesPerEvent": 1e308}),
            json!({"accounts": {"1": {"name": "a", "tags": {"env": 1}}}}),
            json!([]),
            json!({"policy": {"mute": [{"principal": "x", "user_agent": "y"}]}}),
            json!({"policy": {"routes": [{"destination": "b", "match": {"principal": "x"}}]}}),
            json!({"policy": {"sensitivePorts": {"add": [{"port": 80, "name": "HTTP", "proto": "tcp"}]}}}),
        ] {
            let from_value = Config::from_json(&bad).unwrap_err();
            assert_eq!(Config::from_json_str(&bad.to_string()).unwrap_err(), from_value, "{bad}");
            // Over several lines, the place (line and column) still leads to the same path.
            let pretty = serde_json::to_string_pretty(&bad).unwrap();
            assert_eq!(Config::from_json_str(&pretty).unwrap_err(), from_value, "{pretty}");
        }
        // Keys with escapes and multi-byte characters, values in lists of lists, errors on the
        // last line, keys that look like the path's own punctuation.
        let e = |t: &str| Config::from_json_str(t).unwrap_err().to_string();
        assert_eq!(
            e("{\"accounts\": {\"\\\"계정\\\" [1]\": {\"name\": \"é\",\n \"tags\": {\"a.b\": \"x\", \"ü\": 1}}}}"),
            "options.accounts[\"\\\"계정\\\" [1]\"].tags[\"ü\"]: expected a string, found a number"
        );
        assert_eq!(
            e("{\"policy\": {\"mute\": [{\"account\": [\"1\", \"2\"]}, {\"eventName\": [\"A\",\n\n   \"\"]}]}}"),
            "options.policy.mute[1].eventName[1]: expected a non-empty string"
        );
        assert_eq!(
            e("{\"policy\": {\"routes\": [{\"destination\": \"a\", \"match\": {\"tag\": {\"k\": \"v\"}}}, {\"destination\": \"b\", \"match\": {\"tag\": {\"env\": null}}}]}}"),
            "options.policy.routes[1].match.tag[\"env\"]: expected a string, found null"
        );
        assert_eq!(e("{\"policy\": {\"mute\": [{\"ou\": \"R\"}, {}]}}"), "options.policy.mute[1]: an empty entry would mute everything; name at least one field");
        assert_eq!(e("{\"policy\": {\"sensitivePorts\": {\"remove\": [22, 8080]}}}"), "options.policy.sensitivePorts.remove[1]: port 8080 is not a default sensitive port");
        // Not JSON at all, or JSON followed by more: a JSON error naming the options.
        for text in ["{", "{} x", "{'a': 1}"] {
            let e = Config::from_json_str(text).unwrap_err().to_string();
            assert!(e.starts_with("options: invalid JSON: "), "{text}: {e}");
        }
    }

    #[test]
    fn bad_options_say_which() {
        let e = |v: Value| Config::from_json(&v).unwrap_err().to_string();
        assert!(e(json!({"timezone": "Mars/Base"})).starts_with("options.timezone: unknown time zone \"Mars/Base\""));
        assert!(e(json!({"locale": "fr"})).starts_with("options.locale: unknown locale"));
        assert_eq!(e(json!({"maxMessagesPerEvent": 0})), "options.maxMessagesPerEvent: expected a whole number from 1 to 1000, found 0");
        assert_eq!(e(json!({"maxMessagesPerEvent": 2.5})), "options.maxMessagesPerEvent: expected a whole number from 1 to 1000, found 2.5");
        assert_eq!(e(json!({"maxMessagesPerEvent": "3"})), "options.maxMessagesPerEvent: expected a whole number from 1 to 1000, found a string");
        assert_eq!(
            e(json!({"timeZone": "UTC"})),
            "options.timeZone: unknown option (known: accounts, policy, timezone, locale, channel, username, iconEmoji, maxMessagesPerEvent, colorScheme)"
        );
        assert!(e(json!({"accounts": {"1": 2}})).starts_with("options.accounts[\"1\"]: expected a name"));
        assert_eq!(
            e(json!({"colorScheme": "loud"})),
            "options.colorScheme: unknown colour scheme \"loud\" (use \"severity\" or \"action\")"
        );
        assert_eq!(e(json!({"colorScheme": 1})), "options.colorScheme: expected a string, found a number");
        assert_eq!(e(json!({"channel": ["#a"]})), "options.channel: expected a string, found a list");
        assert!(e(json!({"accounts": []})).starts_with("options.accounts: expected an object"));
        assert_eq!(e(json!([1])), "options: expected an object, found a list");
        assert_eq!(e(json!("UTC")), "options: expected an object, found a string");
    }

    #[test]
    fn errors_give_the_path_alone() {
        let e = Config::from_json(&json!({"policy": {"routes": [{"destination": "a", "match": {}}, {"match": {}}]}})).unwrap_err();
        assert_eq!(e, Error::Option { name: "policy.routes[1].destination".into(), message: "required".into() });
        let e = Config::from_json(&json!({"accounts": {"1": {"name": "a", "tags": {"x": []}}}})).unwrap_err();
        assert_eq!(e, Error::Option { name: "accounts[\"1\"].tags[\"x\"]".into(), message: "expected a string, found a list".into() });
    }

    #[test]
    fn messages_in_the_projects_words() {
        assert_eq!(clear("unknown field `x`, expected `a` or `b`", "key").1, "unknown key (known: a, b)");
        assert_eq!(clear("unknown field `x, expected `y``, expected one of `a`, `b`, `c`", "option").1, "unknown option (known: a, b, c)");
        assert_eq!(unescape(r#""a\"b\\c\u00e9\ud83d\ude00\n""#), "a\"b\\cé😀\n");
        assert_eq!(unescape(r#""\ud83d""#), "\u{FFFD}");
        assert_eq!(clear("missing field `name`", "key"), (Some("name".into()), "required".into()));
        assert_eq!(clear("port 1 is not a default sensitive port", "key").1, "port 1 is not a default sensitive port");
    }
}
