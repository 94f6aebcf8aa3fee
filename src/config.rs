//! Options: read once per call from JSON with a derived `Deserialize` that rejects unknown keys,
//! validated into [`Config`]. Every error names its key path (`options.policy.routes[1].match`)
//! and says what is wrong in the project's words ([`read_value`], [`read_str`]).

use crate::accounts::{Account, Accounts};
use crate::color::ColorScheme;
use crate::error::{shown, Error};
use crate::i18n::Locale;
use crate::policy::Policy;
use chrono_tz::Tz;
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::Deserialize;
use serde_json::Value;
use serde_path_to_error::Segment;
use std::collections::HashMap;
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
    channel: Option<String>,
    username: Option<String>,
    icon_emoji: Option<String>,
    max_messages_per_event: Option<MaxMessages>,
    color_scheme: Option<Scheme>,
}

/// An IANA time zone name, e.g. `Asia/Seoul`.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct TimeZone(Tz);

impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        name.trim().parse::<Tz>().map(TimeZone).map_err(|_| {
            format!("unknown time zone \"{}\" (use an IANA name such as \"UTC\" or \"Asia/Seoul\")", shown(&name))
        })
    }
}

#[derive(Deserialize)]
#[serde(try_from = "String")]
struct LocaleName(Locale);

impl TryFrom<String> for LocaleName {
    type Error = String;
    fn try_from(l: String) -> Result<Self, String> {
        Locale::parse(&l).map(LocaleName).ok_or_else(|| format!("unknown locale \"{}\" (use \"en\" or \"ko\")", shown(&l)))
    }
}

#[derive(Deserialize)]
#[serde(try_from = "String")]
struct Scheme(ColorScheme);

impl TryFrom<String> for Scheme {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ColorScheme::parse(&s)
            .map(Scheme)
            .ok_or_else(|| format!("unknown colour scheme \"{}\" (use \"severity\" or \"action\")", shown(&s)))
    }
}

/// `maxMessagesPerEvent`: a whole number from 1 to 1000 (`3.0` counts as whole, as in JSON).
struct MaxMessages(usize);

