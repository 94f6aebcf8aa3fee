//! sgnotify: CloudTrail security-group events in, per-rule Slack payloads out.
//!
//! The stages, one module each: [`envelope`] unwraps what Lambda or the caller was handed,
//! [`cloudtrail`] reads the record, [`rules`] turns it into rule changes, [`risk`] rates them,
//! [`slack`] renders them ([`escape`] keeps user text inert), [`format`] runs the pipeline.
//! [`config`] and [`i18n`] hold options and labels. The wasm boundary is `wasm` (wasm32 only).
//! Everything here is pure: no I/O, no clock, no panics on any input.

pub mod accounts;
pub mod cloudtrail;
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
