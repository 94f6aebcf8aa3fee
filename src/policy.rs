//! The `policy` option: which changes become messages (mute, minSeverity), where each goes
//! (routes, mentions), and what counts as exposure (trusted CIDRs, sensitive ports). Read and
//! checked once per call; every error names its key path (`policy.routes[0].match.severity`).

use crate::accounts::{ou_path, Account};
use crate::error::{kind_of, shown, Error};
use crate::risk::{Severity, SENSITIVE_PORTS};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Where a message goes when no route matches.
pub const DEFAULT_DESTINATION: &str = "default";

#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub min_severity: Option<Severity>,
    pub mute: Vec<Mute>,
    pub routes: Vec<Route>,
    pub exposure: Exposure,
}

/// One `mute` entry: every field given must match.
#[derive(Debug, Clone, Default)]
pub struct Mute {
    pub principal: Option<String>,
    pub user_agent: Option<String>,
    pub scope: Scope,
    /// Mutes only messages of these severities (`{ou: "Root/Sandbox", severity: "info"}`).
    pub severity: Option<Vec<Severity>>,
}

/// What an entry says about the owning account and the call.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub account: Option<Vec<String>>,
    pub ou: Option<String>,
    pub event_name: Option<Vec<String>>,
    pub tag: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub destination: String,
    pub mention: Option<String>,
    pub scope: Scope,
    pub severity: Option<Vec<Severity>>,
}

/// What counts as exposure when rating a rule.
#[derive(Debug, Clone)]
pub struct Exposure {
    /// Ports whose opening to the internet is critical, with their names.
    pub sensitive_ports: Vec<(u16, String)>,
    pub trusted: Vec<Cidr>,
}

impl Default for Exposure {
    fn default() -> Self {
        Exposure { sensitive_ports: SENSITIVE_PORTS.iter().map(|&(p, n)| (p, n.to_string())).collect(), trusted: Vec::new() }
    }
}

impl Exposure {
    /// Whether a rule's peer (a CIDR as the event wrote it) lies inside a trusted range.
    pub fn is_trusted(&self, peer: &str) -> bool {
        // NOTE: without trusted ranges, never parse the peer (the address parser is code a
        // first call would otherwise compile).
        !self.trusted.is_empty() && Cidr::parse(peer).is_some_and(|c| self.trusted.iter().any(|t| t.contains(&c)))
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host).
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        (len <= max).then_some(Cidr { addr, len })
    }

    fn bits(&self) -> (u128, u8) {
        match self.addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)) << 96, self.len),
            IpAddr::V6(a) => (u128::from(a), self.len),
        }
    }

    /// Whether `other` lies wholly inside this network (same family).
    pub fn contains(&self, other: &Cidr) -> bool {
        if self.addr.is_ipv4() != other.addr.is_ipv4() || other.len < self.len {
            return false;
        }
        let ((a, len), (b, _)) = (self.bits(), other.bits());
        // IPv4 addresses sit in the top 32 bits, so one mask serves both families.
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
        a & mask == b & mask
    }
}

/// What the policy looks at in one event.
pub struct Subject<'a> {
    /// The account that owns the group.
    pub owner: Option<&'a str>,
    pub account: Option<&'a Account>,
    pub principal_arn: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub event_name: &'a str,
}

/// What the policy does with one message.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'p> {
    /// Held back; the reason starts `policy:` and names the entry.
    Skip(String),
    Send { destination: &'p str, mention: Option<&'p str> },
}

impl Policy {
    /// Mute first, then the minimum severity, then the first matching route.
    pub fn decide(&self, s: &Subject, severity: Severity) -> Decision<'_> {
        if let Some(i) = self.muted_by(s, severity) {
            return Decision::Skip(format!("policy: mute[{i}]"));
        }
        if let Some(min) = self.min_severity.filter(|&m| severity < m) {
            return Decision::Skip(format!("policy: minSeverity {} (this change is {})", min.name(), severity.name()));
        }
        let route = self.route(s, severity);
        Decision::Send {
            destination: route.map_or(DEFAULT_DESTINATION, |r| r.destination.as_str()),
            mention: route.and_then(|r| r.mention.as_deref()),
        }
    }

    /// The first `mute` entry that matches a message of this severity, by index.
    pub fn muted_by(&self, s: &Subject, severity: Severity) -> Option<usize> {
        self.mute.iter().position(|m| {
            m.severity.as_ref().is_none_or(|l| l.contains(&severity))
                && m.scope.matches(s)
                && m.principal.as_deref().is_none_or(|g| s.principal_arn.is_some_and(|a| glob(g, a)))
                && m.user_agent.as_deref().is_none_or(|g| s.user_agent.is_some_and(|a| glob(g, a)))
        })
    }

    /// The first route that matches a message of this severity.
    pub fn route(&self, s: &Subject, severity: Severity) -> Option<&Route> {
        self.routes.iter().find(|r| r.severity.as_ref().is_none_or(|l| l.contains(&severity)) && r.scope.matches(s))
    }
}

