//! Accounts: what the `accounts` option says about each account id (a name, and where it sits in
//! the organisation). The Lambda fills it from AWS Organizations or a static map.

use crate::error::{kind_of, shown, Error};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One account as the options describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    /// The OU path from the root, e.g. `Root/Prod/Web` (no leading or trailing `/`).
    pub ou: Option<String>,
    /// The account's tags (AWS Organizations `ListTagsForResource`).
    pub tags: BTreeMap<String, String>,
}

fn err(name: String, message: impl Into<String>) -> Error {
    Error::Option { name, message: message.into() }
}

/// `accounts`: account id -> `"name"` or `{ name, ou?, tags? }`.
pub fn parse(v: &Value) -> Result<HashMap<String, Account>, Error> {
    match v {
        Value::Null => Ok(HashMap::new()),
        Value::Object(m) => m
            .iter()
            .map(|(id, entry)| {
                let at = format!("accounts[\"{}\"]", shown(id));
                Ok((id.trim().to_string(), account(entry, &at)?))
            })
            .collect(),
        other => Err(err("accounts".into(), format!("expected an object of account id -> name, found {}", kind_of(other)))),
    }
}

fn account(v: &Value, at: &str) -> Result<Account, Error> {
    match v {
        Value::String(s) => Ok(Account { name: s.clone(), ..Account::default() }),
        Value::Object(m) => described(m, at),
        other => Err(err(at.to_string(), format!("expected a name (string) or {{ name, ou?, tags? }}, found {}", kind_of(other)))),
    }
}

fn described(m: &Map<String, Value>, at: &str) -> Result<Account, Error> {
    let mut a = Account::default();
    let mut named = false;
    for (key, v) in m {
        let here = format!("{at}.{}", shown(key));
        match (key.as_str(), v) {
            ("name", Value::String(s)) => {
                a.name = s.clone();
                named = true;
            }
            ("ou", Value::String(s)) => a.ou = Some(ou_path(s)).filter(|p| !p.is_empty()),
            ("ou", Value::Null) => {}
            ("tags", Value::Object(tags)) => {
                for (k, t) in tags {
                    match t {
                        Value::String(s) => a.tags.insert(k.clone(), s.clone()),
                        other => return Err(err(format!("{here}[\"{}\"]", shown(k)), format!("expected a string, found {}", kind_of(other)))),
                    };
                }
            }
            ("tags", Value::Null) => {}
            ("name" | "ou", other) => return Err(err(here, format!("expected a string, found {}", kind_of(other)))),
            ("tags", other) => return Err(err(here, format!("expected an object of tag -> value, found {}", kind_of(other)))),
            _ => return Err(err(here, "unknown key (known: name, ou, tags)")),
        }
    }
    if !named {
        return Err(err(at.to_string(), "missing \"name\""));
    }
    Ok(a)
}

/// An OU path as written by people or by the Lambda: `/Root/Prod/` and `Root/Prod` are the same.
pub fn ou_path(s: &str) -> String {
    s.split('/').map(str::trim).filter(|seg| !seg.is_empty()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_alone_or_with_ou_and_tags() {
        let a = parse(&json!({"111122223333": "prod", " 444455556666 ": {"name": "web", "ou": "/Root/Prod/Web/", "tags": {"env": "prod"}}})).unwrap();
        assert_eq!(a["111122223333"], Account { name: "prod".into(), ..Account::default() });
        let web = &a["444455556666"];
        assert_eq!((web.name.as_str(), web.ou.as_deref()), ("web", Some("Root/Prod/Web")));
        assert_eq!(web.tags.get("env").map(String::as_str), Some("prod"));
    }

    #[test]
    fn bad_entries_name_the_key() {
        let e = |v: Value| parse(&v).unwrap_err().to_string();
        assert_eq!(e(json!({"1": 2})), "options.accounts[\"1\"]: expected a name (string) or { name, ou?, tags? }, found a number");
        assert_eq!(e(json!({"1": {"ou": "Root"}})), "options.accounts[\"1\"]: missing \"name\"");
        assert_eq!(e(json!({"1": {"name": "a", "team": "x"}})), "options.accounts[\"1\"].team: unknown key (known: name, ou, tags)");
        assert_eq!(e(json!({"1": {"name": "a", "tags": {"env": 1}}})), "options.accounts[\"1\"].tags[\"env\"]: expected a string, found a number");
        assert_eq!(e(json!({"1": {"name": ["a"]}})), "options.accounts[\"1\"].name: expected a string, found a list");
    }
}
