//! sgnotify: CloudTrail security-group events in, per-rule Slack payloads out.