impl Scope {
    fn matches(&self, s: &Subject) -> bool {
        self.account.as_ref().is_none_or(|l| s.owner.is_some_and(|o| l.iter().any(|a| a == o)))
            && self.event_name.as_ref().is_none_or(|l| l.iter().any(|n| n == s.event_name))
            && self.ou.as_deref().is_none_or(|p| s.account.and_then(|a| a.ou.as_deref()).is_some_and(|ou| under(ou, p)))
            && self.tag.iter().all(|(k, v)| s.account.and_then(|a| a.tags.get(k)).is_some_and(|t| t == v))
    }
}

/// `Root/Prod` covers `Root/Prod` and `Root/Prod/Web`, not `Root/Production`.
fn under(ou: &str, prefix: &str) -> bool {
    ou.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Longest text a glob is tried on: an ARN is at most 2,048 characters. Longer (hostile) text
/// never matches, so it can neither be muted nor make matching slow.
const GLOB_TEXT_MAX: usize = 4096;

/// `*` matches any run of characters (none included); everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    if text.len() > GLOB_TEXT_MAX {
        return false;
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it has taken: one backtrack point is
    // enough for `*`-only globs, so matching is linear-ish, never exponential.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

// ---- reading the option ----

fn err(path: &str, message: impl Into<String>) -> Error {
    Error::Option { name: path.to_string(), message: message.into() }
}

fn object<'v>(v: &'v Value, path: &str, known: &[&str]) -> Result<&'v Map<String, Value>, Error> {
    let m = v.as_object().ok_or_else(|| err(path, format!("expected an object, found {}", kind_of(v))))?;
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(err(&format!("{path}.{}", shown(k)), format!("unknown key (known: {})", known.join(", "))));
    }
    Ok(m)
}

fn list<'v>(v: &'v Value, path: &str) -> Result<&'v Vec<Value>, Error> {
    v.as_array().ok_or_else(|| err(path, format!("expected a list, found {}", kind_of(v))))
}

fn nonempty_string(v: &Value, path: &str) -> Result<String, Error> {
    match v {
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= 512 => Ok(s.trim().to_string()),
        Value::String(s) if s.trim().is_empty() => Err(err(path, "expected a non-empty string")),
        Value::String(_) => Err(err(path, "longer than 512 characters")),
        other => Err(err(path, format!("expected a string, found {}", kind_of(other)))),
    }
}

/// `"x"` or `["x", "y"]`.
fn one_or_many(v: &Value, path: &str) -> Result<Vec<String>, Error> {
    match v {
        Value::Array(items) if !items.is_empty() => {
            items.iter().enumerate().map(|(i, s)| nonempty_string(s, &format!("{path}[{i}]"))).collect()
        }
        Value::Array(_) => Err(err(path, "expected at least one value")),
        other => Ok(vec![nonempty_string(other, path)?]),
    }
}

fn severity(v: &Value, path: &str) -> Result<Severity, Error> {
    match v.as_str() {
        Some("info") => Ok(Severity::Info),
        Some("warning") => Ok(Severity::Warning),
        Some("critical") => Ok(Severity::Critical),
        Some(other) => Err(err(path, format!("unknown severity \"{}\" (use \"info\", \"warning\" or \"critical\")", shown(other)))),
        None => Err(err(path, format!("expected a severity (string), found {}", kind_of(v)))),
    }
}

/// `"critical"` or `["critical", "warning"]`.
fn severities(v: &Value, path: &str) -> Result<Vec<Severity>, Error> {
    match v {
        Value::Array(l) if !l.is_empty() => l.iter().enumerate().map(|(j, s)| severity(s, &format!("{path}[{j}]"))).collect(),
        Value::Array(_) => Err(err(path, "expected at least one value")),
        s => Ok(vec![severity(s, path)?]),
    }
}

