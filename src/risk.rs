//! Risk: how loudly a change should be announced.

use crate::policy::Exposure;
use crate::rules::{Change, Changes, Direction, Peer, Protocol, Rule};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// Slack attachment colour bar.
    pub fn color(self) -> &'static str {
        match self {
            Severity::Critical => "#D40E0D",
            Severity::Warning => "#F2A900",
            Severity::Info => "#2E86DE",
        }
    }
    /// As written in options and output: `info`, `warning`, `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
    pub fn icon(self) -> &'static str {
        match self {
            Severity::Critical => "🚨",
            Severity::Warning => "⚠️",
            Severity::Info => "ℹ️",
        }
    }
}

/// Ports whose exposure to the internet is an incident: remote administration, file sharing,
/// databases, caches, queues, cluster control planes. Listed in the README.
pub const SENSITIVE_PORTS: &[(u16, &str)] = &[
    (20, "FTP data"),
    (21, "FTP"),
    (22, "SSH"),
    (23, "Telnet"),
    (25, "SMTP"),
    (135, "MS RPC"),
    (137, "NetBIOS"),
    (138, "NetBIOS"),
    (139, "NetBIOS"),
    (445, "SMB"),
    (1433, "SQL Server"),
    (1434, "SQL Server Browser"),
    (1521, "Oracle DB"),
    (2049, "NFS"),
    (2181, "ZooKeeper"),
    (2375, "Docker API"),
    (2376, "Docker API (TLS)"),
    (2379, "etcd"),
    (2380, "etcd peer"),
    (3306, "MySQL"),
    (3389, "RDP"),
    (5432, "PostgreSQL"),
    (5601, "Kibana"),
    (5900, "VNC"),
    (5984, "CouchDB"),
    (5985, "WinRM"),
    (5986, "WinRM (TLS)"),
    (6379, "Redis"),
    (6443, "Kubernetes API"),
    (7001, "WebLogic admin"),
    (8086, "InfluxDB"),
    (9042, "Cassandra"),
    (9092, "Kafka"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch transport"),
    (10250, "kubelet"),
    (11211, "Memcached"),
    (15672, "RabbitMQ admin"),
    (27017, "MongoDB"),
    (27018, "MongoDB"),
    (50070, "HDFS NameNode UI"),
];

/// The name of a single sensitive port (the defaults and the policy's additions).
pub fn port_name(port: i64, ex: &Exposure) -> Option<&str> {
    ex.sensitive_ports.iter().find(|(p, _)| i64::from(*p) == port).map(|(_, n)| n.as_ref())
}

/// Whether a rule covers every port of its protocol.
pub fn covers_all_ports(rule: &Rule) -> bool {
    match rule.protocol {
        Protocol::All | Protocol::Other(_) => true,
        Protocol::Tcp | Protocol::Udp => match (rule.from_port, rule.to_port) {
            (None, None) => true,
            (Some(f), Some(t)) => f <= 0 && t >= 65535 || f == -1,
            _ => false,
        },
        _ => false,
    }
}

/// The port range of a TCP/UDP rule that names one.
fn port_range(rule: &Rule) -> Option<std::ops::RangeInclusive<i64>> {
    match (&rule.protocol, rule.from_port, rule.to_port) {
        (Protocol::Tcp | Protocol::Udp, Some(f), Some(t)) if f >= 0 => Some(f..=t),
        _ => None,
    }
}

/// The names of the sensitive ports a TCP/UDP port range opens.
pub fn sensitive_ports_in<'e>(rule: &Rule, ex: &'e Exposure) -> Vec<&'e str> {
    let Some(range) = port_range(rule) else { return Vec::new() };
    let mut ports: Vec<&(u16, std::borrow::Cow<'static, str>)> = ex.sensitive_ports.iter().filter(|(p, _)| range.contains(&i64::from(*p))).collect();
    ports.sort_by_key(|(p, _)| *p);
    ports.into_iter().map(|(_, n)| n.as_ref()).collect()
}

/// Whether a rule opens a port the policy counts as sensitive.
fn opens_sensitive(rule: &Rule, ex: &Exposure) -> bool {
    port_range(rule).is_some_and(|range| ex.sensitive_ports.iter().any(|&(p, _)| range.contains(&i64::from(p))))
}

/// A peer inside one of the policy's trusted CIDRs is internal, never exposure.
fn trusted(rule: &Rule, ex: &Exposure) -> bool {
    match &rule.peer {
        Peer::Ipv4(c) | Peer::Ipv6(c) => ex.is_trusted(c),
        _ => false,
    }
}

