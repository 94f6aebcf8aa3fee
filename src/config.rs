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
use crate::json::Json;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

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
// NOTE: the values below are read with `deserialize_any` by visitors that take every JSON kind
// and say themselves what they expected and found: serde's own type errors would bring in its
// `Unexpected` names and, through them, core's float formatting (about 20 KB of wasm).

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

/// A derived struct, then its own check ([`De`] reads structs from JSON objects only: serde's
/// derive would also take a list of the fields in order, which no option or burst means).
pub(crate) struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de> + Check> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = T::deserialize(d)?;
        t.check().map_err(de::Error::custom)?;
        Ok(Obj(t))
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

/// Deserialises `T` from JSON text (`what` names the text in a syntax error). `top_noun` names an
/// unknown key at the top ("option"); `error` builds the error from the key path (empty for the
/// value itself) and the message.
///
/// The text is parsed once into the core's borrowed JSON tree ([`Json`], the same reader the
/// events go through), and the option types read that tree through [`De`], which knows where it
/// is. Reading the text with serde_json
/// directly instantiated its parser for every option type (about 1 KB of wasm each), and its
/// errors carry a line and column, not a key path.
pub(crate) fn read_str<T: for<'de> Deserialize<'de>>(
    text: &str,
    what: &str,
    top_noun: &str,
    error: fn(String, String) -> Error,
) -> Result<T, Error> {
    let tree: Json = serde_json::from_str(text).map_err(|e| Error::Json { path: what.to_string(), message: e.to_string() })?;
    T::deserialize(De { node: &tree, at: &At::Root }).map_err(|e| {
        let (mut path, depth) = e.at.unwrap_or_default();
        let message = match e.problem {
            Problem::Message(message) => message,
            Problem::UnknownKey(known) => {
                let noun = if depth == 1 { top_noun } else { "key" };
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                format!("unknown {noun} (known: {known})")
            }
            // A missing key is named in the path.
            Problem::Missing(field) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(field);
                "required".to_string()
            }
        };
        error(path, message)
    })
}

/// Where in the tree a value is: a chain of keys and indices up to the root.
enum At<'p> {
    Root,
    Key(&'p At<'p>, &'p str),
    Index(&'p At<'p>, usize),
}

impl At<'_> {
    /// `policy.routes[1].match.tag["env"]`: struct keys after dots, list indices, and the keys of
    /// maps that hold user keys (account ids, tag names) in brackets, quoted as in JSON; each key
    /// cut to 64 characters. Also gives the number of segments.
    fn text(&self) -> (String, usize) {
        let mut segments = Vec::new();
        let mut here = self;
        loop {
            match here {
                At::Root => break,
                At::Key(up, _) | At::Index(up, _) => {
                    segments.push(here);
                    here = up;
                }
            }
        }
        let mut out = String::new();
        let mut field: Option<&str> = None;
        for seg in segments.iter().rev() {
            match seg {
                At::Index(_, n) => {
                    out.push_str(&format!("[{n}]"));
                    field = None;
                }
                At::Key(_, k) if matches!(field, Some("accounts" | "tags" | "tag")) => {
                    out.push_str(&format!("[\"{}\"]", shown(k).replace('\\', "\\\\").replace('"', "\\\"")));
                    field = None;
                }
                At::Key(_, k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&shown(k));
                    field = Some(k);
                }
                At::Root => {}
            }
        }
        (out, segments.len())
    }
}

/// An error while reading the tree: the innermost place that knew where it was names it.
#[derive(Debug)]
pub(crate) struct ReadError {
    at: Option<(String, usize)>,
    problem: Problem,
}

/// What went wrong. The derived readers report unknown and missing keys through serde's own
/// `unknown_field` and `missing_field`, kept apart here so that they are worded in the project's
/// terms (and a missing key named in the path) without parsing serde's messages.
#[derive(Debug)]
enum Problem {
    Message(String),
    /// An unknown key, with the keys that are known.
    UnknownKey(&'static [&'static str]),
    Missing(&'static str),
}

