//! Slack rendering: one incoming-webhook payload per rule (or per group of rules when an event
//! changes more than `maxMessagesPerEvent`), Block Kit inside one attachment for the colour bar.
//! Limits: <https://api.slack.com/reference/block-kit/blocks> (50 blocks, section text 3,000,
//! 10 fields of 2,000, header 150).

use crate::cloudtrail::Record;
use crate::config::Config;
use crate::escape::{self, code, truncate};
use crate::i18n::Labels;
use crate::risk::{self, port_name, Severity};
use crate::rules::{Change, Changes, Direction, Group, Peer, Protocol, Rule};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION: usize = 3000;
pub const MAX_FIELD: usize = 2000;
pub const MAX_FIELDS: usize = 10;
pub const MAX_HEADER: usize = 150;
/// Our bound on all text in one message's blocks (Slack rejects far larger messages).
pub const MAX_MESSAGE_TEXT: usize = 12_000;

// Bounds on user-controlled strings, in characters before escaping (AWS allows 255 for names and
// descriptions).
const ID: usize = 128;
const DESC: usize = 256;
const LONG: usize = 512;

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Payload {
    pub text: String,
    pub attachments: Vec<Attachment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_emoji: Option<String>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Attachment {
    pub color: &'static str,
    pub fallback: String,
    pub blocks: Vec<Block>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Header {
        text: Text,
    },
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    Context {
        elements: Vec<Text>,
    },
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
pub enum Text {
    #[serde(rename = "plain_text")]
    Plain { text: String, emoji: bool },
    #[serde(rename = "mrkdwn")]
    Mrkdwn { text: String },
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Plain { text, .. } | Text::Mrkdwn { text } => text,
        }
    }
}

fn md(s: String) -> Text {
    Text::Mrkdwn { text: s }
}

fn field(label: &str, value: String) -> Text {
    md(truncate(&format!("*{label}*\n{value}"), MAX_FIELD))
}

/// All the characters of text in a payload's blocks.
pub fn block_text_len(p: &Payload) -> usize {
    p.attachments
        .iter()
        .flat_map(|a| a.blocks.iter())
        .map(|b| match b {
            Block::Header { text } => text.as_str().chars().count(),
            Block::Section { text, fields } => {
                text.as_ref().map_or(0, |t| t.as_str().chars().count())
                    + fields.iter().map(|f| f.as_str().chars().count()).sum::<usize>()
            }
            Block::Context { elements } => elements.iter().map(|e| e.as_str().chars().count()).sum(),
        })
        .sum()
}

/// One rendered message and what the caller needs to know about it.
pub struct Rendered {
    pub payload: Payload,
    pub severity: Severity,
    pub summary: String,
    pub rule_ids: Vec<String>,
}

/// Everything about an event that every one of its messages shows.
pub struct Event<'a> {
    pub rec: &'a Record<'a>,
    pub group: &'a Group,
    pub owner: Option<&'a str>,
    pub cfg: &'a Config,
}

