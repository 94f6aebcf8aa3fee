//! Lenient, path-aware reads of CloudTrail JSON. Publishers re-serialise events in many ways
//! (ports as strings, booleans as "True", account ids as numbers, lower-cased keys), so a read
//! accepts every spelling that means the same thing and reports anything else with its path.

use crate::error::Error;
use crate::path::Path;
use crate::json::Json;

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
pub fn get<'v, 'a>(v: &'v Json<'a>, key: &str) -> Option<&'v Json<'a>> {
    v.get(key)
}

/// Like [`get`], falling back to a case-insensitive match (some exporters lower-case keys).
pub fn get_ci<'v, 'a>(v: &'v Json<'a>, key: &str) -> Option<&'v Json<'a>> {
    v.get_ci(key)
}

/// The error for a value of the wrong type at `path`.
pub fn shape(path: String, expected: &'static str, found: &Json) -> Error {
    Error::Shape { path, expected, found: found.kind() }
}

/// A text value: strings as they are, numbers and booleans as their JSON text.
pub fn text(v: Option<&Json>, path: &Path) -> Result<Option<String>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s.to_string())),
        Some(Json::Num(n)) => Ok(Some(n.to_string())),
        Some(Json::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(shape(path.to_string(), "a string", other)),
    }
}

/// `text` of `key` in `obj`.
pub fn text_at(obj: &Json, key: &str, path: &Path) -> Result<Option<String>> {
    text(get(obj, key), &path.key(key))
}

/// An optional integer (ports, ICMP types): a number or a numeric string.
pub fn int_at(obj: &Json, key: &str, path: &Path) -> Result<Option<i64>> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => int(v, &path.key(key)),
    }
}

/// An integer value: a number or a numeric string; a blank string is no value.
pub fn int(v: &Json, path: &Path) -> Result<Option<i64>> {
    let found = match v {
        Json::Num(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64)),
        Json::Str(s) if s.trim().is_empty() => return Ok(None),
        Json::Str(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    found.map(Some).ok_or_else(|| shape(path.to_string(), "an integer", v))
}

/// A boolean, also spelled "true"/"True"/"false".
pub fn bool_at(obj: &Json, key: &str, path: &Path) -> Result<Option<bool>> {
    match get(obj, key) {
        None => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(Json::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Json::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(shape(path.key(key).to_string(), "a boolean", other)),
    }
}

/// An object, or an error naming what was found instead.
pub fn object<'v, 'a>(v: Option<&'v Json<'a>>, path: &Path) -> Result<Option<&'v Json<'a>>> {
    match v {
        None => Ok(None),
        Some(v @ Json::Obj(_)) => Ok(Some(v)),
        Some(other) => Err(shape(path.to_string(), "an object", other)),
    }
}

/// The members of a CloudTrail collection at `obj[key]`.
///
/// NOTE: CloudTrail logs EC2 lists as `{"items": [...]}` and an empty list as `{}`. Events that
/// went through other tools may carry a bare list instead; both are accepted. A lone object
/// under `items` (XML-to-JSON converters emit that for one member) is read as a list of one.
pub fn items_at<'v, 'a>(obj: &'v Json<'a>, key: &str, path: &Path) -> Result<&'v [Json<'a>]> {
    let Some(v) = get(obj, key) else { return Ok(&[]) };
    match v {
        Json::Arr(list) => Ok(list),
        Json::Obj(_) => match v.get("items") {
            None => Ok(&[]),
            Some(Json::Arr(list)) => Ok(list),
            Some(one @ Json::Obj(_)) => Ok(std::slice::from_ref(one)),
            Some(other) => Err(shape(path.key(key).key("items").to_string(), "a list", other)),
        },
        other => Err(shape(path.key(key).to_string(), "an object with items", other)),
    }
}

/// Each member of the collection `obj[key]` (see [`items_at`]), which must be an object, read by
/// `read` with its own path (`key.items[i]`).
pub fn map_objects<T>(
    obj: &Json,
    key: &str,
    path: &Path,
    mut read: impl FnMut(&Json, &Path) -> Result<T>,
) -> Result<Vec<T>> {
    let list = path.key(key);
    let items = list.key("items");
    items_at(obj, key, path)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = items.index(i);
            if !v.is_object() {
                return Err(shape(p.to_string(), "an object", v));
            }
            read(v, &p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON text as a borrowed tree, for these tests.
    fn json(text: &str) -> Json<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn items_accepts_cloudtrail_and_plain_lists() {
        let root = Path::root("");
        let v = json(r#"{"a": {}, "b": {"items": [1, 2]}, "c": [3], "d": {"items": "x"}, "e": "x"}"#);
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
        let v = json(r#"{"p": "443", "q": 22, "r": "x", "s": "True", "t": 22.0}"#);
        assert_eq!(int_at(&v, "p", &root).unwrap(), Some(443));
        assert_eq!(int_at(&v, "q", &root).unwrap(), Some(22));
        assert_eq!(int_at(&v, "t", &root).unwrap(), Some(22));
        assert!(int_at(&v, "r", &root).is_err());
        assert_eq!(bool_at(&v, "s", &root).unwrap(), Some(true));
    }

    #[test]
    fn case_insensitive_fallback() {
        let v = json(r#"{"accountid": "1", "userName": "u"}"#);
        assert_eq!(get_ci(&v, "accountId").and_then(Json::as_str), Some("1"));
        assert_eq!(get_ci(&v, "userName").and_then(Json::as_str), Some("u"));
    }
}