impl ReadError {
    fn at(mut self, at: &At) -> ReadError {
        if self.at.is_none() {
            self.at = Some(at.text());
        }
        self
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Message(m) => f.write_str(m),
            Problem::UnknownKey(known) => write!(f, "unknown key (known: {})", known.join(", ")),
            Problem::Missing(field) => write!(f, "{field}: required"),
        }
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ReadError { at: None, problem: Problem::Message(message.to_string()) }
    }
    fn unknown_field(_: &str, expected: &'static [&'static str]) -> Self {
        ReadError { at: None, problem: Problem::UnknownKey(expected) }
    }
    fn missing_field(field: &'static str) -> Self {
        ReadError { at: None, problem: Problem::Missing(field) }
    }
}

/// The tree as a serde `Deserializer`, at one place in it.
struct De<'t, 'p> {
    node: &'t Json<'t>,
    at: &'p At<'p>,
}

impl De<'_, '_> {
    fn wrong(&self, what: &str) -> ReadError {
        de::Error::custom(expected(what, self.node.kind()))
    }
}

impl<'de> Deserializer<'de> for De<'_, '_> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ReadError> {
        match self.node {
            Json::Null => v.visit_unit(),
            Json::Bool(b) => v.visit_bool(*b),
            Json::Num(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => v.visit_u64(u),
                (None, Some(i)) => v.visit_i64(i),
                (None, None) => v.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::Str(s) => v.visit_str(s),
            Json::Arr(items) => v.visit_seq(Items { items: items.iter().enumerate(), at: self.at }),
            Json::Obj(members) => v.visit_map(Members { members: members.iter(), value: None, at: self.at }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ReadError> {
        match self.node {
            Json::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ReadError> {
        match self.node {
            Json::Str(s) => v.visit_str(s),
            _ => Err(self.wrong("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ReadError> {
        self.deserialize_str(v)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ReadError> {
        // NOTE: each kind visited directly, never through `deserialize_any`, which would
        // instantiate the visitor's other methods: serde's defaults for them bring its
        // `Unexpected` names and core's float formatting.
        match self.node {
            Json::Arr(items) => v.visit_seq(Items { items: items.iter().enumerate(), at: self.at }),
            _ => Err(self.wrong("a list")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ReadError> {
        match self.node {
            Json::Obj(members) => v.visit_map(Members { members: members.iter(), value: None, at: self.at }),
            _ => Err(self.wrong("an object")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], v: V) -> Result<V::Value, ReadError> {
        self.deserialize_map(v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct
        newtype_struct tuple tuple_struct enum identifier ignored_any
    }
}

/// A list's items, each at its index.
struct Items<'t, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'t, Json<'t>>>,
    at: &'p At<'p>,
}

impl<'de> de::SeqAccess<'de> for Items<'_, '_> {
    type Error = ReadError;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, ReadError> {
        let Some((i, node)) = self.items.next() else { return Ok(None) };
        let at = At::Index(self.at, i);
        seed.deserialize(De { node, at: &at }).map(Some).map_err(|e| e.at(&at))
    }
}

/// An object's members, each value at its key.
struct Members<'t, 'p> {
    members: std::slice::Iter<'t, (Cow<'t, str>, Json<'t>)>,
    value: Option<&'t (Cow<'t, str>, Json<'t>)>,
    at: &'p At<'p>,
}

impl<'de> de::MapAccess<'de> for Members<'_, '_> {
    type Error = ReadError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ReadError> {
        let Some(member) = self.members.next() else { return Ok(None) };
        self.value = Some(member);
        let key: de::value::StrDeserializer<ReadError> = de::value::StrDeserializer::new(&member.0);
        // An unknown key is named in the path itself.
        seed.deserialize(key).map(Some).map_err(|e| e.at(&At::Key(self.at, &member.0)))
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let Some((key, node)) = self.value.take() else { return Err(de::Error::custom("a value without its key")) };
        let at = At::Key(self.at, key);
        seed.deserialize(De { node, at: &at }).map_err(|e| e.at(&at))
    }
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
}
