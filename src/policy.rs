//! The `policy` option: which changes become messages (mute, minSeverity), where each goes
//! (routes, mentions), and what counts as exposure (trusted CIDRs, sensitive ports). Read and
//! checked once per call; every error names its key path (`policy.routes[0].match.severity`).

use crate::accounts::{ou_path, Account};
use crate::config::{deserialize_leaf, expected, reject, Check, Leaf, Number, Obj, Tags};
use crate::error::shown;
use crate::risk::{Severity, SENSITIVE_PORTS};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
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
    /// The defaults' names are borrowed: options are read on every call, and most set none.
    pub sensitive_ports: Vec<(u16, Cow<'static, str>)>,
    pub trusted: Vec<Cidr>,
}

impl Default for Exposure {
    fn default() -> Self {
        Exposure { sensitive_ports: SENSITIVE_PORTS.iter().map(|&(p, n)| (p, Cow::Borrowed(n))).collect(), trusted: Vec::new() }
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
    /// A tamper alert (CloudTrail stopped, sgnotify's rule disabled...): only a mute entry that
    /// names the call in `eventName` holds it back.
    pub tamper: bool,
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

    /// The first `mute` entry that matches a message of this severity, by index. A tamper alert
    /// matches only entries that name its call in `eventName`: a mute meant for automation's
    /// routine changes (by principal, user agent, account...) must not also hide that same role
    /// disabling the notifier.
    pub fn muted_by(&self, s: &Subject, severity: Severity) -> Option<usize> {
        self.mute.iter().position(|m| {
            (!s.tamper || m.scope.event_name.is_some())
                && m.severity.as_ref().is_none_or(|l| l.contains(&severity))
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

/// The `policy` object as given; [`Policy`] is read through it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPolicy {
    min_severity: Option<Sev>,
    mute: Option<Vec<Mute>>,
    routes: Option<Vec<Route>>,
    trusted_cidrs: Option<Vec<TrustedCidr>>,
    sensitive_ports: Option<Obj<SensitivePorts>>,
}

impl From<RawPolicy> for Policy {
    fn from(r: RawPolicy) -> Policy {
        let mut exposure = Exposure::default();
        let ports = r.sensitive_ports.map(|p| p.0).unwrap_or_default();
        let removed: Vec<u16> = ports.remove.unwrap_or_default().into_iter().map(|p| p.0).collect();
        exposure.sensitive_ports.retain(|(q, _)| !removed.contains(q));
        for Obj(add) in ports.add.unwrap_or_default() {
            exposure.sensitive_ports.retain(|&(q, _)| q != add.port.0);
            exposure.sensitive_ports.push((add.port.0, Cow::Owned(add.name.0)));
        }
        exposure.trusted = r.trusted_cidrs.unwrap_or_default().into_iter().map(|c| c.0).collect();
        Policy {
            min_severity: r.min_severity.map(|s| s.0),
            mute: r.mute.unwrap_or_default(),
            routes: r.routes.unwrap_or_default(),
            exposure,
        }
    }
}

/// One `mute` entry as given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawMute {
    principal: Option<Text>,
    user_agent: Option<Text>,
    account: Option<OneOrMany<Text>>,
    ou: Option<Text>,
    event_name: Option<OneOrMany<Text>>,
    tag: Option<Tags>,
    severity: Option<OneOrMany<Sev>>,
}

impl Check for RawMute {
    fn check(&self) -> Result<(), &'static str> {
        let tags_empty = self.tag.as_ref().is_none_or(|t| t.0.is_empty());
        let given = [self.principal.is_some(), self.user_agent.is_some(), self.account.is_some(), self.ou.is_some()]
            .into_iter()
            .chain([self.event_name.is_some(), !tags_empty, self.severity.is_some()]);
        if given.into_iter().any(|g| g) {
            Ok(())
        } else {
            Err("an empty entry would mute everything; name at least one field")
        }
    }
}

impl From<RawMute> for Mute {
    fn from(r: RawMute) -> Mute {
        Mute {
            principal: r.principal.map(|t| t.0),
            user_agent: r.user_agent.map(|t| t.0),
            scope: scope(r.account, r.ou, r.event_name, r.tag),
            severity: r.severity.map(|l| l.0.into_iter().map(|s| s.0).collect()),
        }
    }
}

impl Check for RawPolicy {}
impl Check for RawRoute {}
impl Check for Match {}
impl Check for SensitivePorts {}
impl Check for AddPort {}

fn scope(account: Option<OneOrMany<Text>>, ou: Option<Text>, event_name: Option<OneOrMany<Text>>, tag: Option<Tags>) -> Scope {
    let texts = |l: OneOrMany<Text>| l.0.into_iter().map(|t| t.0).collect();
    Scope {
        account: account.map(texts),
        ou: ou.map(|o| ou_path(&o.0)),
        event_name: event_name.map(texts),
        tag: tag.map(|t| t.0).unwrap_or_default(),
    }
}

/// One route as given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    destination: Text,
    mention: Option<Mention>,
    #[serde(rename = "match")]
    when: Obj<Match>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Match {
    account: Option<OneOrMany<Text>>,
    ou: Option<Text>,
    tag: Option<Tags>,
    severity: Option<OneOrMany<Sev>>,
    event_name: Option<OneOrMany<Text>>,
}

impl From<RawRoute> for Route {
    fn from(r: RawRoute) -> Route {
        let m = r.when.0;
        Route {
            destination: r.destination.0,
            mention: r.mention.map(|m| m.0),
            scope: scope(m.account, m.ou, m.event_name, m.tag),
            severity: m.severity.map(|l| l.0.into_iter().map(|s| s.0).collect()),
        }
    }
}

impl<'de> Deserialize<'de> for Mute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Obj::<RawMute>::deserialize(d).map(|m| Mute::from(m.0))
    }
}

