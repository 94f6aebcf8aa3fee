//! Options: read once per call from a JSON object, validated, with defaults.

use crate::accounts::{self, Account};
use crate::error::{shown, Error};
use crate::i18n::Locale;
use crate::policy::{self, Policy};
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::HashMap;

pub const DEFAULT_MAX_MESSAGES: usize = 10;
const KNOWN: &str = "accounts, policy, timezone, locale, channel, username, iconEmoji, maxMessagesPerEvent";

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
            policy: Policy::default(),
        }
    }
}

fn err(name: &str, message: impl Into<String>) -> Error {
    Error::Option { name: name.to_string(), message: message.into() }
}

fn string(name: &str, v: &Value) -> Result<Option<String>, Error> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(err(name, format!("expected a string, found {}", crate::error::kind_of(other)))),
    }
}

/// An IANA time zone name, e.g. `Asia/Seoul`.
pub fn parse_timezone(name: &str) -> Result<Tz, Error> {
    name.trim().parse::<Tz>().map_err(|_| {
        err("timezone", format!("unknown time zone \"{}\" (use an IANA name such as \"UTC\" or \"Asia/Seoul\")", shown(name)))
    })
}

impl Config {
    /// Options from a JSON object; `null` means all defaults. Unknown keys are errors, so a
    /// misspelt option is never silently ignored.
    pub fn from_json(v: &Value) -> Result<Config, Error> {
        let mut c = Config::default();
        let map = match v {
            Value::Null => return Ok(c),
            Value::Object(m) => m,
            other => {
                return Err(Error::Shape { path: "options".into(), expected: "an object", found: crate::error::kind_of(other) })
            }
        };
        for (key, val) in map {
            match key.as_str() {
                "accounts" => c.accounts = accounts::parse(val)?,
                "policy" => c.policy = policy::parse(val)?,
                "timezone" => {
                    if let Some(tz) = string(key, val)? {
                        c.timezone = parse_timezone(&tz)?;
                    }
                }
                "locale" => {
                    if let Some(l) = string(key, val)? {
                        c.locale = Locale::parse(&l).ok_or_else(|| err(key, format!("unknown locale \"{}\" (use \"en\" or \"ko\")", shown(&l))))?;
                    }
                }
                "channel" => c.channel = string(key, val)?,
                "username" => c.username = string(key, val)?,
                "iconEmoji" => c.icon_emoji = string(key, val)?,
                "maxMessagesPerEvent" => {
                    c.max_messages = match val {
                        Value::Null => DEFAULT_MAX_MESSAGES,
                        Value::Number(n) => match n.as_f64() {
                            Some(f) if f.fract() == 0.0 && (1.0..=1000.0).contains(&f) => f as usize,
                            _ => return Err(err(key, format!("expected a whole number from 1 to 1000, found {n}"))),
                        },
                        other => {
                            return Err(err(key, format!("expected a number, found {}", crate::error::kind_of(other))))
                        }
                    }
                }
                other => return Err(err(&shown(other), format!("unknown option (known: {KNOWN})"))),
            }
        }
        Ok(c)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_values() {
        let c = Config::from_json(&Value::Null).unwrap();
        assert_eq!((c.timezone, c.locale, c.max_messages), (Tz::UTC, Locale::En, 10));
        let c = Config::from_json(&json!({"timezone": "Asia/Seoul", "locale": "ko", "maxMessagesPerEvent": 3,
            "accounts": {"111122223333": "prod"}})).unwrap();
        assert_eq!(c.timezone, Tz::Asia__Seoul);
        assert_eq!(c.account_name("111122223333"), Some("prod"));
        assert_eq!(c.max_messages, 3);
    }

    #[test]
    fn bad_options_say_which() {
        let e = |v: Value| Config::from_json(&v).unwrap_err().to_string();
        assert!(e(json!({"timezone": "Mars/Base"})).starts_with("options.timezone: unknown time zone \"Mars/Base\""));
        assert!(e(json!({"locale": "fr"})).starts_with("options.locale: unknown locale"));
        assert!(e(json!({"maxMessagesPerEvent": 0})).starts_with("options.maxMessagesPerEvent:"));
        assert!(e(json!({"timeZone": "UTC"})).starts_with("options.timeZone: unknown option"));
        assert!(e(json!({"accounts": {"1": 2}})).starts_with("options.accounts[\"1\"]: expected a name"));
        assert!(e(json!({"accounts": []})).starts_with("options.accounts: expected an object"));
    }
}
