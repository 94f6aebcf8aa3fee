//! The core's one error type. Every message says what is wrong and where (a JSON path).

use std::fmt;

/// Why an input or an option cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Text that should be JSON is not (`path` names where that text came from).
    Json { path: String, message: String },
    /// A value has the wrong type at `path`.
    Shape { path: String, expected: &'static str, found: &'static str },
    /// The input is not any event shape the core knows.
    Unrecognized { path: String, detail: String },
    /// An option is invalid.
    Option { name: String, message: String },
}

impl Error {
    /// Where the problem is: a JSON path in the input (`Records[2].body.detail.eventName`, empty
    /// for the input itself) or, for an option, `options.<name>`. The same text starts the
    /// message, so callers that need the place (to renumber a record, to log a field) read it
    /// here instead of parsing the message.
    pub fn path(&self) -> String {
        match self {
            Error::Json { path, .. } | Error::Shape { path, .. } | Error::Unrecognized { path, .. } => path.clone(),
            Error::Option { name, .. } => format!("options.{name}"),
        }
    }

}

/// User text echoed in a message (an error, a skip reason), cut to 64 characters so that a
/// hostile input cannot make a huge one.
pub(crate) fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn or_input(path: &str) -> &str {
    if path.is_empty() {
        "input"
    } else {
        path
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Json { path, message } => write!(f, "{}: invalid JSON: {message}", or_input(path)),
            Error::Shape { path, expected, found } => {
                write!(f, "{}: expected {expected}, found {found}", or_input(path))
            }
            Error::Unrecognized { path, detail } => write!(f, "{}: {detail}", or_input(path)),
            Error::Option { name, message } => write!(f, "options.{name}: {message}"),
        }
    }
}

impl std::error::Error for Error {}
