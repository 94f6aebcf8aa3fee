//! Normalised rule changes: every `ipPermissions` item times every source it names becomes one
//! [`Rule`], whatever shape the call was logged in.
//! Reference: <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html>

use crate::calls::Kind;
use crate::cloudtrail::Record;
use crate::error::Error;
use crate::fields::{bool_at, get, get_ci, int, int_at, items_at, lenient, map_objects, shape, text, text_at, Result, Unreadable};
use crate::json::Json;
use crate::path::Path;
use std::collections::{HashMap, HashSet, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
    /// ModifySecurityGroupRules names a rule by id only.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Modified,
    DescriptionUpdated,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// `-1`: every protocol, every port.
    All,
    /// Any other IP protocol number or name; AWS opens all its ports.
    Other(String),
    /// Not in the event (a rule named only by its id).
    Unknown,
}

impl Protocol {
    pub fn parse(s: Option<&str>) -> Protocol {
        let Some(s) = s.map(str::trim) else { return Protocol::Unknown };
        match s.to_ascii_lowercase().as_str() {
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            "icmpv6" | "58" => Protocol::Icmpv6,
            "-1" | "all" => Protocol::All,
            "" => Protocol::Unknown,
            _ => Protocol::Other(s.to_string()),
        }
    }
}

/// The other end of a rule: the source of an ingress rule, the destination of an egress rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Ipv4(String),
    Ipv6(String),
    PrefixList(String),
    Group { id: Option<String>, name: Option<String>, account: Option<String>, peering: Option<String> },
    Unknown,
}

impl Peer {
    /// 0.0.0.0/0 or ::/0 (any address with a /0 prefix is the whole internet).
    pub fn is_world(&self) -> bool {
        match self {
            Peer::Ipv4(c) | Peer::Ipv6(c) => c.trim().ends_with("/0"),
            _ => false,
        }
    }
    fn key(&self) -> String {
        match self {
            Peer::Ipv4(c) | Peer::Ipv6(c) | Peer::PrefixList(c) => c.trim().to_ascii_lowercase(),
            Peer::Group { id, name, .. } => id.clone().or_else(|| name.clone()).unwrap_or_default(),
            Peer::Unknown => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub direction: Direction,
    pub change: Change,
    pub protocol: Protocol,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub peer: Peer,
    pub description: Option<String>,
    pub rule_id: Option<String>,
    /// A revoke that AWS answered with `unknownIpPermissionSet`: no such rule, nothing removed.
    pub not_found: bool,
}

/// Protocol, peer, and ports where the protocol has ports: what makes two rules the same rule.
type MatchKey = (Protocol, String, Option<(Option<i64>, Option<i64>)>);

/// Reads one member of a source list (`ipRanges`, `groups`, ...) as a peer.
type PeerReader = fn(&Json, &Path) -> Result<Peer>;

impl Rule {
    /// Two rules are the same rule when their match keys are equal: protocol, peer, and the
    /// ports where the protocol has ports. A key (not a pairwise test) so that matching a
    /// request against the response is a hash lookup, linear in the rules, not quadratic.
    fn match_key(&self) -> MatchKey {
        let ports_matter = matches!(self.protocol, Protocol::Tcp | Protocol::Udp | Protocol::Icmp | Protocol::Icmpv6);
        (self.protocol.clone(), self.peer.key(), ports_matter.then_some((self.from_port, self.to_port)))
    }
}

/// The security group a change applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    pub id: Option<String>,
    pub name: Option<String>,
    pub vpc_id: Option<String>,
    pub description: Option<String>,
}

/// What one event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    Rules(Vec<Rule>),
    Created,
    Deleted,
}

