//! Accounts: what the `accounts` option says about each account id (a name, and where it sits in
//! the organisation). The Lambda fills it from AWS Organizations or a static map.

use crate::config::{reject, Str, Tags};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// One account as the options describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    /// The OU path from the root, e.g. `Root/Prod/Web` (no leading or trailing `/`).
    pub ou: Option<String>,
    /// The account's tags (AWS Organizations `ListTagsForResource`).
    pub tags: BTreeMap<String, String>,
}

/// `accounts`: account id -> `"name"` or `{ name, ou?, tags? }` (ids trimmed).
pub(crate) struct Accounts(pub HashMap<String, Account>);

impl<'de> Deserialize<'de> for Accounts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Accounts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of account id -> name")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Accounts, M::Error> {
                let mut out = HashMap::new();
                while let Some(id) = m.next_key::<String>()? {
                    let entry: Entry = m.next_value()?;
                    out.insert(id.trim().to_string(), entry.0);
                }
                Ok(Accounts(out))
            }
            reject!('de, "an object of account id -> name"; bool null number str seq);
        }
        d.deserialize_any(V)
    }
}

/// One entry: a name alone, or an object.
struct Entry(Account);

/// The object form of an entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Described {
    name: Str,
    ou: Option<Str>,
    tags: Option<Tags>,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a name (string) or { name, ou?, tags? }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Entry, E> {
                Ok(Entry(Account { name: s.to_string(), ..Account::default() }))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Entry, M::Error> {
                let d = Described::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(Entry(Account {
                    name: d.name.0,
                    ou: d.ou.map(|o| ou_path(&o.0)).filter(|p| !p.is_empty()),
                    tags: d.tags.map(|t| t.0).unwrap_or_default(),
                }))
            }
            reject!('de, "a name (string) or { name, ou?, tags? }"; bool null number seq);
        }
        d.deserialize_any(V)
    }
}

/// An OU path as written by people or by the Lambda: `/Root/Prod/` and `Root/Prod` are the same.
pub fn ou_path(s: &str) -> String {
    s.split('/').map(str::trim).filter(|seg| !seg.is_empty()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use serde_json::{json, Value};

    fn parse(v: Value) -> Result<HashMap<String, Account>, crate::Error> {
        Config::from_json(&json!({ "accounts": v })).map(|c| c.accounts)
    }

    #[test]
    fn names_alone_or_with_ou_and_tags() {
        let a = parse(json!({"111122223333": "prod", " 444455556666 ": {"name": "web", "ou": "/Root/Prod/Web/", "tags": {"env": "prod"}}})).unwrap();
        assert_eq!(a["111122223333"], Account { name: "prod".into(), ..Account::default() });
        let web = &a["444455556666"];
        assert_eq!((web.name.as_str(), web.ou.as_deref()), ("web", Some("Root/Prod/Web")));
        assert_eq!(web.tags.get("env").map(String::as_str), Some("prod"));
        // An empty OU path is no OU; null OU and tags are absent ones.
        let bare = &parse(json!({"1": {"name": "a", "ou": "/", "tags": null}})).unwrap()["1"];
        assert_eq!(bare, &Account { name: "a".into(), ..Account::default() });
    }

    #[test]
    fn bad_entries_name_the_key() {
        let e = |v: Value| parse(v).unwrap_err().to_string();
        assert_eq!(e(json!({"1": 2})), "options.accounts[\"1\"]: expected a name (string) or { name, ou?, tags? }, found a number");
        assert_eq!(e(json!({"1": {"ou": "Root"}})), "options.accounts[\"1\"].name: required");
        assert_eq!(e(json!({"1": {"name": "a", "team": "x"}})), "options.accounts[\"1\"].team: unknown key (known: name, ou, tags)");
        assert_eq!(e(json!({"1": {"name": "a", "tags": {"env": 1}}})), "options.accounts[\"1\"].tags[\"env\"]: expected a string, found a number");
        assert_eq!(e(json!({"1": {"name": ["a"]}})), "options.accounts[\"1\"].name: expected a string, found a list");
        assert_eq!(e(json!({"1": {"name": "a", "tags": ["env"]}})), "options.accounts[\"1\"].tags: expected an object of tag -> value, found a list");
        assert_eq!(e(json!("prod")), "options.accounts: expected an object of account id -> name, found a string");
        // User keys that look like field names stay keys: brackets, not dots.
        assert_eq!(e(json!({"tags": {"name": "a", "tags": {"tags": 1}}})), "options.accounts[\"tags\"].tags[\"tags\"]: expected a string, found a number");
    }
}
