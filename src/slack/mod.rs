//! Slack rendering: one incoming-webhook payload per rule (or per group of rules when an event
//! changes more than `maxMessagesPerEvent`), Block Kit inside one attachment for the colour bar.
//! The severity of each message is decided before (`risk::rate`, in the pipeline) and handed in.
//!
//! - [`blocks`]: the Block Kit model and Slack's limits ([`Payload::check_limits`]);
//! - `describe`: the wording of rules, protocols, ports and peers, plain or mrkdwn;
//! - `console`: console links and the event time in the team's zone;
//! - here: what every message of an event shows (account, group, who, where, when, the context
//!   line), computed once per event, and the composition of each message.

pub mod blocks;
mod console;
mod describe;

pub use blocks::{Attachment, Block, Payload, Text, MAX_BLOCKS, MAX_FIELD, MAX_FIELDS, MAX_HEADER, MAX_MESSAGE_TEXT, MAX_SECTION, MAX_TEXT};
pub(crate) use console::event_time;

use crate::cloudtrail::Record;
use crate::config::Config;
use crate::escape::{self, fit, push_code, push_text};
use crate::fields::Unreadable;
use crate::i18n::Labels;
use crate::risk::Severity;
use crate::rules::{Changes, Direction, Group, Rule};
use blocks::{field, md};
use describe::{Style, DESC, ID, LONG};
use std::fmt::Write;

/// One rendered message and what the caller needs to know about it.
pub(crate) struct Rendered {
    pub payload: Payload,
    pub severity: Severity,
    pub summary: String,
    pub rule_ids: Vec<String>,
}

/// Everything about an event that every one of its messages shows, computed once.
pub(crate) struct Event<'a> {
    pub rec: &'a Record<'a>,
    /// The security group changed; `None` for calls about something else (tamper alerts).
    pub group: Option<&'a Group>,
    pub owner: Option<&'a str>,
    pub cfg: &'a Config,
    /// Peripheral fields of the event (and its envelope) that could not be read.
    pub unreadable: &'a [Unreadable],
    /// The group and the account in plain text (titles, the notification line, summaries).
    group_plain: String,
    account_plain: String,
    /// The closing blocks of every message: who, where, when; the context line; the notice of
    /// unreadable fields.
    tail: Vec<Block>,
}