impl Event<'_> {
    fn l(&self) -> &'static Labels {
        self.cfg.locale.labels()
    }

    /// Messages for this event's changes.
    pub fn render(&self, changes: &Changes) -> Vec<Rendered> {
        let root = self.rec.principal.is_root();
        let failed = self.rec.failed();
        match changes {
            Changes::Created | Changes::Deleted => {
                let sev = risk::event_severity(changes, root, failed, &self.cfg.policy.exposure);
                let l = self.l();
                let title = if *changes == Changes::Created { l.group_created } else { l.group_deleted };
                let title = format!("{title}: {}", self.group_plain());
                let mut fields = Vec::new();
                if let Some(d) = &self.group.description {
                    fields.push(field(l.description, escape::text(d, DESC)));
                }
                vec![self.message(sev, &title, Some(fields), None, Vec::new())]
            }
            Changes::Rules(rules) if rules.len() <= self.cfg.max_messages => rules
                .iter()
                .map(|r| {
                    let sev = risk::rule_severity(r, root, failed, &self.cfg.policy.exposure);
                    let title = rule_line(r, self.l());
                    self.message(sev, &title, Some(rule_fields(r, self.l())), None, r.rule_id.iter().cloned().collect())
                })
                .collect(),
            Changes::Rules(rules) => self.grouped(rules, root, failed),
        }
    }

    /// More rules than messages allowed: as few messages as the limits allow, every rule listed.
    fn grouped(&self, rules: &[Rule], root: bool, failed: bool) -> Vec<Rendered> {
        let l = self.l();
        let lines: Vec<String> = rules.iter().map(|r| format!("• {}", rule_line_md(r, l))).collect();
        // Room for rule lines: the limit less what the rest of a message takes (measured on an
        // empty message), with slack for the header's counts.
        let fixed = block_text_len(&self.message(Severity::Info, "", None, Some(Vec::new()), Vec::new()).payload);
        let budget = MAX_MESSAGE_TEXT.saturating_sub(fixed + MAX_HEADER + 64).max(MAX_SECTION);
        let max_sections = MAX_BLOCKS - 6;
        let mut chunks: Vec<(usize, usize)> = Vec::new(); // rule index ranges
        let (mut start, mut used, mut sections, mut section_len) = (0usize, 0usize, 1usize, 0usize);
        for (i, line) in lines.iter().enumerate() {
            let n = line.chars().count().min(MAX_SECTION) + 1;
            let new_section = section_len + n > MAX_SECTION;
            let fits = used + n <= budget && (!new_section || sections < max_sections);
            if i > start && !fits {
                chunks.push((start, i));
                start = i;
                used = 0;
                sections = 1;
                section_len = 0;
            } else if new_section && i > start {
                sections += 1;
                section_len = 0;
            }
            used += n;
            section_len += n;
        }
        chunks.push((start, lines.len()));
        let total = rules.len();
        let parts = chunks.len();
        chunks
            .iter()
            .map(|&(a, b)| {
                let slice = &rules[a..b];
                let sev = slice
                    .iter()
                    .map(|r| risk::rule_severity(r, root, failed, &self.cfg.policy.exposure))
                    .max()
                    .unwrap_or(Severity::Info);
                let kind = group_kind(rules, l);
                let mut title = format!("{total} {kind}");
                if parts > 1 {
                    title.push_str(&format!(" ({} {}–{} {} {total})", l.rules, a + 1, b, l.of));
                }
                let mut sections = Vec::new();
                let mut cur = String::new();
                for line in &lines[a..b] {
                    let line = truncate(line, MAX_SECTION - 1);
                    if !cur.is_empty() && cur.chars().count() + line.chars().count() + 1 > MAX_SECTION {
                        sections.push(std::mem::take(&mut cur));
                    }
                    if !cur.is_empty() {
                        cur.push('\n');
                    }
                    cur.push_str(&line);
                }
                if !cur.is_empty() {
                    sections.push(cur);
                }
                let ids = slice.iter().filter_map(|r| r.rule_id.clone()).collect();
                self.message(sev, &title, None, Some(sections), ids)
            })
            .collect()
    }

    fn group_plain(&self) -> String {
        let g = self.group;
        match (&g.id, &g.name) {
            (Some(id), Some(name)) => format!("{id} ({name})"),
            (Some(id), None) => id.clone(),
            (None, Some(name)) => name.clone(),
            (None, None) => self.l().unknown.to_string(),
        }
    }

    /// The account that owns the group.
    pub(crate) fn owner_id(&self) -> Option<&str> {
        self.owner
            .or(self.rec.recipient_account.as_deref())
            .or(self.rec.principal.account_id.as_deref())
    }

    fn account_md(&self, id: Option<&str>) -> String {
        let l = self.l();
        match id {
            Some(id) => {
                let mut s = match (self.cfg.account_name(id), l.unknown_account) {
                    (Some(n), _) => format!("{} ({})", escape::text(n, ID), code(id, ID)),
                    (None, "") => code(id, ID),
                    (None, unnamed) => format!("{unnamed} ({})", code(id, ID)),
                };
                if let Some(ou) = self.cfg.account_ou(id) {
                    s.push_str(&format!("\n{}: {}", l.ou, escape::text(ou, LONG)));
                }
                s
            }
            None => l.unknown.to_string(),
        }
    }

    fn account_plain(&self) -> String {
        let l = self.l();
        match self.owner_id() {
            Some(id) => match (self.cfg.account_name(id), l.unknown_account) {
                (Some(n), _) => format!("{n} ({id})"),
                (None, "") => id.to_string(),
                (None, unnamed) => format!("{unnamed} ({id})"),
            },
            None => l.unknown.to_string(),
        }
    }

    fn principal_md(&self) -> String {
        let p = &self.rec.principal;
        let mut s = format!("{} ({})", escape::text(&p.name, LONG), escape::text(&p.kind, ID));
        if let (Some(caller), owner) = (p.account_id.as_deref(), self.owner_id()) {
            if Some(caller) != owner {
                let named = self.cfg.account_name(caller).map(|n| format!("{} ", escape::text(n, ID))).unwrap_or_default();
                s.push_str(&format!(" · {} {named}{}", self.l().from_account, code(caller, ID)));
            }
        }
        s
    }

    fn group_md(&self) -> String {
        let g = self.group;
        let mut s = match (&g.id, &g.name) {
            (Some(id), Some(name)) => format!("{} ({})", code(id, ID), escape::text(name, ID)),
            (Some(id), None) => code(id, ID),
            (None, Some(name)) => escape::text(name, ID),
            (None, None) => self.l().unknown.to_string(),
        };
        if let Some(vpc) = &g.vpc_id {
            s.push_str(&format!(" · {}", code(vpc, ID)));
        }
        s
    }

    fn meta_fields(&self) -> Vec<Text> {
        let l = self.l();
        let r = self.rec;
        let or_unknown = |v: &Option<String>| v.as_deref().map_or_else(|| l.unknown.to_string(), |s| code(s, ID));
        vec![
            field(l.account, self.account_md(self.owner_id())),
            field(l.group, self.group_md()),
            field(l.principal, self.principal_md()),
            field(l.source_ip, or_unknown(&r.source_ip)),
            field(l.region, or_unknown(&r.region)),
            field(l.time, event_time(r.event_time.as_deref(), self.cfg.timezone)),
        ]
    }

    fn context(&self) -> Text {
        let l = self.l();
        let r = self.rec;
        let mut parts = vec![code(&r.event_name, ID)];
        if let Some(id) = &r.event_id {
            parts.push(code(id, ID));
        }
        if let Some(host) = r.region.as_deref().and_then(console_host) {
            let region = r.region.as_deref().unwrap_or_default();
            if let Some(id) = &r.event_id {
                parts.push(format!(
                    "<https://{host}/cloudtrailv2/home?region={region}#/events/{}|{}>",
                    escape::url_component(id),
                    l.open_cloudtrail
                ));
            }
            if let Some(sg) = self.group.id.as_deref().filter(|g| is_resource_id(g, "sg-")) {
                parts.push(format!("<https://{host}/ec2/home?region={region}#SecurityGroup:groupId={sg}|{}>", l.open_group));
            }
        }
        if let Some(ua) = &r.user_agent {
            parts.push(format!("{} {}", l.via, escape::text(ua, 100)));
        }
        md(truncate(&parts.join(" · "), MAX_SECTION))
    }

    /// One message. `rule_fields` for a single rule, `rule_sections` for grouped rule lines.
    fn message(
        &self,
        severity: Severity,
        title: &str,
        rule_fields: Option<Vec<Text>>,
        rule_sections: Option<Vec<String>>,
        rule_ids: Vec<String>,
    ) -> Rendered {
        let l = self.l();
        let sev_word = match severity {
            Severity::Critical => l.critical,
            Severity::Warning => l.warning,
            Severity::Info => l.info,
        };
        let failed = self.rec.error_code.as_deref();
        let status = if failed.is_some() { format!("{} · ", l.not_applied) } else { String::new() };
        let header = truncate(
            &format!("{} {sev_word} · {status}{}", severity.icon(), escape::text(title, 400)),
            MAX_HEADER,
        );
        let mut blocks = vec![Block::Header { text: Text::Plain { text: header, emoji: true } }];
        if let Some(code_) = failed {
            let msg = self.rec.error_message.as_deref().map(|m| format!(": {}", escape::text(m, LONG))).unwrap_or_default();
            blocks.push(Block::Section {
                text: Some(md(truncate(&format!("⛔ *{}* — {}{msg}", l.not_applied, code(code_, ID)), MAX_SECTION))),
                fields: Vec::new(),
            });
        }
        if let Some(fields) = rule_fields.filter(|f| !f.is_empty()) {
            blocks.push(Block::Section { text: None, fields: fields.into_iter().take(MAX_FIELDS).collect() });
        }
        for s in rule_sections.unwrap_or_default() {
            blocks.push(Block::Section { text: Some(md(s)), fields: Vec::new() });
        }
        blocks.push(Block::Section { text: None, fields: self.meta_fields() });
        blocks.push(Block::Context { elements: vec![self.context()] });

        // Create/Delete titles name the group already.
        let group = self.group_plain();
        let group = if title.contains(&group) { String::new() } else { format!(" · {group}") };
        let text = truncate(
            &format!(
                "{} [{sev_word}] {status}{}{} · {} · {}",
                severity.icon(),
                escape::text(title, 300),
                escape::text(&group, ID),
                escape::text(&self.account_plain(), 2 * ID),
                escape::text(&self.rec.principal.name, ID),
            ),
            1000,
        );
        // NOTE: bounded like `text`: the title and names are user text of any length.
        let summary = truncate(&format!("{status}{title}{group} · {}", self.account_plain()), 1000);
        let c = self.cfg;
        Rendered {
            payload: Payload {
                text: text.clone(),
                attachments: vec![Attachment { color: severity.color(), fallback: text, blocks }],
                channel: c.channel.clone(),
                username: c.username.clone(),
                icon_emoji: c.icon_emoji.clone(),
            },
            severity,
            summary,
            rule_ids,
        }
    }
}

