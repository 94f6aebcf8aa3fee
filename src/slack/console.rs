//! Links into the AWS console (the CloudTrail event, the security group) and the event time as
//! the team reads it.

use crate::escape;
use chrono_tz::Tz;
use std::fmt::Write;

/// The event time in the configured zone: `2021-01-24 13:55:45 KST (Asia/Seoul)`. A time in no
/// form [`crate::time::parse_utc`] reads is shown as it was written (escaped).
pub fn event_time(raw: Option<&str>, tz: Tz) -> String {
    let Some(raw) = raw else { return "?".into() };
    crate::time::in_zone(raw, tz).unwrap_or_else(|| escape::text(raw, 64))
}

/// The AWS console host for a region, or None when the region is not a plausible region name.
pub(crate) fn console_host(region: &str) -> Option<String> {
    let plausible = region.len() <= 32
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region.contains('-')
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !plausible {
        return None;
    }
    Some(if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com".to_string()
    } else if region.starts_with("cn-") {
        "console.amazonaws.cn".to_string()
    } else {
        format!("{region}.console.aws.amazon.com")
    })
}

fn is_resource_id(s: &str, prefix: &str) -> bool {
    s.len() <= 64 && s.starts_with(prefix) && s[prefix.len()..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// Links to the event in CloudTrail and to the group in EC2, as mrkdwn, each after ` · `. None
/// when the region is not plausible (a link must never carry user text into the URL's host).
pub(crate) fn links(out: &mut String, region: Option<&str>, event_id: Option<&str>, group_id: Option<&str>, open_event: &str, open_group: &str) {
    let Some((host, region)) = region.and_then(|r| console_host(r).map(|h| (h, r))) else { return };
    if let Some(id) = event_id {
        let _ = write!(
            out,
            " · <https://{host}/cloudtrailv2/home?region={region}#/events/{}|{open_event}>",
            escape::url_component(id)
        );
    }
    if let Some(sg) = group_id.filter(|g| is_resource_id(g, "sg-")) {
        let _ = write!(out, " · <https://{host}/ec2/home?region={region}#SecurityGroup:groupId={sg}|{open_group}>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_configured_zone() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        assert_eq!(event_time(Some("2021-01-24T04:55:45Z"), Tz::UTC), "2021-01-24 04:55:45 UTC");
        assert_eq!(event_time(Some("2021-01-24T04:55:45Z"), seoul), "2021-01-24 13:55:45 KST (Asia/Seoul)");
        assert_eq!(event_time(Some("2021-01-24 04:55:45.000"), seoul), "2021-01-24 13:55:45 KST (Asia/Seoul)");
        assert_eq!(event_time(Some("<soon>"), seoul), "&lt;soon&gt;");
    }

    #[test]
    fn console_hosts_by_partition() {
        assert_eq!(console_host("eu-west-1").as_deref(), Some("eu-west-1.console.aws.amazon.com"));
        assert_eq!(console_host("us-gov-west-1").as_deref(), Some("console.amazonaws-us-gov.com"));
        assert_eq!(console_host("cn-north-1").as_deref(), Some("console.amazonaws.cn"));
        assert_eq!(console_host("..."), None);
        assert_eq!(console_host("x|y>"), None);
    }

    #[test]
    fn links_only_for_plausible_regions_and_ids() {
        let mut s = String::new();
        links(&mut s, Some("eu-west-1"), Some("a b"), Some("sg-0abc"), "event", "group");
        assert_eq!(
            s,
            " · <https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/a%20b|event> \
             · <https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0abc|group>"
        );
        let mut s = String::new();
        links(&mut s, Some("x|y"), Some("e"), Some("sg-1"), "event", "group");
        links(&mut s, Some("eu-west-1"), None, Some("sg-1|x"), "event", "group");
        assert_eq!(s, "");
    }
}
