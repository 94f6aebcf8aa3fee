//! JSON text to a value, with the one leniency real producers need: a lone UTF-16 surrogate
//! escape (`"\ud800"`), which JavaScript's JSON.stringify and Python's json.dumps both write
//! for broken strings, becomes U+FFFD instead of failing the whole event.

use crate::error::Error;
use serde_json::Value;
use std::borrow::Cow;

/// Parse `text`; `path` names where the text came from for the error message.
pub fn parse(text: &str, path: &str) -> Result<Value, Error> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(first) => match replace_lone_surrogates(text) {
            Cow::Owned(repaired) => serde_json::from_str(&repaired),
            Cow::Borrowed(_) => Err(first),
        }
        .map_err(|e| Error::Json { path: path.to_string(), message: e.to_string() }),
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

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(parse(r#"["a\ud800b"]"#, "").unwrap(), serde_json::json!(["a\u{FFFD}b"]));
        assert_eq!(parse(r#"["\udc00"]"#, "").unwrap(), serde_json::json!(["\u{FFFD}"]));
        assert_eq!(parse(r#"["\ud83d\ude00"]"#, "").unwrap(), serde_json::json!(["😀"]));
        assert_eq!(parse(r#"["\\ud800"]"#, "").unwrap(), serde_json::json!(["\\ud800"]));
    }

    #[test]
    fn other_errors_keep_their_message_and_path() {
        let e = parse("{x", "Records[0].body").unwrap_err();
        assert_eq!(e.to_string(), "Records[0].body: invalid JSON: key must be a string at line 1 column 2");
    }
}
