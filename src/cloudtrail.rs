//! The typed CloudTrail record: who did what, where and when, read leniently from the JSON.
//! Reference: <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>

use crate::calls::SgCall;
use crate::fields::{get_ci, lenient, object, shape, text, Result, Unreadable};
use crate::json::{Doc, Json};
use crate::path::Path;

/// Who made the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// CloudTrail's `userIdentity.type` (IAMUser, AssumedRole, Root, AWSService, ...).
    pub kind: String,
    /// What a person reads: user name, `role/session`, `root`, or a service name.
    pub name: String,
    /// The caller's own account, which differs from the owner for cross-account roles.
    pub account_id: Option<String>,
    pub arn: Option<String>,
}

impl Principal {
    pub fn is_root(&self) -> bool {
        self.kind.eq_ignore_ascii_case("Root")
    }
}

/// The fields of a record every message shows. `request`/`response` stay JSON for `rules`.
///
/// Only `eventName` and `eventSource` must be readable: they decide what the record is. Every
/// other field is peripheral; one of an unexpected type is left out, noted in `unreadable`, and
/// the message still goes out (a security notifier must not lose an alert to an odd userAgent).
pub struct Record<'a> {
    pub event_name: String,
    pub event_source: Option<String>,
    pub event_id: Option<String>,
    pub event_time: Option<String>,
    pub region: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub principal: Principal,
    pub recipient_account: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// `requestParameters` of any type: whoever reads it decides whether it must be an object.
    pub request: Option<&'a Json<'a>>,
    pub response: Option<&'a Json<'a>>,
    pub unreadable: Vec<Unreadable>,
}

impl<'a> Record<'a> {
    /// The record of a document; `path` is where the document is in the input.
    pub fn read(d: &'a Doc<'a>, path: &Path) -> Result<Record<'a>> {
        let event_name = text(d.event_name.as_ref(), &path.key("eventName"))?.unwrap_or_default();
        let event_source = text(d.event_source.as_ref(), &path.key("eventSource"))?;
        let mut u = Vec::new();
        let mut peripheral =
            |key: &'static str, v: &Option<Json>| lenient(&mut u, key, text(v.as_ref(), &path.key(key)));
        let event_id = peripheral("eventID", &d.event_id);
        let event_time = peripheral("eventTime", &d.event_time);
        let region = peripheral("awsRegion", &d.aws_region);
        let source_ip = peripheral("sourceIPAddress", &d.source_ip);
        let user_agent = peripheral("userAgent", &d.user_agent);
        let recipient_account = peripheral("recipientAccountId", &d.recipient_account);
        let error_code = peripheral("errorCode", &d.error_code);
        let error_message = peripheral("errorMessage", &d.error_message);
        let principal = principal(d.user_identity.as_ref(), &path.key("userIdentity"), &mut u);
        let response = lenient(&mut u, "responseElements", object(d.response.as_ref(), &path.key("responseElements")));
        Ok(Record {
            event_name,
            event_source,
            event_id,
            event_time,
            region,
            source_ip,
            user_agent,
            principal,
            recipient_account,
            error_code,
            error_message,
            request: d.request.as_ref(),
            response,
            unreadable: u,
        })
    }

    /// The security-group call this record is, if it is one we report.
    pub fn sg_call(&self) -> Option<SgCall> {
        let source_ok = self.event_source.as_deref().is_none_or(|s| s == "ec2.amazonaws.com");
        source_ok.then(|| SgCall::parse(&self.event_name)).flatten()
    }

    /// Whether this is one of the security-group calls we report.
    pub fn is_sg_change(&self) -> bool {
        self.sg_call().is_some()
    }

    pub fn failed(&self) -> bool {
        self.error_code.is_some()
    }
}