fn tags(v: &Value, path: &str) -> Result<BTreeMap<String, String>, Error> {
    let m = v.as_object().ok_or_else(|| err(path, format!("expected an object of tag -> value, found {}", kind_of(v))))?;
    m.iter()
        .map(|(k, t)| match t {
            Value::String(s) => Ok((k.clone(), s.clone())),
            other => Err(err(&format!("{path}[\"{}\"]", shown(k)), format!("expected a string, found {}", kind_of(other)))),
        })
        .collect()
}

/// Reads the scope keys of `m` (the others are the caller's).
fn scope(m: &Map<String, Value>, path: &str) -> Result<Scope, Error> {
    let mut s = Scope::default();
    for (k, v) in m {
        let here = format!("{path}.{k}");
        match k.as_str() {
            "account" => s.account = Some(one_or_many(v, &here)?),
            "eventName" => s.event_name = Some(one_or_many(v, &here)?),
            "ou" => s.ou = Some(ou_path(&nonempty_string(v, &here)?)),
            "tag" => s.tag = tags(v, &here)?,
            _ => {}
        }
    }
    Ok(s)
}

/// A mention from options: `<!here>`, `<!channel>`, `<!subteam^ID>` or `<@U…>`, several allowed
/// when separated by spaces. Nothing else, so a route cannot smuggle links or other markup.
fn mention(v: &Value, path: &str) -> Result<String, Error> {
    let s = nonempty_string(v, path)?;
    let id = |x: &str| !x.is_empty() && x.len() <= 32 && x.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let ok = |t: &str| match t {
        "<!here>" | "<!channel>" => true,
        _ => {
            let inner = t.strip_prefix('<').and_then(|t| t.strip_suffix('>'));
            inner.and_then(|i| i.strip_prefix("!subteam^")).is_some_and(id)
                || inner.and_then(|i| i.strip_prefix('@')).is_some_and(|u| u.starts_with(['U', 'W']) && id(u))
        }
    };
    let tokens: Vec<&str> = s.split_whitespace().collect();
    match tokens.iter().find(|t| !ok(t)) {
        Some(bad) => Err(err(path, format!("\"{}\" is not a mention (use <!here>, <!channel>, <!subteam^ID> or <@U…>)", shown(bad)))),
        None if tokens.len() > 10 => Err(err(path, "at most 10 mentions")),
        None => Ok(tokens.join(" ")),
    }
}

fn port(v: &Value, path: &str) -> Result<u16, Error> {
    v.as_u64()
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            let found = if v.is_number() { v.to_string() } else { kind_of(v).to_string() };
            err(path, format!("expected a port number from 1 to 65535, found {found}"))
        })
}