pub struct Extracted {
    pub group: Group,
    pub changes: Changes,
    /// Peripheral request or response fields that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// The group and the changes of a security-group call. For rule calls the rules themselves must
/// be readable; what only names or enriches them (the group, the response's rule ids) may be
/// unreadable, and is then noted instead.
pub fn extract(rec: &Record, path: &Path) -> Result<Extracted> {
    let empty = Json::Obj(Vec::new());
    let rp = path.key("requestParameters");
    let sp = path.key("responseElements");
    let mut u = Vec::new();
    let Some(call) = rec.sg_call() else {
        let detail = format!("not a security group call: {}", crate::error::shown(&rec.event_name));
        return Err(Error::Unrecognized { path: path.key("eventName").to_string(), detail });
    };
    let kind = call.kind();
    let req = match rec.request {
        None => &empty,
        Some(v @ Json::Obj(_)) => v,
        Some(other) => {
            let e = shape(rp.to_string(), "an object", other);
            // Create/DeleteSecurityGroup only name the group there; a rule call's rules are there.
            if matches!(kind, Kind::Rules(..)) {
                return Err(e);
            }
            u.push(Unreadable { field: "requestParameters", warning: e.to_string() });
            &empty
        }
    };
    let resp = rec.response.unwrap_or(&empty);
    let mut group = Group {
        id: lenient(&mut u, "groupId", text_at(req, "groupId", &rp)),
        name: lenient(&mut u, "groupName", text_at(req, "groupName", &rp)),
        vpc_id: lenient(&mut u, "vpcId", text_at(req, "vpcId", &rp)),
        description: None,
    };
    // NOTE: each kind of call is read by its own function, never inlined into this one: V8
    // compiles a wasm function whole on its first use, so a first call compiles only its kind.
    let changes = match kind {
        Kind::Rules(Direction::Unknown, _) => modified(req, &rp, &mut group, &mut u)?,
        Kind::Rules(direction, change) => rule_changes(req, resp, &rp, &sp, direction, change, &mut group, &mut u)?,
        Kind::GroupCreated => {
            group.id = group.id.or_else(|| lenient(&mut u, "groupId", text_at(resp, "groupId", &sp)));
            group.description = lenient(&mut u, "groupDescription", text_at(req, "groupDescription", &rp));
            Changes::Created
        }
        Kind::GroupDeleted => {
            // NOTE: newer CloudTrail records name the deleted group's id in the response even
            // when the request named the group only by name.
            group.id = group.id.or_else(|| lenient(&mut u, "groupId", text_at(resp, "groupId", &sp)));
            Changes::Deleted
        }
    };
    Ok(Extracted { group, changes, unreadable: u })
}

/// ModifySecurityGroupRules: the rules as the request sets them.
#[inline(never)]
fn modified(req: &Json, rp: &Path, group: &mut Group, u: &mut Vec<Unreadable>) -> Result<Changes> {
    let (id, mut rules) = modify_rules(req, rp, u)?;
    group.id = group.id.take().or(id);
    if rules.is_empty() {
        rules.push(unknown_rule(Direction::Unknown, Change::Modified, None, None));
    }
    Ok(Changes::Rules(rules))
}

/// Authorize, revoke and describe calls: the request's rules, with the ids the response logged.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn rule_changes(
    req: &Json,
    resp: &Json,
    rp: &Path,
    sp: &Path,
    direction: Direction,
    change: Change,
    group: &mut Group,
    u: &mut Vec<Unreadable>,
) -> Result<Changes> {
    let mut rules = ip_permissions(req, "ipPermissions", rp, direction, change)?;
    if rules.is_empty() {
        rules.extend(legacy_rule(req, rp, direction, change)?);
    }
    if change == Change::DescriptionUpdated {
        rules.extend(described_rule_ids(req, rp, direction)?);
    }
    let set_key = if change == Change::Removed { "revokedSecurityGroupRuleSet" } else { "securityGroupRuleSet" };
    let logged = lenient(u, set_key, rule_set(resp, set_key, sp, change).map(Some)).unwrap_or_default();
    if rules.is_empty() {
        rules = logged;
    } else {
        attach_rule_ids(&mut rules, logged);
    }
    if change == Change::Removed {
        revoked(&mut rules, req, resp, rp, sp, direction, u)?;
    }
    if rules.is_empty() {
        // NOTE: a call with nothing readable about its rules still changed the group: say so.
        rules.push(unknown_rule(direction, change, None, None));
    }
    if group.id.is_none() {
        group.id = lenient(u, "groupId", text_at(resp, "groupId", sp));
    }
    Ok(Changes::Rules(rules))
}

