//! Making user-controlled text safe for Slack mrkdwn.
//!
//! Slack reads `<...>` as a link or mention (`<!channel>`, `<@U123>`, `<https://x|label>`) and
//! `&` as the start of an entity, so `&`, `<` and `>` are escaped in every string that came from
//! the event. Line breaks and other control characters would let a description forge extra lines
//! of the message, and bidirectional overrides would let it reorder what a reader sees: both
//! become spaces. Text is cut to a bound so no user string can push a block past Slack's limits.

/// Escape and bound `s` to at most `max` characters (plus an ellipsis when cut).
pub fn text(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4) + 8);
    push_text(&mut out, s, max);
    out
}

/// [`text`], written at the end of `out`.
pub fn push_text(out: &mut String, s: &str, max: usize) {
    push_escaped(out, s, max, false);
}

/// Escaped text as inline code. A backtick inside would end the code span early; it is shown
/// as a look-alike instead.
pub fn code(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4) + 10);
    push_code(&mut out, s, max);
    out
}

/// [`code`], written at the end of `out`.
pub fn push_code(out: &mut String, s: &str, max: usize) {
    out.push('`');
    push_escaped(out, s, max, true);
    out.push('`');
}

fn push_escaped(out: &mut String, s: &str, max: usize, in_code: bool) {
    // NOTE: the common case (short, plain ASCII) is copied whole: bytes bound characters.
    let plain = |b: &u8| b.is_ascii_graphic() && !matches!(b, b'&' | b'<' | b'>' | b'`') || *b == b' ';
    if s.len() <= max && s.as_bytes().iter().all(plain) {
        out.push_str(s);
        return;
    }
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' if in_code => out.push('ˋ'),
            c if c.is_control() => out.push(' '),
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Percent-encoding for a URL fragment or query value (unreserved characters kept).
pub fn url_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// Cut already-safe text to `max` characters.
pub fn truncate(s: &str, max: usize) -> String {
    fit(s.to_string(), max)
}

/// [`truncate`] of an owned string: returned as it is when it fits (the common case, decided
/// without counting characters when its bytes already fit).
pub fn fit(s: String, max: usize) -> String {
    if s.len() <= max || s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    // Never leave half an entity (`&am`) behind.
    if let Some(amp) = out.rfind('&') {
        if !out[amp..].contains(';') {
            out.truncate(amp);
        }
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_links_cannot_survive() {
        assert_eq!(text("<!channel> & <https://evil.example|Click>", 100), "&lt;!channel&gt; &amp; &lt;https://evil.example|Click&gt;");
        assert_eq!(text("a\nb\u{202E}c", 100), "a b c");
        assert_eq!(code("a`b", 10), "`aˋb`");
        assert_eq!(text("abcdef", 3), "abc…");
        assert_eq!(text("plain ascii", 100), "plain ascii");
        assert_eq!(code("sg-1 `x`", 100), "`sg-1 ˋxˋ`");
        assert_eq!(text("a`b", 10), "a`b", "a backtick is only special inside code");
        assert_eq!(text("tab\there", 100), "tab here");
    }

    #[test]
    fn truncate_keeps_entities_whole() {
        assert_eq!(truncate("ab&amp;cd", 5), "ab…");
        assert_eq!(truncate("short", 10), "short");
    }

    #[test]
    fn url_component_encodes_reserved() {
        assert_eq!(url_component("a b/c|d"), "a%20b%2Fc%7Cd");
    }
}
