//! sgnotify: CloudTrail security-group events in, per-rule Slack payloads out.
//!
//! The stages, one module each: [`envelope`] unwraps what Lambda or the caller was handed,
//! [`cloudtrail`] reads the record, [`rules`] turns it into rule changes, [`risk`] rates them,
//! [`slack`] renders them ([`escape`] keeps user text inert), [`format`] runs the pipeline;
//! [`tamper`] announces calls that would blind the notifier (CloudTrail stopped, its rule gone).
//! [`config`] and [`i18n`] hold options and labels; [`color`] picks the colour bar. [`thread`]
//! groups changes into bursts and renders a burst's parent message (Slack app mode). The wasm
//! boundary is `wasm` (wasm32 only).
//! Everything here is pure: no I/O, no clock, no panics on any input.

pub mod accounts;
pub mod cloudtrail;
pub mod color;
pub mod config;
pub mod envelope;
pub mod error;
pub mod escape;
mod fields;
pub mod json;
pub mod format;
pub mod i18n;
pub mod path;
pub mod policy;
pub mod risk;
pub mod rules;
pub mod slack;
pub mod tamper;
pub mod thread;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::Config;
pub use error::Error;
pub use format::{Formatted, Message, RecordError, Skipped};
use serde_json::Value;

/// Format any supported input (a parsed JSON value) with options given as JSON (`null` for the
/// defaults).
pub fn format_event(input: &Value, options: &Value) -> Result<Formatted, Error> {
    let cfg = Config::from_json(options)?;
    format::format_value(input, &cfg)
}

/// Format an input given as JSON text.
pub fn format_json(input: &str, options: &Value) -> Result<Formatted, Error> {
    let cfg = Config::from_json(options)?;
    let value = json::parse(input, "")?;
    format::format_value(&value, &cfg)
}

/// What grouping changes into bursts needs, one entry per security-group change in the input.
pub fn thread_facts(input: &Value) -> Result<Vec<thread::Facts>, Error> {
    thread::facts(input)
}

/// The parent message of a burst (JSON as in [`thread::Burst::from_json`]), with the same
/// options as [`format_event`].
pub fn thread_summary(burst: &Value, options: &Value) -> Result<thread::Summary, Error> {
    let cfg = Config::from_json(options)?;
    Ok(thread::summary(&thread::Burst::from_json(burst)?, &cfg))
}
