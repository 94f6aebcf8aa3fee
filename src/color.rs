//! The colour bar of a message: by severity (the default) or, for teams moving over from the
//! notifier this tool replaces, by action (removals red, everything else dark blue).

use crate::risk::Severity;

/// How the attachment's colour bar is chosen. Severity, its label and icon never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorScheme {
    /// Red, amber or blue by exposure risk.
    #[default]
    Severity,
    /// Red for calls that take something away, dark blue for every other call.
    Action,
}

/// The replaced notifier's red and dark blue.
pub const REMOVAL_RED: &str = "#eb4034";
pub const OTHER_BLUE: &str = "#0c3f7d";

impl ColorScheme {
    pub fn parse(s: &str) -> Option<ColorScheme> {
        match s.trim().to_ascii_lowercase().as_str() {
            "severity" => Some(ColorScheme::Severity),
            "action" => Some(ColorScheme::Action),
            _ => None,
        }
    }

    /// The bar colour for a message of `severity` about the call `event_name`.
    pub fn bar(self, severity: Severity, event_name: &str) -> &'static str {
        match self {
            ColorScheme::Severity => severity.color(),
            ColorScheme::Action if is_removal(event_name) => REMOVAL_RED,
            ColorScheme::Action => OTHER_BLUE,
        }
    }
}

/// Calls that take something away: rules revoked, a group deleted, and the tamper calls that
/// stop, delete or disconnect monitoring. ModifySecurityGroupRules and description updates
/// change a rule in place and never count.
fn is_removal(event_name: &str) -> bool {
    matches!(
        event_name,
        "RevokeSecurityGroupIngress"
            | "RevokeSecurityGroupEgress"
            | "DeleteSecurityGroup"
            | "StopLogging"
            | "DeleteTrail"
            | "DisableRule"
            | "DeleteRule"
            | "RemoveTargets"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_scheme_reds_only_removals() {
        let a = ColorScheme::Action;
        assert_eq!(a.bar(Severity::Info, "RevokeSecurityGroupEgress"), REMOVAL_RED);
        assert_eq!(a.bar(Severity::Info, "DeleteSecurityGroup"), REMOVAL_RED);
        assert_eq!(a.bar(Severity::Critical, "AuthorizeSecurityGroupIngress"), OTHER_BLUE);
        assert_eq!(a.bar(Severity::Critical, "ModifySecurityGroupRules"), OTHER_BLUE);
        assert_eq!(a.bar(Severity::Info, "UpdateSecurityGroupRuleDescriptionsIngress"), OTHER_BLUE);
        assert_eq!(a.bar(Severity::Info, "CreateSecurityGroup"), OTHER_BLUE);
        assert_eq!(ColorScheme::Severity.bar(Severity::Warning, "RevokeSecurityGroupIngress"), Severity::Warning.color());
    }

    #[test]
    fn parse_names() {
        assert_eq!(ColorScheme::parse(" Action "), Some(ColorScheme::Action));
        assert_eq!(ColorScheme::parse("severity"), Some(ColorScheme::Severity));
        assert_eq!(ColorScheme::parse("loud"), None);
    }
}