impl<'a> Event<'a> {
    pub fn new(
        rec: &'a Record<'a>,
        group: Option<&'a Group>,
        owner: Option<&'a str>,
        cfg: &'a Config,
        unreadable: &'a [Unreadable],
    ) -> Event<'a> {
        let mut e = Event { rec, group, owner, cfg, unreadable, group_plain: String::new(), account_plain: String::new(), tail: Vec::new() };
        e.group_plain = e.group_plain();
        e.account_plain = e.account_plain();
        let mut tail = vec![Block::Section { text: None, fields: e.meta_fields() }, Block::Context { elements: vec![e.context()] }];
        if !unreadable.is_empty() {
            tail.push(e.unreadable_notice());
        }
        e.tail = tail;
        e
    }

    /// The context line naming the event's fields that could not be read. NOTE: never inlined,
    /// so a first call on a clean event does not make V8 compile it.
    #[inline(never)]
    fn unreadable_notice(&self) -> Block {
        let mut fields: Vec<&str> = Vec::new();
        for u in self.unreadable {
            if !fields.contains(&u.field) {
                fields.push(u.field);
            }
        }
        let notice = format!("⚠️ {}: {}", self.l().unreadable_in_event, fields.join(", "));
        Block::Context { elements: vec![md(fit(notice, MAX_SECTION))] }
    }

    pub(crate) fn l(&self) -> &'static Labels {
        self.cfg.locale.labels()
    }

    fn is_unreadable(&self, field: &str) -> bool {
        self.unreadable.iter().any(|u| u.field == field)
    }

    /// What a message shows for a value it does not have: "(unreadable userAgent)" when the
    /// event had one of an unexpected type, else "unknown".
    pub(crate) fn missing(&self, field: &str) -> String {
        if self.is_unreadable(field) {
            self.l().unreadable.replace("{field}", field)
        } else {
            self.l().unknown.to_string()
        }
    }

    /// Messages for this event's changes; `severities` are the changes' ratings in order (one
    /// per rule, or one for a created or deleted group).
    pub fn render(&self, changes: &Changes, severities: &[Severity]) -> Vec<Rendered> {
        let l = self.l();
        let ex = &self.cfg.policy.exposure;
        let sev = |i: usize| severities.get(i).copied().unwrap_or(Severity::Info);
        match changes {
            Changes::Created | Changes::Deleted => {
                let title = if *changes == Changes::Created { l.group_created } else { l.group_deleted };
                let title = format!("{title}: {}", self.group_plain);
                let mut fields = Vec::new();
                if let Some(d) = self.group.and_then(|g| g.description.as_ref()) {
                    fields.push(field(l.description, &escape::text(d, DESC)));
                }
                vec![self.message(sev(0), &title, Some(fields), None, Vec::new())]
            }
            Changes::Rules(rules) if rules.len() <= self.cfg.max_messages => rules
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let title = describe::rule_line(r, l, ex, Style::Plain);
                    self.message(sev(i), &title, Some(self.rule_fields(r)), None, r.rule_id.iter().cloned().collect())
                })
                .collect(),
            Changes::Rules(rules) => self.grouped(rules, severities),
        }
    }

    /// One rule as the fields of its message.
    fn rule_fields(&self, r: &Rule) -> Vec<Text> {
        let l = self.l();
        let ex = &self.cfg.policy.exposure;
        let peer_label = match r.direction {
            Direction::Ingress => l.source,
            Direction::Egress => l.destination,
            Direction::Unknown => l.peer,
        };
        let mut peer = String::new();
        describe::peer(&mut peer, &r.peer, l, Style::Mrkdwn);
        let mut f = vec![
            field(l.rule_cap, &escape::text(&describe::title(r, l), ID)),
            field(l.protocol, &escape::text(&describe::protocol(&r.protocol, l), ID)),
            field(l.ports, &escape::code(&describe::ports(r, l, ex), ID)),
            field(peer_label, &peer),
        ];
        if let Some(d) = &r.description {
            f.push(field(l.description, &escape::text(d, DESC)));
        }
        if let Some(id) = &r.rule_id {
            f.push(field(l.rule_id, &escape::code(id, ID)));
        }
        if r.not_found {
            f.push(field("⚠️", l.not_found));
        }
        f
    }

    /// More rules than messages allowed: as few messages as the limits allow, every rule listed.
    fn grouped(&self, rules: &[Rule], severities: &[Severity]) -> Vec<Rendered> {
        let l = self.l();
        let ex = &self.cfg.policy.exposure;
        let lines: Vec<String> = rules.iter().map(|r| format!("• {}", describe::rule_line(r, l, ex, Style::Mrkdwn))).collect();
        // Room for rule lines: the limit less what the rest of a message takes (measured on an
        // empty message), with slack for the header's counts.
        let fixed = self.message(Severity::Info, "", None, Some(Vec::new()), Vec::new()).payload.block_text_len();
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
        let kind = describe::group_kind(rules, l);
        chunks
            .iter()
            .map(|&(a, b)| {
                let slice = &rules[a..b];
                let sev = severities.get(a..b).and_then(|s| s.iter().max().copied()).unwrap_or(Severity::Info);
                let mut title = format!("{total} {kind}");
                if parts > 1 {
                    let _ = write!(title, " ({} {}–{} {} {total})", l.rules, a + 1, b, l.of);
                }
                let mut sections = Vec::new();
                let mut cur = String::new();
                for line in &lines[a..b] {
                    let line = escape::truncate(line, MAX_SECTION - 1);
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

    /// The group in plain text; empty when the call is not about a group.
    fn group_plain(&self) -> String {
        let Some(g) = self.group else { return String::new() };
        match (&g.id, &g.name) {
            (Some(id), Some(name)) => format!("{id} ({name})"),
            (Some(id), None) => id.clone(),
            (None, Some(name)) => name.clone(),
            (None, None) => self.missing("groupId"),
        }
    }

    /// Where the owner's id should have been but could not be read, if so.
    fn owner_unreadable(&self) -> Option<&'static str> {
        ["account", "recipientAccountId"].into_iter().find(|f| self.is_unreadable(f))
    }

    pub(crate) fn owner_id(&self) -> Option<&str> {
        let owner = self.owner.or(self.rec.recipient_account.as_deref());
        // NOTE: never fall back to the caller's account when the owner's was there but
        // unreadable: for a cross-account role that would name the wrong account.
        if owner.is_some() || self.owner_unreadable().is_some() {
            return owner;
        }
        self.rec.principal.account_id.as_deref()
    }

    fn owner_missing(&self) -> String {
        self.owner_unreadable().map_or_else(|| self.l().unknown.to_string(), |f| self.missing(f))
    }

    fn account_md(&self, id: Option<&str>) -> String {
        let l = self.l();
        let Some(id) = id else { return self.owner_missing() };
        let mut s = String::new();
        match (self.cfg.account_name(id), l.unknown_account) {
            (Some(n), _) => {
                push_text(&mut s, n, ID);
                s.push_str(" (");
                push_code(&mut s, id, ID);
                s.push(')');
            }
            (None, "") => push_code(&mut s, id, ID),
            (None, unnamed) => {
                let _ = write!(s, "{unnamed} (");
                push_code(&mut s, id, ID);
                s.push(')');
            }
        }
        if let Some(ou) = self.cfg.account_ou(id) {
            let _ = write!(s, "\n{}: ", l.ou);
            push_text(&mut s, ou, LONG);
        }
        s
    }

    fn account_plain(&self) -> String {
        let l = self.l();
        match self.owner_id() {
            Some(id) => match (self.cfg.account_name(id), l.unknown_account) {
                (Some(n), _) => format!("{n} ({id})"),
                (None, "") => id.to_string(),
                (None, unnamed) => format!("{unnamed} ({id})"),
            },
            None => self.owner_missing(),
        }
    }

    fn principal_md(&self) -> String {
        let p = &self.rec.principal;
        if self.is_unreadable("userIdentity") {
            return self.missing("userIdentity");
        }
        let mut s = escape::text(&p.name, LONG);
        s.push_str(" (");
        push_text(&mut s, &p.kind, ID);
        s.push(')');
        if let (Some(caller), owner) = (p.account_id.as_deref(), self.owner_id()) {
            if Some(caller) != owner {
                let _ = write!(s, " · {} ", self.l().from_account);
                if let Some(n) = self.cfg.account_name(caller) {
                    push_text(&mut s, n, ID);
                    s.push(' ');
                }
                push_code(&mut s, caller, ID);
            }
        }
        s
    }

    fn group_md(&self, g: &Group) -> String {
        let mut s = String::new();
        match (&g.id, &g.name) {
            (Some(id), Some(name)) => {
                push_code(&mut s, id, ID);
                s.push_str(" (");
                push_text(&mut s, name, ID);
                s.push(')');
            }
            (Some(id), None) => push_code(&mut s, id, ID),
            (None, Some(name)) => push_text(&mut s, name, ID),
            (None, None) => s.push_str(&self.missing("groupId")),
        }
        if let Some(vpc) = &g.vpc_id {
            s.push_str(" · ");
            push_code(&mut s, vpc, ID);
        }
        s
    }

    fn meta_fields(&self) -> Vec<Text> {
        let l = self.l();
        let r = self.rec;
        let or_missing = |v: &Option<String>, key: &str| v.as_deref().map_or_else(|| self.missing(key), |s| escape::code(s, ID));
        let mut fields = vec![field(l.account, &self.account_md(self.owner_id()))];
        if let Some(g) = self.group {
            fields.push(field(l.group, &self.group_md(g)));
        }
        let time = match r.event_time.as_deref() {
            None if self.is_unreadable("eventTime") => self.missing("eventTime"),
            t => event_time(t, self.cfg.timezone),
        };
        fields.extend([
            field(l.principal, &self.principal_md()),
            field(l.source_ip, &or_missing(&r.source_ip, "sourceIPAddress")),
            field(l.region, &or_missing(&r.region, "awsRegion")),
            field(l.time, &time),
        ]);
        fields
    }

    /// The grey line: the call, its id, the console links, the user agent.
    fn context(&self) -> Text {
        let l = self.l();
        let r = self.rec;
        let mut s = escape::code(&r.event_name, ID);
        match &r.event_id {
            Some(id) => {
                s.push_str(" · ");
                push_code(&mut s, id, ID);
            }
            None if self.is_unreadable("eventID") => {
                let _ = write!(s, " · {}", self.missing("eventID"));
            }
            None => {}
        }
        let group_id = self.group.and_then(|g| g.id.as_deref());
        console::links(&mut s, r.region.as_deref(), r.event_id.as_deref(), group_id, l.open_cloudtrail, l.open_group);
        match &r.user_agent {
            Some(ua) => {
                let _ = write!(s, " · {} ", l.via);
                push_text(&mut s, ua, 100);
            }
            None if self.is_unreadable("userAgent") => {
                let _ = write!(s, " · {} {}", l.via, self.missing("userAgent"));
            }
            None => {}
        }
        md(fit(s, MAX_SECTION))
    }

    /// One message. `rule_fields` for a single rule, `rule_sections` for grouped rule lines.
    pub(crate) fn message(
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
        let mut header = format!("{} {sev_word} · {status}", severity.icon());
        push_text(&mut header, title, 400);
        let mut blocks = Vec::with_capacity(5 + self.tail.len());
        blocks.push(Block::Header { text: Text::Plain { text: fit(header, MAX_HEADER), emoji: true } });
        if let Some(code) = failed {
            let mut s = format!("⛔ *{}* — ", l.not_applied);
            push_code(&mut s, code, ID);
            if let Some(m) = self.rec.error_message.as_deref() {
                s.push_str(": ");
                push_text(&mut s, m, LONG);
            }
            blocks.push(Block::Section { text: Some(md(fit(s, MAX_SECTION))), fields: Vec::new() });
        }
        if let Some(mut fields) = rule_fields.filter(|f| !f.is_empty()) {
            fields.truncate(MAX_FIELDS);
            blocks.push(Block::Section { text: None, fields });
        }
        for s in rule_sections.unwrap_or_default() {
            blocks.push(Block::Section { text: Some(md(s)), fields: Vec::new() });
        }
        blocks.extend(self.tail.iter().cloned());

        // Create/Delete titles name the group already.
        let group = &self.group_plain;
        let group = if group.is_empty() || title.contains(group.as_str()) { String::new() } else { format!(" · {group}") };
        let mut text = format!("{} [{sev_word}] {status}", severity.icon());
        push_text(&mut text, title, 300);
        push_text(&mut text, &group, ID);
        text.push_str(" · ");
        push_text(&mut text, &self.account_plain, 2 * ID);
        text.push_str(" · ");
        push_text(&mut text, &self.rec.principal.name, ID);
        let text = fit(text, 1000);
        // NOTE: bounded like `text`: the title and names are user text of any length.
        let summary = fit(format!("{status}{title}{group} · {}", self.account_plain), 1000);
        let c = self.cfg;
        Rendered {
            payload: Payload {
                text: text.clone(),
                attachments: vec![Attachment { color: c.color_scheme.bar(severity, &self.rec.event_name), fallback: text, blocks }],
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