fn protocol_plain(p: &Protocol, l: &Labels) -> String {
    match p {
        Protocol::Tcp => "TCP".into(),
        Protocol::Udp => "UDP".into(),
        Protocol::Icmp => "ICMP".into(),
        Protocol::Icmpv6 => "ICMPv6".into(),
        Protocol::All => l.all_traffic.into(),
        Protocol::Other(n) => format!("{} {n}", l.protocol_n),
        Protocol::Unknown => l.unknown.into(),
    }
}

fn ports_plain(r: &Rule, l: &Labels) -> String {
    let any = |v: Option<i64>| match v {
        None | Some(-1) => l.any.to_string(),
        Some(n) => n.to_string(),
    };
    match r.protocol {
        Protocol::All | Protocol::Other(_) => l.all_ports.into(),
        Protocol::Icmp | Protocol::Icmpv6 => {
            format!("{} {}, {} {}", l.icmp_type, any(r.from_port), l.icmp_code, any(r.to_port))
        }
        Protocol::Tcp | Protocol::Udp if risk::covers_all_ports(r) => {
            format!("{} (0-65535)", l.all_ports)
        }
        _ => match (r.from_port, r.to_port) {
            (Some(f), Some(t)) if f == t => match port_name(f) {
                Some(name) => format!("{f} ({name})"),
                None => f.to_string(),
            },
            (Some(f), Some(t)) => {
                let named: Vec<&str> = risk::sensitive_ports_in(r).iter().map(|(_, n)| *n).collect();
                if named.is_empty() || named.len() > 4 {
                    format!("{f}-{t}")
                } else {
                    format!("{f}-{t} ({})", named.join(", "))
                }
            }
            (Some(f), None) => f.to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => l.unknown.into(),
        },
    }
}