/// A revoke call: rules revoked by id only (details come from revokedSecurityGroupRuleSet when it
/// is there), and which rules the group did not have (`unknownIpPermissionSet`).
#[inline(never)]
fn revoked(rules: &mut Vec<Rule>, req: &Json, resp: &Json, rp: &Path, sp: &Path, direction: Direction, u: &mut Vec<Unreadable>) -> Result<()> {
    let change = Change::Removed;
    let mut known: HashSet<String> = rules.iter().filter_map(|r| r.rule_id.clone()).collect();
    for id in rule_ids(req, rp)? {
        if known.insert(id.clone()) {
            rules.push(unknown_rule(direction, change, Some(id), None));
        }
    }
    let unknown_set = ip_permissions(resp, "unknownIpPermissionSet", sp, direction, change).map(Some);
    let unknown: HashSet<_> =
        lenient(u, "unknownIpPermissionSet", unknown_set).unwrap_or_default().iter().map(Rule::match_key).collect();
    for r in rules.iter_mut() {
        r.not_found = unknown.contains(&r.match_key());
    }
    Ok(())
}

fn unknown_rule(direction: Direction, change: Change, rule_id: Option<String>, description: Option<String>) -> Rule {
    Rule {
        direction,
        change,
        protocol: Protocol::Unknown,
        from_port: None,
        to_port: None,
        peer: Peer::Unknown,
        description,
        rule_id,
        not_found: false,
    }
}

/// `ipPermissions.items[]` × every source in `ipRanges`, `ipv6Ranges`, `prefixListIds`, `groups`.
fn ip_permissions(obj: &Json, key: &str, path: &Path, direction: Direction, change: Change) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    let list_path = path.key(key);
    let items_path = list_path.key("items");
    for (i, item) in items_at(obj, key, path)?.iter().enumerate() {
        let ip = items_path.index(i);
        if !item.is_object() {
            return Err(shape(ip.to_string(), "an object", item));
        }
        let base = Rule {
            direction,
            change,
            protocol: Protocol::parse(text_at(item, "ipProtocol", &ip)?.as_deref()),
            from_port: int_at(item, "fromPort", &ip)?,
            to_port: int_at(item, "toPort", &ip)?,
            peer: Peer::Unknown,
            description: None,
            rule_id: None,
            not_found: false,
        };
        let before = rules.len();
        let sources: [(&str, PeerReader); 4] = [
            ("ipRanges", |s, p| Ok(Peer::Ipv4(text_at(s, "cidrIp", p)?.unwrap_or_default()))),
            ("ipv6Ranges", |s, p| Ok(Peer::Ipv6(text_at(s, "cidrIpv6", p)?.unwrap_or_default()))),
            ("prefixListIds", |s, p| Ok(Peer::PrefixList(text_at(s, "prefixListId", p)?.unwrap_or_default()))),
            ("groups", |s, p| {
                Ok(Peer::Group {
                    id: text_at(s, "groupId", p)?,
                    name: text_at(s, "groupName", p)?,
                    account: text_at(s, "userId", p)?,
                    peering: text_at(s, "vpcPeeringConnectionId", p)?,
                })
            }),
        ];
        for (list, read) in sources {
            rules.extend(map_objects(item, list, &ip, |s, sp| {
                Ok(Rule { peer: read(s, sp)?, description: text_at(s, "description", sp)?, ..base.clone() })
            })?);
        }
        if rules.len() == before {
            // NOTE: an item with no source at all is still a change someone made: keep it.
            rules.push(base);
        }
    }
    Ok(rules)
}

