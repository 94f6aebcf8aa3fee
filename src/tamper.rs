//! Tamper alerts: calls that can blind the notifier. Stopping, deleting or narrowing a CloudTrail
//! trail, or disabling, deleting, emptying or rewriting sgnotify's own EventBridge rule, means
//! every later security-group change may go unreported, so each is announced as critical.
//! References: <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Operations.html>,
//! <https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Operations.html>

use crate::cloudtrail::Record;
use crate::error::shown;
use crate::escape::{self, code};
use crate::fields::{get, get_ci, lenient, shape, text, text_at, Unreadable};
use crate::json::Json;
use crate::i18n::Labels;
use crate::path::Path;
use crate::risk::Severity;
use crate::slack::blocks::field;
use crate::slack::{Event, Rendered};

/// Only rules whose name contains this are sgnotify's (the templates name them so).
pub const RULE_MARKER: &str = "sgnotify";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    StopLogging,
    DeleteTrail,
    UpdateTrail,
    PutEventSelectors,
    DisableRule,
    DeleteRule,
    RemoveTargets,
    PutRule,
}

impl Call {
    fn parse(event_name: &str, event_source: Option<&str>) -> Option<Call> {
        let call = match event_name {
            "StopLogging" => Call::StopLogging,
            "DeleteTrail" => Call::DeleteTrail,
            "UpdateTrail" => Call::UpdateTrail,
            "PutEventSelectors" => Call::PutEventSelectors,
            "DisableRule" => Call::DisableRule,
            "DeleteRule" => Call::DeleteRule,
            "RemoveTargets" => Call::RemoveTargets,
            "PutRule" => Call::PutRule,
            _ => return None,
        };
        // NOTE: other services have calls of the same names (ELB's DeleteRule, WAF's PutRule...),
        // so the source must match; an exporter that drops eventSource loses only the rule calls.
        let ok = match event_source {
            None => !call.is_rule(),
            Some(s) if call.is_rule() => s == "events.amazonaws.com",
            Some(s) => s == "cloudtrail.amazonaws.com",
        };
        ok.then_some(call)
    }

    /// Where the request names the trail or rule.
    fn name_key(self) -> &'static str {
        match self {
            Call::PutEventSelectors => "trailName",
            Call::RemoveTargets => "rule",
            _ => "name",
        }
    }

    fn is_rule(self) -> bool {
        matches!(self, Call::DisableRule | Call::DeleteRule | Call::RemoveTargets | Call::PutRule)
    }

    fn title(self, l: &Labels) -> &'static str {
        match self {
            Call::StopLogging => l.tamper_stop_logging,
            Call::DeleteTrail => l.tamper_delete_trail,
            Call::UpdateTrail => l.tamper_update_trail,
            Call::PutEventSelectors => l.tamper_event_selectors,
            Call::DisableRule => l.tamper_disable_rule,
            Call::DeleteRule => l.tamper_delete_rule,
            Call::RemoveTargets => l.tamper_remove_targets,
            Call::PutRule => l.tamper_put_rule,
        }
    }
}

/// The trail or rule a tamper call touched, as far as the record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tamper {
    pub call: Call,
    pub name: Option<String>,
    pub arn: Option<String>,
    /// The event bus of a rule, when not the default one.
    pub bus: Option<String>,
    /// RemoveTargets: the ids of the targets removed.
    pub targets: Vec<String>,
    /// PutRule: the rule's state and event pattern as requested.
    pub state: Option<String>,
    pub pattern: Option<String>,
    pub unreadable: Vec<Unreadable>,
}

/// What a record is, seen from here.
pub enum Verdict {
    Alert(Tamper),
    /// An EventBridge rule call on a rule that is not sgnotify's: skipped, with this reason.
    NotOurs(String),
    NotTamper,
}

/// Whether `rec` is a tamper call. Its parameters are peripheral: a rule call whose rule name
/// cannot be read is announced, since it cannot be ruled out that the rule is sgnotify's.
pub fn classify(rec: &Record, path: &Path) -> Verdict {
    let Some(call) = Call::parse(&rec.event_name, rec.event_source.as_deref()) else { return Verdict::NotTamper };
    let mut u = Vec::new();
    let rp = path.key("requestParameters");
    let empty = Json::Obj(Vec::new());
    let req = match rec.request {
        None => &empty,
        Some(v @ Json::Obj(_)) => v,
        Some(other) => {
            let warning = shape(rp.to_string(), "an object", other).to_string();
            u.push(Unreadable { field: "requestParameters", warning });
            &empty
        }
    };
    let name_key = call.name_key();
    let given = lenient(&mut u, name_key, text(get_ci(req, name_key), &rp.key(name_key)));
    // NOTE: CloudTrail calls take a trail's name or its ARN (arn:aws:cloudtrail:region:account:trail/name).
    let (name, mut arn) = match given {
        Some(g) if g.starts_with("arn:") => (g.rsplit('/').next().map(str::to_string), Some(g)),
        other => (other, None),
    };
    if call.is_rule() {
        if let Some(n) = name.as_deref().filter(|n| !n.to_ascii_lowercase().contains(RULE_MARKER)) {
            return Verdict::NotOurs(format!(
                "events.amazonaws.com {} on rule \"{}\": not an {RULE_MARKER} rule",
                rec.event_name,
                shown(n)
            ));
        }
    }
    let sp = path.key("responseElements");
    let resp = rec.response.unwrap_or(&empty);
    let arn_key = if call.is_rule() { "ruleArn" } else { "trailARN" };
    if arn.is_none() {
        arn = lenient(&mut u, arn_key, text_at(resp, arn_key, &sp));
    }
    let bus = lenient(&mut u, "eventBusName", text_at(req, "eventBusName", &rp)).filter(|b| b != "default");
    let targets = match (call, get(req, "ids")) {
        (Call::RemoveTargets, Some(Json::Arr(ids))) => ids.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    let (state, pattern) = if call == Call::PutRule {
        (
            lenient(&mut u, "state", text_at(req, "state", &rp)),
            lenient(&mut u, "eventPattern", text_at(req, "eventPattern", &rp)),
        )
    } else {
        (None, None)
    };
    Verdict::Alert(Tamper { call, name, arn, bus, targets, state, pattern, unreadable: u })
}

/// The partition of a plausible region name (`aws`, `aws-cn`, `aws-us-gov`).
fn partition(region: &str) -> Option<&'static str> {
    let plausible = region.len() <= 32
        && region.contains('-')
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !plausible {
        return None;
    }
    Some(if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    })
}