fn peer_plain(p: &Peer, l: &Labels) -> String {
    match p {
        Peer::Ipv4(c) | Peer::Ipv6(c) if p.is_world() => format!("{c} ({})", l.anywhere),
        Peer::Ipv4(c) | Peer::Ipv6(c) => c.clone(),
        Peer::PrefixList(id) => format!("{id} ({})", l.prefix_list),
        Peer::Group { id, name, account, peering } => {
            let mut s = match (id, name) {
                (Some(id), Some(n)) => format!("{id} ({n})"),
                (Some(id), None) => id.clone(),
                (None, Some(n)) => n.clone(),
                (None, None) => l.security_group.to_string(),
            };
            if let Some(a) = account {
                s.push_str(&format!(", {} {a}", l.account.to_lowercase()));
            }
            if let Some(pcx) = peering {
                s.push_str(&format!(", {pcx}"));
            }
            s
        }
        Peer::Unknown => l.details_missing.into(),
    }
}

fn change_word(c: Change, l: &Labels) -> &'static str {
    match c {
        Change::Added => l.added,
        Change::Removed => l.removed,
        Change::Modified => l.modified,
        Change::DescriptionUpdated => l.description_updated,
    }
}

fn rule_title(r: &Rule, l: &Labels) -> String {
    let change = change_word(r.change, l);
    match r.direction {
        Direction::Ingress => format!("{} {} {change}", l.ingress, l.rule),
        Direction::Egress => format!("{} {} {change}", l.egress, l.rule),
        Direction::Unknown => format!("{} {change}", l.rule_cap),
    }
}

