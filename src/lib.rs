//! sgnotify: CloudTrail security-group events in, per-rule Slack payloads out.
//!
//! One pass over the input: `json` reads the text once into typed, borrowed documents;
//! `envelope` unwraps what Lambda or the caller was handed; `cloudtrail` reads the record;
//! `rules` turns it into rule changes (the nine calls are one table in `calls`); `risk` rates
//! each change; [`slack`] renders them (`blocks`: the Block Kit model and its limits, `describe`:
//! the wording, `console`: links and times; `escape` keeps user text inert); `format` runs the
//! pipeline and applies the policy (`policy`, `accounts`, `config`). `tamper` announces calls that
//! would blind the notifier; `thread` groups changes into bursts and renders a burst's parent
//! message (Slack app mode). `out` writes every result as ASCII JSON. The wasm boundary is
//! `wasm` (wasm32 only).
//! Everything here is pure: no I/O, no clock, no panics on any input.

mod accounts;
mod calls;
mod cloudtrail;
mod color;
mod config;
mod envelope;
mod error;
mod escape;
mod fields;
mod format;
mod i18n;
mod json;
mod out;
mod path;
mod policy;
mod risk;
mod rules;
pub mod slack;
mod tamper;
mod thread;
mod time;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

use config::Config;
pub use error::Error;
pub use format::{Formatted, Message, RecordError, Skipped};
pub use risk::Severity;
pub use thread::{Burst, Facts, Summary};
use serde::Deserialize;
use serde_json::Value;

/// An already parsed input as the core reads it (strings borrowed from the value).
fn node(input: &Value) -> json::Node<'_> {
    // NOTE: every JSON value is a node, so this cannot fail; the error arm is for the type system.
    json::Node::deserialize(input).unwrap_or(json::Node::Value(json::Json::Null))
}

/// Format any supported input (a parsed JSON value) with options given as JSON (`null` for the
/// defaults).
pub fn format_event(input: &Value, options: &Value) -> Result<Formatted, Error> {
    let cfg = Config::from_json(options)?;
    format::format(&node(input), &cfg, false)
}

/// Format an input given as JSON text: the fast path (nothing of the input is copied that no
/// message needs).
pub fn format_json(input: &str, options: &Value) -> Result<Formatted, Error> {
    format_text(input, &Config::from_json(options)?, false)
}

/// [`format_json`] with options already read (the wasm boundary reads them from JSON text); with
/// `facts`, the result also carries [`thread_facts`] from the same reading.
pub(crate) fn format_text(input: &str, cfg: &Config, facts: bool) -> Result<Formatted, Error> {
    json::parse(input, "", |n| format::format(n, cfg, facts))?
}

/// What grouping changes into bursts needs, one entry per security-group change in the input.
pub fn thread_facts(input: &Value) -> Result<Vec<thread::Facts>, Error> {
    thread::facts(&node(input))
}

/// [`thread_facts`] of an input given as JSON text.
pub fn thread_facts_json(input: &str) -> Result<Vec<thread::Facts>, Error> {
    json::parse(input, "", thread::facts)?
}

/// The parent message of a burst (JSON as in [`thread::Burst::from_json`]), with the same
/// options as [`format_event`].
pub fn thread_summary(burst: &Value, options: &Value) -> Result<thread::Summary, Error> {
    let cfg = Config::from_json(options)?;
    Ok(thread::summary(&thread::Burst::from_json(burst)?, &cfg))
}
