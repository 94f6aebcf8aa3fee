//! The nine security-group API calls sgnotify reports, in one table: what each call does (the
//! direction of its rules and the kind of change). `Record::sg_call` recognises them and
//! `rules::extract` reads each by its kind; the deploy test checks the EventBridge rule in the
//! templates against this table (js/lambda/deploy-test/test_templates.py reads `CALLS` below).

use crate::rules::{Change, Direction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SgCall {
    AuthorizeIngress,
    AuthorizeEgress,
    RevokeIngress,
    RevokeEgress,
    Create,
    Delete,
    ModifyRules,
    DescribeIngress,
    DescribeEgress,
}

/// What a call changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rules of one direction (`Unknown` when the call names rules by id only).
    Rules(Direction, Change),
    GroupCreated,
    GroupDeleted,
}

/// Every call by its CloudTrail `eventName`.
pub const CALLS: [(&str, SgCall); 9] = [
    ("AuthorizeSecurityGroupIngress", SgCall::AuthorizeIngress),
    ("AuthorizeSecurityGroupEgress", SgCall::AuthorizeEgress),
    ("RevokeSecurityGroupIngress", SgCall::RevokeIngress),
    ("RevokeSecurityGroupEgress", SgCall::RevokeEgress),
    ("CreateSecurityGroup", SgCall::Create),
    ("DeleteSecurityGroup", SgCall::Delete),
    ("ModifySecurityGroupRules", SgCall::ModifyRules),
    ("UpdateSecurityGroupRuleDescriptionsIngress", SgCall::DescribeIngress),
    ("UpdateSecurityGroupRuleDescriptionsEgress", SgCall::DescribeEgress),
];

impl SgCall {
    pub fn parse(event_name: &str) -> Option<SgCall> {
        CALLS.iter().find(|(name, _)| *name == event_name).map(|&(_, call)| call)
    }

    pub fn kind(self) -> Kind {
        use Change::*;
        use Direction::*;
        match self {
            SgCall::AuthorizeIngress => Kind::Rules(Ingress, Added),
            SgCall::AuthorizeEgress => Kind::Rules(Egress, Added),
            SgCall::RevokeIngress => Kind::Rules(Ingress, Removed),
            SgCall::RevokeEgress => Kind::Rules(Egress, Removed),
            SgCall::Create => Kind::GroupCreated,
            SgCall::Delete => Kind::GroupDeleted,
            SgCall::ModifyRules => Kind::Rules(Direction::Unknown, Modified),
            SgCall::DescribeIngress => Kind::Rules(Ingress, DescriptionUpdated),
            SgCall::DescribeEgress => Kind::Rules(Egress, DescriptionUpdated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_to_its_call() {
        for (name, call) in CALLS {
            assert_eq!(SgCall::parse(name), Some(call));
        }
        assert_eq!(SgCall::parse("DescribeSecurityGroups"), None);
        assert_eq!(SgCall::parse("authorizesecuritygroupingress"), None, "CloudTrail names are exact");
    }
}