fn peer_word(r: &Rule, l: &Labels) -> &'static str {
    match r.direction {
        Direction::Ingress => l.from_word,
        Direction::Egress => l.to_word,
        Direction::Unknown => l.peer_word,
    }
}

/// The rule in one plain line: "Inbound rule added: TCP 22 (SSH) from 0.0.0.0/0 (anywhere)".
pub fn rule_line(r: &Rule, l: &Labels) -> String {
    if r.protocol == Protocol::Unknown && r.peer == Peer::Unknown {
        let id = r.rule_id.as_deref().unwrap_or(l.unknown);
        return format!("{}: {id} ({})", rule_title(r, l), l.details_missing);
    }
    format!(
        "{}: {} {} {}",
        rule_title(r, l),
        what_plain(r, l),
        peer_word(r, l),
        peer_plain(&r.peer, l)
    )
}

/// Protocol and ports together: "TCP 22 (SSH)", "All traffic", "IP protocol 50, all ports".
fn what_plain(r: &Rule, l: &Labels) -> String {
    match r.protocol {
        Protocol::All => l.all_traffic.to_string(),
        Protocol::Other(_) => format!("{}, {}", protocol_plain(&r.protocol, l), l.all_ports.to_lowercase()),
        _ => format!("{} {}", protocol_plain(&r.protocol, l), ports_plain(r, l)),
    }
}

/// The rule as one mrkdwn line, for grouped messages.
fn rule_line_md(r: &Rule, l: &Labels) -> String {
    let mut s = format!("{}: {} {} {}", rule_title(r, l), code(&what_plain(r, l), ID), peer_word(r, l), peer_md(&r.peer, l));
    if let Some(d) = &r.description {
        s.push_str(&format!(" — _{}_", escape::text(d, DESC)));
    }
    if let Some(id) = &r.rule_id {
        s.push_str(&format!(" · {}", code(id, ID)));
    }
    if r.not_found {
        s.push_str(&format!(" · ⚠️ {}", l.not_found));
    }
    s
}

fn peer_md(p: &Peer, l: &Labels) -> String {
    match p {
        Peer::Ipv4(c) | Peer::Ipv6(c) if p.is_world() => format!("{} ({})", code(c, ID), l.anywhere),
        Peer::Ipv4(c) | Peer::Ipv6(c) => code(c, ID),
        Peer::PrefixList(id) => format!("{} ({})", code(id, ID), l.prefix_list),
        Peer::Unknown => l.details_missing.into(),
        Peer::Group { id, name, account, peering } => {
            let mut s = match (id, name) {
                (Some(id), Some(n)) => format!("{} ({})", code(id, ID), escape::text(n, ID)),
                (Some(id), None) => code(id, ID),
                (None, Some(n)) => escape::text(n, ID),
                (None, None) => l.security_group.to_string(),
            };
            if let Some(a) = account {
                s.push_str(&format!(", {} {}", l.account.to_lowercase(), code(a, ID)));
            }
            if let Some(pcx) = peering {
                s.push_str(&format!(", {}", code(pcx, ID)));
            }
            s
        }
    }
}

