//! Lenient, path-aware reads of CloudTrail JSON. Publishers re-serialise events in many ways
//! (ports as strings, booleans as "True", account ids as numbers, lower-cased keys), so a read
//! accepts every spelling that means the same thing and reports anything else with its path.

use crate::error::Error;
use crate::path::Path;
use serde_json::Value;

pub type Result<T> = std::result::Result<T, Error>;

/// A peripheral field (one no message needs in order to exist) that could not be read: the
/// message still goes out and shows it as unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The field as messages name it, e.g. `userAgent`.
    pub field: &'static str,
    /// What is wrong and where, e.g. `detail.userAgent: expected a string, found an object`.
    pub warning: String,
}

/// The value of a peripheral read; when it fails, `None`, and the failure is noted in `sink`.
pub fn lenient<T>(sink: &mut Vec<Unreadable>, field: &'static str, read: Result<Option<T>>) -> Option<T> {
    read.unwrap_or_else(|e| {
        sink.push(Unreadable { field, warning: e.to_string() });
        None
    })
}

/// A member of an object; `None` when `v` is not an object, the key is absent, or it is null.
pub fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v.as_object()?.get(key)? {
        Value::Null => None,
        found => Some(found),
    }
}

/// Like [`get`], falling back to a case-insensitive match (some exporters lower-case keys).
pub fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    get(v, key).or_else(|| {
        let obj = v.as_object()?;
        obj.iter()
            .find(|(k, val)| k.eq_ignore_ascii_case(key) && !val.is_null())
            .map(|(_, val)| val)
    })
}

/// A text value: strings as they are, numbers and booleans as their JSON text.
pub fn text(v: Option<&Value>, path: &Path) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(Error::shape(path.to_string(), "a string", other)),
    }
}

/// `text` of `key` in `obj`.
pub fn text_at(obj: &Value, key: &str, path: &Path) -> Result<Option<String>> {
    text(get(obj, key), &path.key(key))
}

/// An optional integer (ports, ICMP types): a number or a numeric string.
pub fn int_at(obj: &Value, key: &str, path: &Path) -> Result<Option<i64>> {
    let Some(v) = get(obj, key) else { return Ok(None) };
    let found = match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64)),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    found.map(Some).ok_or_else(|| Error::shape(path.key(key).to_string(), "an integer", v))
}

/// A boolean, also spelled "true"/"True"/"false".
pub fn bool_at(obj: &Value, key: &str, path: &Path) -> Result<Option<bool>> {
    match get(obj, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(Error::shape(path.key(key).to_string(), "a boolean", other)),
    }
}

/// An object, or an error naming what was found instead.
pub fn object_at<'v>(obj: &'v Value, key: &str, path: &Path) -> Result<Option<&'v Value>> {
    match get(obj, key) {
        None => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(other) => Err(Error::shape(path.key(key).to_string(), "an object", other)),
    }
}

/// The members of a CloudTrail collection at `obj[key]`.
///
/// NOTE: CloudTrail logs EC2 lists as `{"items": [...]}` and an empty list as `{}`. Events that
/// went through other tools may carry a bare list instead; both are accepted. A lone object
/// under `items` (XML-to-JSON converters emit that for one member) is read as a list of one.
pub fn items_at<'v>(obj: &'v Value, key: &str, path: &Path) -> Result<Vec<&'v Value>> {
    let Some(v) = get(obj, key) else { return Ok(Vec::new()) };
    match v {
        Value::Array(list) => Ok(list.iter().collect()),
        Value::Object(map) => match map.get("items") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(list)) => Ok(list.iter().collect()),
            Some(one @ Value::Object(_)) => Ok(vec![one]),
            Some(other) => {
                Err(Error::shape(path.key(key).key("items").to_string(), "a list", other))
            }
        },
        other => Err(Error::shape(path.key(key).to_string(), "an object with items", other)),
    }
}

/// Each member of the collection `obj[key]` (see [`items_at`]), which must be an object, read by
/// `read` with its own path (`key.items[i]`).
pub fn map_objects<T>(
    obj: &Value,
    key: &str,
    path: &Path,
    mut read: impl FnMut(&Value, &Path) -> Result<T>,
) -> Result<Vec<T>> {
    let list = path.key(key);
    let items = list.key("items");
    items_at(obj, key, path)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let p = items.index(i);
            if !v.is_object() {
                return Err(Error::shape(p.to_string(), "an object", v));
            }
            read(v, &p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_accepts_cloudtrail_and_plain_lists() {
        let root = Path::root("");
        let v = json!({"a": {}, "b": {"items": [1, 2]}, "c": [3], "d": {"items": "x"}, "e": "x"});
        assert_eq!(items_at(&v, "a", &root).unwrap().len(), 0);
        assert_eq!(items_at(&v, "b", &root).unwrap().len(), 2);
        assert_eq!(items_at(&v, "c", &root).unwrap().len(), 1);
        assert_eq!(items_at(&v, "missing", &root).unwrap().len(), 0);
        assert_eq!(
            items_at(&v, "d", &root).unwrap_err().to_string(),
            "d.items: expected a list, found a string"
        );
        assert_eq!(
            items_at(&v, "e", &root).unwrap_err().to_string(),
            "e: expected an object with items, found a string"
        );
    }

    #[test]
    fn ints_and_bools_take_every_published_spelling() {
        let root = Path::root("");
        let v = json!({"p": "443", "q": 22, "r": "x", "s": "True", "t": 22.0});
        assert_eq!(int_at(&v, "p", &root).unwrap(), Some(443));
        assert_eq!(int_at(&v, "q", &root).unwrap(), Some(22));
        assert_eq!(int_at(&v, "t", &root).unwrap(), Some(22));
        assert!(int_at(&v, "r", &root).is_err());
        assert_eq!(bool_at(&v, "s", &root).unwrap(), Some(true));
    }

    #[test]
    fn case_insensitive_fallback() {
        let v = json!({"accountid": "1", "userName": "u"});
        assert_eq!(get_ci(&v, "accountId"), Some(&json!("1")));
        assert_eq!(get_ci(&v, "userName"), Some(&json!("u")));
    }
}