/// The legacy request form: `cidrIp`, `ipProtocol`, `fromPort`, `toPort` (or a source group by
/// name) at the top of `requestParameters`.
#[inline(never)]
fn legacy_rule(req: &Json, rp: &Path, direction: Direction, change: Change) -> Result<Option<Rule>> {
    let cidr = text_at(req, "cidrIp", rp)?;
    let src_name = text_at(req, "sourceSecurityGroupName", rp)?;
    let src_owner = text_at(req, "sourceSecurityGroupOwnerId", rp)?;
    let protocol = text_at(req, "ipProtocol", rp)?;
    if cidr.is_none() && src_name.is_none() && protocol.is_none() {
        return Ok(None);
    }
    let peer = match (cidr, src_name) {
        (Some(c), _) if c.contains(':') => Peer::Ipv6(c),
        (Some(c), _) => Peer::Ipv4(c),
        (None, Some(n)) => Peer::Group { id: None, name: Some(n), account: src_owner, peering: None },
        (None, None) => Peer::Unknown,
    };
    Ok(Some(Rule {
        direction,
        change,
        protocol: Protocol::parse(protocol.as_deref()),
        from_port: int_at(req, "fromPort", rp)?,
        to_port: int_at(req, "toPort", rp)?,
        peer,
        description: None,
        rule_id: None,
        not_found: false,
    }))
}

/// `securityGroupRuleIds` of a revoke by rule id: `{items: [{securityGroupRuleId}]}`, a list of
/// strings, or one string.
fn rule_ids(req: &Json, rp: &Path) -> Result<Vec<String>> {
    let key = "securityGroupRuleIds";
    if let Some(Json::Str(s)) = get(req, key) {
        return Ok(vec![s.to_string()]);
    }
    let lp = rp.key(key);
    let ip = lp.key("items");
    let mut ids = Vec::new();
    for (i, v) in items_at(req, key, rp)?.iter().enumerate() {
        let p = ip.index(i);
        let id = match v {
            Json::Obj(_) => text_at(v, "securityGroupRuleId", &p)?,
            other => text(Some(other), &p)?,
        };
        ids.extend(id);
    }
    Ok(ids)
}

/// `securityGroupRuleDescriptions` of UpdateSecurityGroupRuleDescriptions*: descriptions by rule id.
#[inline(never)]
fn described_rule_ids(req: &Json, rp: &Path, direction: Direction) -> Result<Vec<Rule>> {
    map_objects(req, "securityGroupRuleDescriptions", rp, |v, p| {
        Ok(unknown_rule(
            direction,
            Change::DescriptionUpdated,
            text_at(v, "securityGroupRuleId", p)?,
            text_at(v, "description", p)?,
        ))
    })
}

/// `securityGroupRuleSet` / `revokedSecurityGroupRuleSet` of the response: the rules as AWS
/// stored them, with their `sgr-` ids.
fn rule_set(resp: &Json, key: &str, sp: &Path, change: Change) -> Result<Vec<Rule>> {
    map_objects(resp, key, sp, |v, p| {
        let direction = match bool_at(v, "isEgress", p)? {
            Some(true) => Direction::Egress,
            Some(false) => Direction::Ingress,
            None => Direction::Unknown,
        };
        Ok(Rule {
            direction,
            change,
            protocol: Protocol::parse(text_at(v, "ipProtocol", p)?.as_deref()),
            from_port: int_at(v, "fromPort", p)?,
            to_port: int_at(v, "toPort", p)?,
            peer: rule_peer(v, p, false)?,
            description: text_at(v, "description", p)?,
            rule_id: text_at(v, "securityGroupRuleId", p)?,
            not_found: false,
        })
    })
}