fn rule_fields(r: &Rule, l: &Labels) -> Vec<Text> {
    let peer_label = match r.direction {
        Direction::Ingress => l.source,
        Direction::Egress => l.destination,
        Direction::Unknown => l.peer,
    };
    let mut f = vec![
        field(l.rule_cap, escape::text(&rule_title(r, l), ID)),
        field(l.protocol, escape::text(&protocol_plain(&r.protocol, l), ID)),
        field(l.ports, code(&ports_plain(r, l), ID)),
        field(peer_label, peer_md(&r.peer, l)),
    ];
    if let Some(d) = &r.description {
        f.push(field(l.description, escape::text(d, DESC)));
    }
    if let Some(id) = &r.rule_id {
        f.push(field(l.rule_id, code(id, ID)));
    }
    if r.not_found {
        f.push(field("⚠️", l.not_found.to_string()));
    }
    f
}

fn group_kind(rules: &[Rule], l: &Labels) -> String {
    let Some(first) = rules.first() else { return format!("{} {}", l.rules, l.changed) };
    let same = rules.iter().all(|r| r.direction == first.direction && r.change == first.change);
    if same && first.direction != Direction::Unknown {
        let dir = if first.direction == Direction::Ingress { l.ingress } else { l.egress };
        format!("{dir} {} {}", l.rules, change_word(first.change, l))
    } else {
        format!("{} {}", l.rules, l.changed)
    }
}

/// The event time in the configured zone: `2021-01-24 13:55:45 KST (Asia/Seoul)`. CloudTrail
/// writes RFC 3339; some exporters write `2021-01-24 04:55:45.000` (UTC). Anything else is
/// shown as it was written.
pub fn event_time(raw: Option<&str>, tz: Tz) -> String {
    let Some(raw) = raw else { return "?".into() };
    let utc: Option<DateTime<Utc>> = DateTime::parse_from_rfc3339(raw.trim())
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.fZ"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(raw.trim(), f).ok())
                .map(|n| Utc.from_utc_datetime(&n))
        });
    match utc {
        Some(t) => {
            let local = t.with_timezone(&tz);
            let mut s = local.format("%Y-%m-%d %H:%M:%S %Z").to_string();
            if tz != Tz::UTC {
                s.push_str(&format!(" ({})", tz.name()));
            }
            s
        }
        None => escape::text(raw, 64),
    }
}

/// The AWS console host for a region, or None when the region is not a plausible region name.
fn console_host(region: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;

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
    fn ports_read_like_people_write_them() {
        let mut r = Rule {
            direction: Direction::Ingress,
            change: Change::Added,
            protocol: Protocol::Tcp,
            from_port: Some(22),
            to_port: Some(22),
            peer: Peer::Ipv4("0.0.0.0/0".into()),
            description: None,
            rule_id: None,
            not_found: false,
        };
        assert_eq!(ports_plain(&r, &EN), "22 (SSH)");
        r.from_port = Some(1024);
        r.to_port = Some(1100);
        assert_eq!(ports_plain(&r, &EN), "1024-1100");
        r.to_port = Some(2048);
        assert_eq!(ports_plain(&r, &EN), "1024-2048 (SQL Server, SQL Server Browser, Oracle DB)");
        r.protocol = Protocol::Icmp;
        r.from_port = Some(8);
        r.to_port = Some(-1);
        assert_eq!(ports_plain(&r, &EN), "type 8, code any");
        r.protocol = Protocol::All;
        assert_eq!(rule_line(&r, &EN), "Inbound rule added: All traffic from 0.0.0.0/0 (anywhere)");
    }
}