/// Severity of one rule change:
/// - critical: ingress from 0.0.0.0/0 or ::/0 (any /0) on all ports or on a sensitive port;
/// - warning: other internet-open ingress, all-traffic rules, anything done by root;
/// - info: the rest. Removals lower exposure, so they stay info unless root made them.
///   A call that failed changed nothing: at most warning (an attempt is still worth a look).
///
/// `ex` is the policy's view of exposure: its sensitive ports, and trusted CIDRs whose rules
/// never raise severity.
pub fn rule_severity(rule: &Rule, root: bool, failed: bool, ex: &Exposure) -> Severity {
    let adds_access = matches!(rule.change, Change::Added | Change::Modified) && !trusted(rule, ex);
    let mut s = Severity::Info;
    if adds_access {
        // NOTE: ModifySecurityGroupRules does not say the direction; assume the worse (ingress).
        let ingress = rule.direction != Direction::Egress;
        if ingress && rule.peer.is_world() {
            s = if covers_all_ports(rule) || opens_sensitive(rule, ex) {
                Severity::Critical
            } else {
                Severity::Warning
            };
        } else if rule.protocol == Protocol::All {
            s = Severity::Warning;
        }
    }
    if root {
        s = s.max(Severity::Warning);
    }
    if failed {
        s = s.min(Severity::Warning);
    }
    s
}

/// The ratings of an event's changes, in order: one per rule, or one for a created or deleted
/// group. The pipeline rates before it renders; rendering only shows the result.
pub fn rate(changes: &Changes, root: bool, failed: bool, ex: &Exposure) -> Vec<Severity> {
    match changes {
        Changes::Rules(rules) => rules.iter().map(|r| rule_severity(r, root, failed, ex)).collect(),
        Changes::Created | Changes::Deleted => vec![event_severity(changes, root, failed, ex)],
    }
}

/// A tamper alert (CloudTrail stopped, sgnotify's rule disabled...) is critical: every later
/// change may go unreported. A call that failed changed nothing and, like a failed rule change,
/// is at most a warning (still worth a look: someone tried).
pub fn tamper_severity(failed: bool) -> Severity {
    if failed {
        Severity::Warning
    } else {
        Severity::Critical
    }
}

/// Severity of a whole event's change.
pub fn event_severity(changes: &Changes, root: bool, failed: bool, ex: &Exposure) -> Severity {
    let base = match changes {
        Changes::Rules(rules) => rules.iter().map(|r| rule_severity(r, root, failed, ex)).max().unwrap_or(Severity::Info),
        Changes::Created | Changes::Deleted => Severity::Info,
    };
    if root {
        base.max(Severity::Warning)
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex() -> Exposure {
        Exposure::default()
    }

    fn rule(dir: Direction, proto: &str, from: Option<i64>, to: Option<i64>, cidr: &str) -> Rule {
        Rule {
            direction: dir,
            change: Change::Added,
            protocol: Protocol::parse(Some(proto)),
            from_port: from,
            to_port: to,
            peer: if cidr.contains(':') { Peer::Ipv6(cidr.into()) } else { Peer::Ipv4(cidr.into()) },
            description: None,
            rule_id: None,
            not_found: false,
        }
    }

    #[test]
    fn world_open_ssh_and_all_ports_are_critical() {
        use Direction::*;
        assert_eq!(rule_severity(&rule(Ingress, "tcp", Some(22), Some(22), "0.0.0.0/0"), false, false, &ex()), Severity::Critical);
        assert_eq!(rule_severity(&rule(Ingress, "6", Some(20), Some(30), "::/0"), false, false, &ex()), Severity::Critical);
        assert_eq!(rule_severity(&rule(Ingress, "-1", None, None, "0.0.0.0/0"), false, false, &ex()), Severity::Critical);
        assert_eq!(rule_severity(&rule(Ingress, "tcp", Some(0), Some(65535), "0.0.0.0/0"), false, false, &ex()), Severity::Critical);
        assert_eq!(rule_severity(&rule(Ingress, "tcp", Some(443), Some(443), "0.0.0.0/0"), false, false, &ex()), Severity::Warning);
        assert_eq!(rule_severity(&rule(Ingress, "tcp", Some(22), Some(22), "10.0.0.0/8"), false, false, &ex()), Severity::Info);
        assert_eq!(rule_severity(&rule(Egress, "-1", None, None, "0.0.0.0/0"), false, false, &ex()), Severity::Warning);
        assert_eq!(rule_severity(&rule(Ingress, "tcp", Some(443), Some(443), "10.0.0.0/8"), true, false, &ex()), Severity::Warning);
        assert_eq!(rule_severity(&rule(Ingress, "tcp", Some(22), Some(22), "0.0.0.0/0"), false, true, &ex()), Severity::Warning);
    }

    #[test]
    fn removals_are_info_unless_root() {
        let mut r = rule(Direction::Ingress, "tcp", Some(22), Some(22), "0.0.0.0/0");
        r.change = Change::Removed;
        assert_eq!(rule_severity(&r, false, false, &ex()), Severity::Info);
        assert_eq!(rule_severity(&r, true, false, &ex()), Severity::Warning);
    }
}