/// `userIdentity`, read case-insensitively (some exporters lower-case its keys). Unreadable
/// parts are noted in `u`; the name falls back to whatever else identifies the caller.
fn principal(v: Option<&Json>, path: &Path, u: &mut Vec<Unreadable>) -> Principal {
    let unknown = || Principal { kind: "Unknown".into(), name: "unknown".into(), account_id: None, arn: None };
    let Some(v) = v else { return unknown() };
    if !v.is_object() {
        u.push(Unreadable { field: "userIdentity", warning: shape(path.to_string(), "an object", v).to_string() });
        return unknown();
    }
    let mut t = |key: &'static str, field: &'static str| lenient(u, field, text(get_ci(v, key), &path.key(key)));
    let kind = t("type", "userIdentity.type").unwrap_or_else(|| "Unknown".into());
    let arn = t("arn", "userIdentity.arn");
    let account_id = t("accountId", "userIdentity.accountId");
    let user_name = t("userName", "userIdentity.userName");
    let invoked_by = t("invokedBy", "userIdentity.invokedBy");
    let principal_id = t("principalId", "userIdentity.principalId");
    let after = |marker: &str| arn.as_deref().and_then(|a| a.split_once(marker)).map(|(_, rest)| rest.to_string());
    let name = match kind.as_str() {
        "Root" => Some("root".to_string()),
        "IAMUser" => user_name.clone().or_else(|| after(":user/")),
        // arn:aws:sts::111122223333:assumed-role/RoleName/session -> RoleName/session
        "AssumedRole" => after(":assumed-role/").or_else(|| session_issuer_name(v)),
        "FederatedUser" => after(":federated-user/"),
        "AWSService" => invoked_by.clone(),
        "IdentityCenterUser" => get_ci(v, "onBehalfOf")
            .and_then(|o| get_ci(o, "userId"))
            .and_then(Json::as_str)
            .map(|u| format!("Identity Center user {u}")),
        _ => None,
    };
    let name = name
        .or(user_name)
        .or_else(|| arn.clone())
        .or(principal_id)
        .or(invoked_by)
        .unwrap_or_else(|| kind.clone());
    Principal { kind, name, account_id, arn }
}

fn session_issuer_name(v: &Json) -> Option<String> {
    let issuer = get_ci(get_ci(v, "sessionContext")?, "sessionIssuer")?;
    get_ci(issuer, "userName").and_then(Json::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::{json, Value};

    fn tree(v: &Value) -> Json<'_> {
        Json::deserialize(v).unwrap()
    }

    fn who(identity: Value) -> Principal {
        let mut u = Vec::new();
        let p = principal(Some(&tree(&identity)), &Path::root("userIdentity"), &mut u);
        assert!(u.is_empty(), "{u:?}");
        p
    }

    #[test]
    fn principal_names() {
        assert_eq!(who(json!({"type": "Root", "arn": "arn:aws:iam::1:root"})).name, "root");
        assert_eq!(who(json!({"type": "IAMUser", "userName": "alice"})).name, "alice");
        assert_eq!(
            who(json!({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Admin/alice@example.com"})).name,
            "Admin/alice@example.com"
        );
        // Panther lower-cases the keys of userIdentity.
        let p = who(json!({"type": "AssumedRole", "accountid": "9", "arn": "arn:aws:sts::9:assumed-role/R/s"}));
        assert_eq!((p.name.as_str(), p.account_id.as_deref()), ("R/s", Some("9")));
        assert_eq!(who(json!({"type": "AWSService", "invokedBy": "eks.amazonaws.com"})).name, "eks.amazonaws.com");
    }

    #[test]
    fn unreadable_identity_is_noted_with_its_path() {
        let mut u = Vec::new();
        let p = principal(Some(&tree(&json!("x"))), &Path::root("detail.userIdentity"), &mut u);
        assert_eq!(p.name, "unknown");
        assert_eq!(u[0].field, "userIdentity");
        assert_eq!(u[0].warning, "detail.userIdentity: expected an object, found a string");
        // An odd userName: the ARN still names the user.
        let mut u = Vec::new();
        let id = json!({"type": "IAMUser", "userName": {"x": 1}, "arn": "arn:aws:iam::1:user/bob"});
        assert_eq!(principal(Some(&tree(&id)), &Path::root("userIdentity"), &mut u).name, "bob");
        assert_eq!(u[0].warning, "userIdentity.userName: expected a string, found an object");
    }
}