impl<'de> Deserialize<'de> for Route {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Obj::<RawRoute>::deserialize(d).map(|r| Route::from(r.0))
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Obj::<RawPolicy>::deserialize(d).map(|p| Policy::from(p.0))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SensitivePorts {
    add: Option<Vec<Obj<AddPort>>>,
    remove: Option<Vec<DefaultPort>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddPort {
    port: Port,
    name: Text,
}

/// A non-empty string of at most 512 characters, trimmed.
struct Text(String);

impl Leaf for Text {
    fn from_text(s: &str) -> Result<Text, String> {
        let t = s.trim();
        if t.is_empty() {
            Err("expected a non-empty string".into())
        } else if t.chars().count() > 512 {
            Err("longer than 512 characters".into())
        } else {
            Ok(Text(t.to_string()))
        }
    }
}

deserialize_leaf!(Text, Mention, TrustedCidr, Sev, Port, DefaultPort);

/// A severity by name.
pub(crate) struct Sev(pub Severity);

impl Leaf for Sev {
    const EXPECTING: &'static str = "a severity (string)";
    fn from_text(s: &str) -> Result<Sev, String> {
        match s {
            "info" => Ok(Sev(Severity::Info)),
            "warning" => Ok(Sev(Severity::Warning)),
            "critical" => Ok(Sev(Severity::Critical)),
            other => Err(format!("unknown severity \"{}\" (use \"info\", \"warning\" or \"critical\")", shown(other))),
        }
    }
}

/// `"x"` or a non-empty `["x", "y"]`.
struct OneOrMany<T>(Vec<T>);

impl<'de, T: Leaf + Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Leaf + Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{} or a list of them", T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<OneOrMany<T>, E> {
                T::from_text(s).map(|t| OneOrMany(vec![t])).map_err(E::custom)
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<OneOrMany<T>, S::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element()? {
                    out.push(t);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("expected at least one value"));
                }
                Ok(OneOrMany(out))
            }
            reject!('de, format!("{} or a list of them", T::EXPECTING); bool null number map);
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A mention from options: `<!here>`, `<!channel>`, `<!subteam^ID>` or `<@U…>`, several allowed
/// when separated by spaces. Nothing else, so a route cannot smuggle links or other markup.
struct Mention(String);

impl Leaf for Mention {
    fn from_text(s: &str) -> Result<Mention, String> {
        let s = Text::from_text(s)?;
        let id = |x: &str| !x.is_empty() && x.len() <= 32 && x.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let ok = |t: &str| match t {
            "<!here>" | "<!channel>" => true,
            _ => {
                let inner = t.strip_prefix('<').and_then(|t| t.strip_suffix('>'));
                inner.and_then(|i| i.strip_prefix("!subteam^")).is_some_and(id)
                    || inner.and_then(|i| i.strip_prefix('@')).is_some_and(|u| u.starts_with(['U', 'W']) && id(u))
            }
        };
        let tokens: Vec<&str> = s.0.split_whitespace().collect();
        match tokens.iter().find(|t| !ok(t)) {
            Some(bad) => Err(format!("\"{}\" is not a mention (use <!here>, <!channel>, <!subteam^ID> or <@U…>)", shown(bad))),
            None if tokens.len() > 10 => Err("at most 10 mentions".into()),
            None => Ok(Mention(tokens.join(" "))),
        }
    }
}

/// A trusted range: a CIDR narrower than the whole internet.
struct TrustedCidr(Cidr);

impl Leaf for TrustedCidr {
    fn from_text(t: &str) -> Result<TrustedCidr, String> {
        let t = Text::from_text(t)?;
        match Cidr::parse(&t.0) {
            None => Err(format!("\"{}\" is not an IPv4 or IPv6 CIDR", shown(&t.0))),
            Some(c) if c.len == 0 => Err("trusting the whole internet would hide every exposure".into()),
            Some(c) => Ok(TrustedCidr(c)),
        }
    }
}

/// A port number from 1 to 65535.
struct Port(u16);

impl Leaf for Port {
    const EXPECTING: &'static str = "a port number from 1 to 65535";
    fn from_number(n: Number) -> Result<Port, String> {
        match n.whole().map(u16::try_from) {
            Some(Ok(p)) if p > 0 => Ok(Port(p)),
            _ => Err(expected(Self::EXPECTING, &n.to_string())),
        }
    }
}

/// A port of the default sensitive set (what `sensitivePorts.remove` may name).
struct DefaultPort(u16);

impl Leaf for DefaultPort {
    const EXPECTING: &'static str = Port::EXPECTING;
    fn from_number(n: Number) -> Result<DefaultPort, String> {
        let Port(p) = Port::from_number(n)?;
        if SENSITIVE_PORTS.iter().any(|&(q, _)| q == p) {
            Ok(DefaultPort(p))
        } else {
            Err(format!("port {p} is not a default sensitive port"))
        }
    }
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
