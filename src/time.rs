//! Event times. CloudTrail writes RFC 3339 (`2021-01-24T04:55:45Z`); some exporters write
//! `2021-01-24 04:55:45.000` (UTC). Read and written by hand: chrono's general parser and
//! `strftime` machinery were a tenth of the wasm code for two fixed formats.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

/// The instant `raw` names, in UTC; `None` when it is not one of the forms above.
pub fn parse_utc(raw: &str) -> Option<NaiveDateTime> {
    let b = raw.trim().as_bytes();
    let num = |at: usize, len: usize| -> Option<u32> {
        let digits = b.get(at..at + len)?;
        digits.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && matches!(b.get(10), Some(b'T' | b't' | b' ')) && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    let mut t = date.and_hms_opt(num(11, 2)?, num(14, 2)?, num(17, 2)?)?;
    let mut i = 19;
    if sep(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') if i + 1 == b.len() => {}
        Some(&s @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b':') => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let offset = i64::from(h * 3600 + m * 60);
            t = t.checked_sub_signed(TimeDelta::seconds(if s == b'+' { offset } else { -offset }))?;
        }
        _ => return None,
    }
    Some(t)
}

/// `YYYY-MM-DD HH:MM:SS` (with `T` between date and time when `t_sep`).
fn push2(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

pub fn write_date_time(out: &mut String, t: &impl chrono::Datelike, h: u32, m: u32, s: u32, t_sep: bool) {
    let y = t.year().clamp(0, 9999) as u32;
    push2(out, y / 100);
    push2(out, y % 100);
    out.push('-');
    push2(out, t.month());
    out.push('-');
    push2(out, t.day());
    out.push(if t_sep { 'T' } else { ' ' });
    push2(out, h);
    out.push(':');
    push2(out, m);
    out.push(':');
    push2(out, s);
}

/// RFC 3339 in UTC, to the second: `2021-01-24T04:55:45Z`.
pub fn rfc3339(t: &NaiveDateTime) -> String {
    use chrono::Timelike;
    let mut out = String::with_capacity(20);
    write_date_time(&mut out, t, t.hour(), t.minute(), t.second(), true);
    out.push('Z');
    out
}

/// The event time in the zone `tz`: `2021-01-24 13:55:45 KST (Asia/Seoul)`, or
/// `2021-01-24 04:55:45 UTC`. `None` when `raw` is not a time [`parse_utc`] reads.
pub fn in_zone(raw: &str, tz: Tz) -> Option<String> {
    use chrono::Timelike;
    let utc = parse_utc(raw)?;
    let mut out = String::with_capacity(48);
    if tz == Tz::UTC {
        // NOTE: UTC needs no zone table: chrono-tz's lookup is one 20 KB function that a first
        // call would otherwise compile.
        write_date_time(&mut out, &utc, utc.hour(), utc.minute(), utc.second(), false);
        out.push_str(" UTC");
        return Some(out);
    }
    Some(in_named_zone(&utc, tz, out))
}

/// [`in_zone`] for a zone other than UTC. NOTE: its own function, never inlined, so that a
/// first call in UTC does not make V8 compile chrono-tz's zone lookup (V8 compiles a wasm
/// function whole, on its first use).
#[inline(never)]
fn in_named_zone(utc: &NaiveDateTime, tz: Tz, mut out: String) -> String {
    use chrono::{TimeZone, Timelike};
    use chrono_tz::OffsetName;
    let local = tz.from_utc_datetime(utc);
    write_date_time(&mut out, &local, local.hour(), local.minute(), local.second(), false);
    out.push(' ');
    match local.offset().abbreviation() {
        Some(name) => out.push_str(name),
        // Zones without a letter abbreviation are named by their offset, as tzdata does: `+03`,
        // `+0530`.
        None => {
            let secs = chrono::Offset::fix(local.offset()).local_minus_utc();
            out.push(if secs < 0 { '-' } else { '+' });
            let (h, m) = (secs.unsigned_abs() / 3600, secs.unsigned_abs() / 60 % 60);
            push2(&mut out, h);
            if m != 0 {
                push2(&mut out, m);
            }
        }
    }
    out.push_str(" (");
    out.push_str(tz.name());
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_cloudtrail_and_exporters_write() {
        let at = |s: &str| parse_utc(s).map(|t| t.and_utc().timestamp());
        assert_eq!(at("2021-01-24T04:55:45Z"), Some(1_611_464_145));
        assert_eq!(at(" 2021-01-24T13:55:45+09:00 "), Some(1_611_464_145));
        assert_eq!(at("2021-01-23T23:55:45-05:00"), Some(1_611_464_145));
        assert_eq!(at("2021-01-24 04:55:45.000"), Some(1_611_464_145));
        assert_eq!(at("2021-01-24T04:55:45.123456Z"), Some(1_611_464_145));
        assert_eq!(at("2021-01-24 04:55:45.5Z"), Some(1_611_464_145));
        for bad in ["soon", "2021-01-24", "2021-02-30T00:00:00Z", "2021-01-24T24:00:00Z", "2021-01-24T04:55:45.Z",
            "2021-01-24T04:55:45+0900", "2021-01-24T04:55:45Zx", "２０２１-01-24T04:55:45Z", "2021-01-24T04:55:45+24:00"] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn shows_times_in_the_zone_with_its_abbreviation() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        assert_eq!(in_zone("2021-01-24T04:55:45Z", Tz::UTC).unwrap(), "2021-01-24 04:55:45 UTC");
        assert_eq!(in_zone("2021-01-24T04:55:45Z", seoul).unwrap(), "2021-01-24 13:55:45 KST (Asia/Seoul)");
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(in_zone("2021-07-01T12:00:00Z", ny).unwrap(), "2021-07-01 08:00:00 EDT (America/New_York)");
        assert_eq!(in_zone("2021-01-01T12:00:00Z", ny).unwrap(), "2021-01-01 07:00:00 EST (America/New_York)");
        assert_eq!(in_zone("soon", seoul), None);
        // Zones whose tzdata names are offsets.
        let istanbul: Tz = "Europe/Istanbul".parse().unwrap();
        assert_eq!(in_zone("2021-01-24T04:55:45Z", istanbul).unwrap(), "2021-01-24 07:55:45 +03 (Europe/Istanbul)");
        let kathmandu: Tz = "Asia/Kathmandu".parse().unwrap();
        assert_eq!(in_zone("2021-01-24T04:55:45Z", kathmandu).unwrap(), "2021-01-24 10:40:45 +0545 (Asia/Kathmandu)");
        // The same text as chrono's own `%Z` for every zone at a summer and a winter instant.
        for tz in chrono_tz::TZ_VARIANTS {
            for raw in ["2021-01-24T04:55:45Z", "2021-07-24T04:55:45Z"] {
                use chrono::TimeZone;
                let utc = parse_utc(raw).unwrap();
                let mut want = tz.from_utc_datetime(&utc).format("%Y-%m-%d %H:%M:%S %Z").to_string();
                if tz != Tz::UTC {
                    want.push_str(&format!(" ({})", tz.name()));
                }
                assert_eq!(in_zone(raw, tz).unwrap(), want);
            }
        }
    }

    #[test]
    fn writes_rfc3339_in_utc() {
        let t = parse_utc("2021-01-24T13:55:45.9+09:00").unwrap();
        assert_eq!(rfc3339(&t), "2021-01-24T04:55:45Z");
    }
}