/// The `policy` option; `null` is no policy.
pub fn parse(v: &Value) -> Result<Policy, Error> {
    let mut p = Policy::default();
    if v.is_null() {
        return Ok(p);
    }
    let m = object(v, "policy", &["minSeverity", "mute", "routes", "trustedCidrs", "sensitivePorts"])?;
    for (key, v) in m {
        let path = format!("policy.{key}");
        match key.as_str() {
            "minSeverity" => p.min_severity = Some(severity(v, &path)?),
            "mute" => {
                for (i, e) in list(v, &path)?.iter().enumerate() {
                    let here = format!("{path}[{i}]");
                    let m = object(e, &here, &["principal", "userAgent", "account", "ou", "eventName", "tag", "severity"])?;
                    if m.is_empty() {
                        return Err(err(&here, "an empty entry would mute everything; name at least one field"));
                    }
                    p.mute.push(Mute {
                        principal: m.get("principal").map(|g| nonempty_string(g, &format!("{here}.principal"))).transpose()?,
                        user_agent: m.get("userAgent").map(|g| nonempty_string(g, &format!("{here}.userAgent"))).transpose()?,
                        scope: scope(m, &here)?,
                        severity: m.get("severity").map(|v| severities(v, &format!("{here}.severity"))).transpose()?,
                    });
                }
            }
            "routes" => {
                for (i, e) in list(v, &path)?.iter().enumerate() {
                    let here = format!("{path}[{i}]");
                    let r = object(e, &here, &["destination", "mention", "match"])?;
                    let destination = nonempty_string(r.get("destination").unwrap_or(&Value::Null), &format!("{here}.destination"))?;
                    let mention = r.get("mention").map(|m| mention(m, &format!("{here}.mention"))).transpose()?;
                    let at = format!("{here}.match");
                    let m = object(r.get("match").unwrap_or(&Value::Null), &at, &["account", "ou", "tag", "severity", "eventName"])?;
                    let severity = m.get("severity").map(|v| severities(v, &format!("{at}.severity"))).transpose()?;
                    p.routes.push(Route { destination, mention, scope: scope(m, &at)?, severity });
                }
            }
            "trustedCidrs" => {
                for (i, c) in list(v, &path)?.iter().enumerate() {
                    let here = format!("{path}[{i}]");
                    let text = nonempty_string(c, &here)?;
                    let cidr = Cidr::parse(&text)
                        .ok_or_else(|| err(&here, format!("\"{}\" is not an IPv4 or IPv6 CIDR", shown(&text))))?;
                    if cidr.len == 0 {
                        return Err(err(&here, "trusting the whole internet would hide every exposure"));
                    }
                    p.exposure.trusted.push(cidr);
                }
            }
            "sensitivePorts" => {
                let m = object(v, &path, &["add", "remove"])?;
                if let Some(r) = m.get("remove") {
                    for (i, n) in list(r, &format!("{path}.remove"))?.iter().enumerate() {
                        let here = format!("{path}.remove[{i}]");
                        let n = port(n, &here)?;
                        let before = p.exposure.sensitive_ports.len();
                        p.exposure.sensitive_ports.retain(|&(q, _)| q != n);
                        if p.exposure.sensitive_ports.len() == before {
                            return Err(err(&here, format!("port {n} is not a default sensitive port")));
                        }
                    }
                }
                if let Some(a) = m.get("add") {
                    for (i, e) in list(a, &format!("{path}.add"))?.iter().enumerate() {
                        let here = format!("{path}.add[{i}]");
                        let e = object(e, &here, &["port", "name"])?;
                        let n = port(e.get("port").unwrap_or(&Value::Null), &format!("{here}.port"))?;
                        let name = nonempty_string(e.get("name").unwrap_or(&Value::Null), &format!("{here}.name"))?;
                        p.exposure.sensitive_ports.retain(|&(q, _)| q != n);
                        p.exposure.sensitive_ports.push((n, name));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("arn:aws:sts::*:assumed-role/ci-*/*", "arn:aws:sts::111122223333:assumed-role/ci-deploy/run-7"));
        assert!(!glob("arn:aws:sts::*:assumed-role/ci-*/*", "arn:aws:sts::111122223333:assumed-role/admin/ci-x"));
        assert!(glob("*Terraform*", "APN/1.0 HashiCorp/1.0 Terraform/1.3.5"));
        assert!(glob("*", "") && glob("a*", "a") && !glob("a", "ab") && !glob("", "a"));
        assert!(!glob("*a*a*a*a*a*b", &"a".repeat(4000)));
        assert!(!glob("*", &"a".repeat(GLOB_TEXT_MAX + 1)), "hostile lengths never match");
    }

    #[test]
    fn cidrs() {
        let p = |s: &str| Cidr::parse(s).unwrap();
        assert!(p("10.0.0.0/8").contains(&p("10.1.2.0/24")));
        assert!(p("10.0.0.0/8").contains(&p("10.1.2.3")));
        assert!(!p("10.0.0.0/8").contains(&p("11.0.0.0/24")));
        assert!(!p("10.0.0.0/8").contains(&p("0.0.0.0/0")));
        assert!(!p("10.0.0.0/8").contains(&p("10.0.0.0/7")));
        assert!(p("2001:db8::/32").contains(&p("2001:db8:1::/48")));
        assert!(!p("2001:db8::/32").contains(&p("10.0.0.0/8")));
        assert!(Cidr::parse("10.0.0.0/33").is_none() && Cidr::parse("x/8").is_none());
    }

    #[test]
    fn ou_prefix_by_whole_segments() {
        assert!(under("Root/Prod", "Root/Prod") && under("Root/Prod/Web", "Root/Prod"));
        assert!(!under("Root/Production", "Root/Prod"));
    }
}