impl Tamper {
    /// The resource's ARN: as the record gives it, else built from its name, the region and the
    /// owning account (the form the CloudTrail and EventBridge references give).
    fn arn(&self, region: Option<&str>, account: Option<&str>) -> Option<String> {
        if self.arn.is_some() {
            return self.arn.clone();
        }
        let (name, region, account) = (self.name.as_deref()?, region?, account?);
        let plausible = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !plausible(name) || !account.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let p = partition(region)?;
        Some(if self.call.is_rule() {
            let bus = self.bus.as_deref().filter(|b| plausible(b)).map(|b| format!("{b}/")).unwrap_or_default();
            format!("arn:{p}:events:{region}:{account}:rule/{bus}{name}")
        } else {
            format!("arn:{p}:cloudtrail:{region}:{account}:trail/{name}")
        })
    }

    /// The alert, with the severity the pipeline rated (`risk::tamper_severity`).
    pub fn render(&self, event: &Event, severity: Severity) -> Rendered {
        let l = event.l();
        let rec = event.rec;
        let shown_name = self.name.clone().unwrap_or_else(|| event.missing(self.call.name_key()));
        let title = format!("{}: {shown_name}", self.call.title(l));
        let kind = if self.call.is_rule() { l.eventbridge_rule } else { l.trail };
        let mut fields = vec![field(kind, &self.name.as_deref().map_or_else(|| shown_name.clone(), |n| code(n, 256)))];
        if let Some(arn) = self.arn(rec.region.as_deref(), event.owner_id()) {
            fields.push(field("ARN", &code(&arn, 512)));
        }
        if let Some(bus) = &self.bus {
            fields.push(field(l.event_bus, &code(bus, 256)));
        }
        if !self.targets.is_empty() {
            let ids: Vec<String> = self.targets.iter().take(20).map(|t| code(t, 64)).collect();
            fields.push(field(l.targets_removed, &ids.join(", ")));
        }
        if let Some(state) = &self.state {
            fields.push(field(l.rule_state, &code(state, 32)));
        }
        if let Some(p) = &self.pattern {
            fields.push(field(l.event_pattern, &code(p, 600)));
        }
        // A failed call changed nothing: the "not applied" line says so, no warning of blindness.
        let why = (!rec.failed()).then(|| vec![format!("⚠️ {}", escape::text(l.tamper_why, 300))]);
        event.message(severity, &title, Some(fields), why, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_names_from_other_services_are_not_tamper() {
        assert_eq!(Call::parse("DeleteRule", Some("elasticloadbalancing.amazonaws.com")), None);
        assert_eq!(Call::parse("PutRule", None), None);
        assert_eq!(Call::parse("StopLogging", None), Some(Call::StopLogging));
        assert_eq!(Call::parse("StopLogging", Some("cloudtrail.amazonaws.com")), Some(Call::StopLogging));
        assert_eq!(Call::parse("DisableRule", Some("events.amazonaws.com")), Some(Call::DisableRule));
        assert_eq!(Call::parse("StartLogging", Some("cloudtrail.amazonaws.com")), None);
    }

    #[test]
    fn arns_are_built_per_partition_only_from_plausible_parts() {
        let t = |call, name: &str, bus: Option<&str>| Tamper {
            call,
            name: Some(name.into()),
            arn: None,
            bus: bus.map(str::to_string),
            targets: Vec::new(),
            state: None,
            pattern: None,
            unreadable: Vec::new(),
        };
        let trail = t(Call::StopLogging, "org-trail", None);
        assert_eq!(trail.arn(Some("us-gov-west-1"), Some("111122223333")).as_deref(), Some("arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:trail/org-trail"));
        let rule = t(Call::DeleteRule, "sgnotify-forward", Some("audit"));
        assert_eq!(rule.arn(Some("eu-west-1"), Some("111122223333")).as_deref(), Some("arn:aws:events:eu-west-1:111122223333:rule/audit/sgnotify-forward"));
        assert_eq!(rule.arn(Some("<x>"), Some("111122223333")), None);
        assert_eq!(t(Call::DeleteRule, "a b", None).arn(Some("eu-west-1"), Some("1")), None);
    }
}