/// The peer of a SecurityGroupRule / RevokedSecurityGroupRule / SecurityGroupRuleRequest
/// (camelCase in responses, PascalCase in ModifySecurityGroupRules requests).
fn rule_peer(v: &Json, p: &Path, pascal: bool) -> Result<Peer> {
    let t = |key: &str| if pascal { text(get_ci(v, key), &p.key(key)) } else { text_at(v, key, p) };
    if let Some(c) = t("cidrIpv4")? {
        return Ok(Peer::Ipv4(c));
    }
    if let Some(c) = t("cidrIpv6")? {
        return Ok(Peer::Ipv6(c));
    }
    if let Some(c) = t("prefixListId")? {
        return Ok(Peer::PrefixList(c));
    }
    if let Some(info) = get_ci(v, "referencedGroupInfo") {
        let ip = p.key("referencedGroupInfo");
        return Ok(Peer::Group {
            id: text(get_ci(info, "groupId"), &ip.key("groupId"))?,
            name: None,
            account: text(get_ci(info, "userId"), &ip.key("userId"))?,
            peering: text(get_ci(info, "vpcPeeringConnectionId"), &ip.key("vpcPeeringConnectionId"))?,
        });
    }
    if let Some(id) = t("referencedGroupId")? {
        return Ok(Peer::Group { id: Some(id), name: None, account: None, peering: None });
    }
    Ok(Peer::Unknown)
}

/// Each request rule without an id takes the id of the first not yet taken logged rule that
/// is the same rule.
fn attach_rule_ids(rules: &mut [Rule], logged: Vec<Rule>) {
    let mut by_key: HashMap<_, VecDeque<Option<String>>> = HashMap::new();
    for l in logged {
        by_key.entry(l.match_key()).or_default().push_back(l.rule_id);
    }
    for rule in rules.iter_mut().filter(|r| r.rule_id.is_none()) {
        if let Some(id) = by_key.get_mut(&rule.match_key()).and_then(VecDeque::pop_front) {
            rule.rule_id = id;
        }
    }
}

/// ModifySecurityGroupRules, which CloudTrail logs with the API's PascalCase names under
/// `ModifySecurityGroupRulesRequest`; `SecurityGroupRule` is an object or a list.
fn modify_rules(req: &Json, rp: &Path, u: &mut Vec<Unreadable>) -> Result<(Option<String>, Vec<Rule>)> {
    let key = "ModifySecurityGroupRulesRequest";
    let mp = rp.key(key);
    let (m, mp) = match get_ci(req, key) {
        Some(m @ Json::Obj(_)) => (m, mp),
        Some(other) => return Err(shape(mp.to_string(), "an object", other)),
        None => (req, *rp),
    };
    let group_id = lenient(u, "groupId", text(get_ci(m, "GroupId"), &mp.key("GroupId")));
    let lp = mp.key("SecurityGroupRule");
    let entries: Vec<(Path, &Json)> = match get_ci(m, "SecurityGroupRule").or_else(|| get_ci(m, "SecurityGroupRules")) {
        None => Vec::new(),
        Some(Json::Arr(list)) => list.iter().enumerate().map(|(i, v)| (lp.index(i), v)).collect(),
        Some(v @ Json::Obj(_)) => vec![(lp, v)],
        Some(other) => return Err(shape(lp.to_string(), "an object or a list", other)),
    };
    let mut rules = Vec::new();
    for (p, e) in entries {
        // Paths of list members borrow `p`; read them here, inside its scope.
        let p = &p;
        if !e.is_object() {
            return Err(shape(p.to_string(), "an object", e));
        }
        let rule_id = text(get_ci(e, "SecurityGroupRuleId"), &p.key("SecurityGroupRuleId"))?;
        let ip = p.key("SecurityGroupRule");
        let inner = match get_ci(e, "SecurityGroupRule") {
            None => {
                rules.push(unknown_rule(Direction::Unknown, Change::Modified, rule_id, None));
                continue;
            }
            Some(v @ Json::Obj(_)) => v,
            Some(other) => return Err(shape(ip.to_string(), "an object", other)),
        };
        let t = |key: &str| text(get_ci(inner, key), &ip.key(key));
        let port = |key: &str| get_ci(inner, key).map_or(Ok(None), |v| int(v, &ip.key(key)));
        rules.push(Rule {
            direction: Direction::Unknown,
            change: Change::Modified,
            protocol: Protocol::parse(t("IpProtocol")?.as_deref()),
            from_port: port("FromPort")?,
            to_port: port("ToPort")?,
            peer: rule_peer(inner, &ip, true)?,
            description: t("Description")?,
            rule_id,
            not_found: false,
        });
    }
    Ok((group_id, rules))
}
