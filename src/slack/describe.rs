//! The wording of a rule: its title, protocol, ports, the other end, in one of two styles. Plain
//! text (titles, the notification line, summaries) shows values as the event wrote them; mrkdwn
//! (message bodies) escapes names and shows identifiers as code.

use crate::escape::{push_code, push_text};
use crate::i18n::Labels;
use crate::policy::Exposure;
use crate::risk::{self, port_name};
use crate::rules::{Change, Direction, Peer, Protocol, Rule};
use std::fmt::Write;

/// Bounds on user-controlled strings, in characters before escaping (AWS allows 255 for names
/// and descriptions).
pub(crate) const ID: usize = 128;
pub(crate) const DESC: usize = 256;
pub(crate) const LONG: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Mrkdwn,
}

impl Style {
    /// An identifier (CIDR, group id, account id): as is, or as code.
    fn id(self, out: &mut String, s: &str) {
        match self {
            Style::Plain => out.push_str(s),
            Style::Mrkdwn => push_code(out, s, ID),
        }
    }
    /// A name someone chose (a group's name): as is, or escaped.
    fn name(self, out: &mut String, s: &str) {
        match self {
            Style::Plain => out.push_str(s),
            Style::Mrkdwn => push_text(out, s, ID),
        }
    }
}

pub(crate) fn protocol(p: &Protocol, l: &Labels) -> String {
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

/// The ports as people write them: `22 (SSH)`, `1024-2048 (SQL Server, ...)`, `type 8, code any`.
pub(crate) fn ports(r: &Rule, l: &Labels, ex: &Exposure) -> String {
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
            (Some(f), Some(t)) if f == t => match port_name(f, ex) {
                Some(name) => format!("{f} ({name})"),
                None => f.to_string(),
            },
            (Some(f), Some(t)) => {
                let named = risk::sensitive_ports_in(r, ex);
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

/// Protocol and ports together: "TCP 22 (SSH)", "All traffic", "IP protocol 50, all ports".
pub(crate) fn what(r: &Rule, l: &Labels, ex: &Exposure) -> String {
    match r.protocol {
        Protocol::All => l.all_traffic.to_string(),
        Protocol::Other(_) => format!("{}, {}", protocol(&r.protocol, l), l.all_ports_lower),
        _ => format!("{} {}", protocol(&r.protocol, l), ports(r, l, ex)),
    }
}

/// The other end of the rule.
pub(crate) fn peer(out: &mut String, p: &Peer, l: &Labels, style: Style) {
    match p {
        Peer::Ipv4(c) | Peer::Ipv6(c) => {
            style.id(out, c);
            if p.is_world() {
                let _ = write!(out, " ({})", l.anywhere);
            }
        }
        Peer::PrefixList(id) => {
            style.id(out, id);
            let _ = write!(out, " ({})", l.prefix_list);
        }
        Peer::Group { id, name, account, peering } => {
            match (id, name) {
                (Some(id), Some(n)) => {
                    style.id(out, id);
                    out.push_str(" (");
                    style.name(out, n);
                    out.push(')');
                }
                (Some(id), None) => style.id(out, id),
                (None, Some(n)) => style.name(out, n),
                (None, None) => out.push_str(l.security_group),
            }
            if let Some(a) = account {
                let _ = write!(out, ", {} ", l.account_lower);
                style.id(out, a);
            }
            if let Some(pcx) = peering {
                out.push_str(", ");
                style.id(out, pcx);
            }
        }
        Peer::Unknown => out.push_str(l.details_missing),
    }
}

pub(crate) fn change_word(c: Change, l: &Labels) -> &'static str {
    match c {
        Change::Added => l.added,
        Change::Removed => l.removed,
        Change::Modified => l.modified,
        Change::DescriptionUpdated => l.description_updated,
    }
}

/// "Inbound rule added", "Rule modified".
pub(crate) fn title(r: &Rule, l: &Labels) -> String {
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

/// The rule in one line. Plain: "Inbound rule added: TCP 22 (SSH) from 0.0.0.0/0 (anywhere)"
/// (a message's title). Mrkdwn, for grouped messages, adds the description, the rule id and
/// whether AWS found the rule.
pub(crate) fn rule_line(r: &Rule, l: &Labels, ex: &Exposure, style: Style) -> String {
    let mut s = title(r, l);
    s.push_str(": ");
    if style == Style::Plain && r.protocol == Protocol::Unknown && r.peer == Peer::Unknown {
        let _ = write!(s, "{} ({})", r.rule_id.as_deref().unwrap_or(l.unknown), l.details_missing);
        return s;
    }
    style.id(&mut s, &what(r, l, ex));
    let _ = write!(s, " {} ", peer_word(r, l));
    peer(&mut s, &r.peer, l, style);
    if style == Style::Mrkdwn {
        if let Some(d) = &r.description {
            s.push_str(" — _");
            push_text(&mut s, d, DESC);
            s.push('_');
        }
        if let Some(id) = &r.rule_id {
            s.push_str(" · ");
            push_code(&mut s, id, ID);
        }
        if r.not_found {
            let _ = write!(s, " · ⚠️ {}", l.not_found);
        }
    }
    s
}

/// What a group of rules did: "Inbound rules added", or "Rules changed" when they differ.
pub(crate) fn group_kind(rules: &[Rule], l: &Labels) -> String {
    let Some(first) = rules.first() else { return format!("{} {}", l.rules, l.changed) };
    let same = rules.iter().all(|r| r.direction == first.direction && r.change == first.change);
    if same && first.direction != Direction::Unknown {
        let dir = if first.direction == Direction::Ingress { l.ingress } else { l.egress };
        format!("{dir} {} {}", l.rules, change_word(first.change, l))
    } else {
        format!("{} {}", l.rules, l.changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;

    fn rule() -> Rule {
        Rule {
            direction: Direction::Ingress,
            change: Change::Added,
            protocol: Protocol::Tcp,
            from_port: Some(22),
            to_port: Some(22),
            peer: Peer::Ipv4("0.0.0.0/0".into()),
            description: None,
            rule_id: None,
            not_found: false,
        }
    }

    #[test]
    fn ports_read_like_people_write_them() {
        let ex = Exposure::default();
        let mut r = rule();
        assert_eq!(ports(&r, &EN, &ex), "22 (SSH)");
        r.from_port = Some(1024);
        r.to_port = Some(1100);
        assert_eq!(ports(&r, &EN, &ex), "1024-1100");
        r.to_port = Some(2048);
        assert_eq!(ports(&r, &EN, &ex), "1024-2048 (SQL Server, SQL Server Browser, Oracle DB)");
        r.protocol = Protocol::Icmp;
        r.from_port = Some(8);
        r.to_port = Some(-1);
        assert_eq!(ports(&r, &EN, &ex), "type 8, code any");
        r.protocol = Protocol::All;
        assert_eq!(rule_line(&r, &EN, &ex, Style::Plain), "Inbound rule added: All traffic from 0.0.0.0/0 (anywhere)");
    }

    #[test]
    fn one_line_in_each_style() {
        let ex = Exposure::default();
        let mut r = rule();
        r.peer = Peer::Group { id: Some("sg-1".into()), name: Some("<web>".into()), account: Some("123".into()), peering: None };
        r.description = Some("ssh & more".into());
        r.rule_id = Some("sgr-9".into());
        assert_eq!(rule_line(&r, &EN, &ex, Style::Plain), "Inbound rule added: TCP 22 (SSH) from sg-1 (<web>), account 123");
        assert_eq!(
            rule_line(&r, &EN, &ex, Style::Mrkdwn),
            "Inbound rule added: `TCP 22 (SSH)` from `sg-1` (&lt;web&gt;), account `123` — _ssh &amp; more_ · `sgr-9`"
        );
        let unknown = Rule { protocol: Protocol::Unknown, peer: Peer::Unknown, ..rule() };
        assert_eq!(rule_line(&unknown, &EN, &ex, Style::Plain), "Inbound rule added: unknown (details not in the event)");
    }
}