impl<'de> Deserialize<'de> for MaxMessages {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MaxMessages;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number from 1 to 1000")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<MaxMessages, E> {
                match usize::try_from(n) {
                    Ok(n) if (1..=1000).contains(&n) => Ok(MaxMessages(n)),
                    _ => Err(E::invalid_value(Unexpected::Unsigned(n), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<MaxMessages, E> {
                u64::try_from(n).map_err(|_| E::invalid_value(Unexpected::Signed(n), &self)).and_then(|n| self.visit_u64(n))
            }
            fn visit_f64<E: de::Error>(self, f: f64) -> Result<MaxMessages, E> {
                if f.fract() == 0.0 && (1.0..=1000.0).contains(&f) {
                    return Ok(MaxMessages(f as usize));
                }
                Err(E::invalid_value(Unexpected::Float(f), &self))
            }
        }
        d.deserialize_any(V)
    }
}

impl From<Options> for Config {
    fn from(o: Options) -> Config {
        let d = Config::default();
        Config {
            accounts: o.accounts.map_or(d.accounts, |a| a.0),
            timezone: o.timezone.map_or(d.timezone, |t| t.0),
            locale: o.locale.map_or(d.locale, |l| l.0),
            channel: o.channel,
            username: o.username,
            icon_emoji: o.icon_emoji,
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
        let o: Option<Obj<Options>> = read_value(v, "option", option_error)?;
        Ok(o.map(|o| Config::from(o.0)).unwrap_or_default())
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

/// A derived struct read from a JSON object only: serde's derive also takes a list of the
/// fields in order, which no option or burst means.
pub(crate) struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, m: M) -> Result<Obj<T>, M::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(m)).map(Obj)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Deserialises `T` from a parsed value. `top_noun` names an unknown key at the top ("option");
/// `error` builds the error from the key path (empty for the value itself) and the message.
pub(crate) fn read_value<'de, T: Deserialize<'de>>(
    v: &'de Value,
    top_noun: &str,
    error: fn(String, String) -> Error,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(v).map_err(|e| located(&e, top_noun, error))
}

/// Deserialises `T` straight from JSON text (`what` names the text in a syntax error).
pub(crate) fn read_str<'de, T: Deserialize<'de>>(
    text: &'de str,
    what: &str,
    top_noun: &str,
    error: fn(String, String) -> Error,
) -> Result<T, Error> {
    let json_error = |e: &serde_json::Error| Error::Json { path: what.to_string(), message: e.to_string() };
    let mut de = serde_json::Deserializer::from_str(text);
    let out = serde_path_to_error::deserialize(&mut de).map_err(|e| match e.inner().classify() {
        serde_json::error::Category::Data => located(&e, top_noun, error),
        _ => json_error(e.inner()),
    })?;
    de.end().map_err(|e| json_error(&e))?;
    Ok(out)
}

fn located(e: &serde_path_to_error::Error<serde_json::Error>, top_noun: &str, error: fn(String, String) -> Error) -> Error {
    let (mut path, depth) = path_text(e.path());
    let inner = e.inner();
    let text = inner.to_string();
    // Text errors end in " at line L column C"; the key path says where, more usefully.
    let suffix = format!(" at line {} column {}", inner.line(), inner.column());
    let raw = if inner.line() > 0 { text.strip_suffix(&suffix).unwrap_or(&text) } else { &text };
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

/// `policy.routes[1].match.tag["env"]`: struct fields after dots, list indices and the keys of
/// maps that hold user keys (account ids, tag names) in brackets; each key cut to 64 characters.
/// Also gives the number of segments.
fn path_text(path: &serde_path_to_error::Path) -> (String, usize) {
    let mut out = String::new();
    let mut field: Option<&str> = None;
    let mut depth = 0;
    for seg in path.iter() {
        depth += 1;
        match seg {
            Segment::Seq { index } => {
                out.push_str(&format!("[{index}]"));
                field = None;
            }
            Segment::Map { key } if matches!(field, Some("accounts" | "tags" | "tag")) => {
                out.push_str(&format!("[\"{}\"]", shown(key)));
                field = None;
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&shown(key));
                field = Some(key);
            }
            Segment::Unknown => {
                out.push_str("[?]");
                field = None;
            }
        }
    }
    (out, depth)
}

/// serde's standard messages in the project's words (`expected a string, found a number`); a
/// missing field comes back separately, to be named in the path. Our own messages pass as they are.
fn clear(raw: &str, noun: &str) -> (Option<String>, String) {
    // NOTE: the expectation (after the last ", expected ") is always ours; the unexpected part
    // before it may hold user text, so it is only classified, never trusted to hold no comma.
    if let Some((unexp, exp)) = raw.strip_prefix("invalid type: ").and_then(|r| r.rsplit_once(", expected ")) {
        return (None, format!("expected {}, found {}", expected(exp), kind(unexp)));
    }
    if let Some((unexp, exp)) = raw.strip_prefix("invalid value: ").and_then(|r| r.rsplit_once(", expected ")) {
        let found = match unexp.split('`').nth(1) {
            Some(n) if unexp.starts_with("integer") || unexp.starts_with("floating point") => n.to_string(),
            _ => kind(unexp).to_string(),
        };
        return (None, format!("expected {}, found {found}", expected(exp)));
    }
    if let Some(rest) = raw.strip_prefix("unknown field `") {
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

/// What serde_json found, named as the messages name JSON values.
fn kind(unexp: &str) -> &'static str {
    let starts = |p: &str| unexp.starts_with(p);
    if starts("string") {
        "a string"
    } else if starts("integer") || starts("floating point") {
        "a number"
    } else if starts("boolean") {
        "a boolean"
    } else if starts("sequence") {
        "a list"
    } else if starts("map") {
        "an object"
    } else if starts("null") || starts("unit") {
        "null"
    } else {
        "another kind of value"
    }
}

/// serde's names for JSON's list and object in the project's words.
fn expected(exp: &str) -> &str {
    match exp {
        "a sequence" => "a list",
        "a map" => "an object",
        other => other,
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
        }
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
        assert_eq!(clear("invalid type: string \"a, expected b\", expected a list", "key").1, "expected a list, found a string");
        assert_eq!(clear("invalid type: map, expected a sequence", "key").1, "expected a list, found an object");
        assert_eq!(clear("invalid value: integer `-1`, expected a whole number", "key").1, "expected a whole number, found -1");
        assert_eq!(clear("unknown field `x`, expected `a` or `b`", "key").1, "unknown key (known: a, b)");
        assert_eq!(clear("unknown field `x, expected `y``, expected one of `a`, `b`, `c`", "option").1, "unknown option (known: a, b, c)");
        assert_eq!(clear("missing field `name`", "key"), (Some("name".into()), "required".into()));
        assert_eq!(clear("port 1 is not a default sensitive port", "key").1, "port 1 is not a default sensitive port");
    }
}
