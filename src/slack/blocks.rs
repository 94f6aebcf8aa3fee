//! The Block Kit model of a message and Slack's limits on it, checked in one place
//! ([`Payload::check_limits`]) by every test and the fuzz target.
//! Limits: <https://api.slack.com/reference/block-kit/blocks> (50 blocks, section text 3,000,
//! 10 fields of 2,000, header 150).

use crate::escape::fit;
use serde::Serialize;

pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION: usize = 3000;
pub const MAX_FIELD: usize = 2000;
pub const MAX_FIELDS: usize = 10;
pub const MAX_HEADER: usize = 150;
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Our bound on all text in one message's blocks (Slack rejects far larger messages).
pub const MAX_MESSAGE_TEXT: usize = 12_000;
/// Our bound on the top-level `text` (the notification line): 1,000 characters of message and a
/// policy route's mention; Slack's own limit is far higher.
pub const MAX_TEXT: usize = MAX_SECTION;

/// A Slack incoming-webhook payload: POST it as JSON, as is.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Payload {
    pub text: String,
    pub attachments: Vec<Attachment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_emoji: Option<String>,
}

/// One attachment: its colour bar shows the severity; its blocks hold the message.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Attachment {
    pub color: &'static str,
    pub fallback: String,
    pub blocks: Vec<Block>,
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Header {
        text: Text,
    },
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    Context {
        elements: Vec<Text>,
    },
}

#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
pub enum Text {
    #[serde(rename = "plain_text")]
    Plain { text: String, emoji: bool },
    #[serde(rename = "mrkdwn")]
    Mrkdwn { text: String },
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Plain { text, .. } | Text::Mrkdwn { text } => text,
        }
    }
}

/// Mrkdwn text (already escaped).
pub(crate) fn md(s: String) -> Text {
    Text::Mrkdwn { text: s }
}

/// A section field: the label in bold over the value, within the field limit.
pub(crate) fn field(label: &str, value: &str) -> Text {
    let mut s = String::with_capacity(label.len() + value.len() + 3);
    s.push('*');
    s.push_str(label);
    s.push_str("*\n");
    s.push_str(value);
    md(fit(s, MAX_FIELD))
}

fn chars(t: &Text) -> usize {
    t.as_str().chars().count()
}

impl Payload {
    /// All the characters of text in the payload's blocks.
    pub fn block_text_len(&self) -> usize {
        self.blocks()
            .map(|b| match b {
                Block::Header { text } => chars(text),
                Block::Section { text, fields } => text.as_ref().map_or(0, chars) + fields.iter().map(chars).sum::<usize>(),
                Block::Context { elements } => elements.iter().map(chars).sum(),
            })
            .sum()
    }

    fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.attachments.iter().flat_map(|a| a.blocks.iter())
    }

    /// Whether Slack will take the payload: every limit above, or which one is broken.
    pub fn check_limits(&self) -> Result<(), String> {
        let n = self.blocks().count();
        if n == 0 || n > MAX_BLOCKS {
            return Err(format!("{n} blocks (1 to {MAX_BLOCKS})"));
        }
        let over = |what: &str, t: &Text, max: usize| {
            let n = chars(t);
            if n > max {
                Err(format!("{what} of {n} characters (at most {max})"))
            } else {
                Ok(())
            }
        };
        for b in self.blocks() {
            match b {
                Block::Header { text } => over("header", text, MAX_HEADER)?,
                Block::Section { text, fields } => {
                    if let Some(t) = text {
                        over("section text", t, MAX_SECTION)?;
                    }
                    if fields.len() > MAX_FIELDS {
                        return Err(format!("{} fields (at most {MAX_FIELDS})", fields.len()));
                    }
                    for f in fields {
                        over("field", f, MAX_FIELD)?;
                    }
                    if text.is_none() && fields.is_empty() {
                        return Err("a section with neither text nor fields".into());
                    }
                }
                Block::Context { elements } => {
                    if elements.is_empty() || elements.len() > MAX_CONTEXT_ELEMENTS {
                        return Err(format!("a context of {} elements (1 to {MAX_CONTEXT_ELEMENTS})", elements.len()));
                    }
                    for e in elements {
                        over("context element", e, MAX_SECTION)?;
                    }
                }
            }
        }
        let total = self.block_text_len();
        if total > MAX_MESSAGE_TEXT {
            return Err(format!("{total} characters of block text (at most {MAX_MESSAGE_TEXT})"));
        }
        let text = self.text.chars().count();
        if text > MAX_TEXT {
            return Err(format!("text of {text} characters (at most {MAX_TEXT})"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(blocks: Vec<Block>) -> Payload {
        Payload {
            text: "t".into(),
            attachments: vec![Attachment { color: "#000000", fallback: "t".into(), blocks }],
            channel: None,
            username: None,
            icon_emoji: None,
        }
    }

    #[test]
    fn each_limit_is_checked() {
        let header = |n: usize| Block::Header { text: Text::Plain { text: "h".repeat(n), emoji: true } };
        assert_eq!(payload(vec![header(150)]).check_limits(), Ok(()));
        assert_eq!(payload(vec![header(151)]).check_limits(), Err("header of 151 characters (at most 150)".into()));
        assert!(payload(vec![header(1); 51]).check_limits().unwrap_err().starts_with("51 blocks"));
        assert!(payload(vec![]).check_limits().unwrap_err().starts_with("0 blocks"));
        let context = |n: usize| Block::Context { elements: vec![md("c".into()); n] };
        assert!(payload(vec![context(11)]).check_limits().unwrap_err().starts_with("a context of 11"));
        let fields = |n: usize, len: usize| Block::Section { text: None, fields: vec![md("f".repeat(len)); n] };
        assert!(payload(vec![fields(11, 1)]).check_limits().unwrap_err().starts_with("11 fields"));
        assert!(payload(vec![fields(1, 2001)]).check_limits().unwrap_err().starts_with("field of 2001"));
        assert!(payload(vec![fields(0, 0)]).check_limits().unwrap_err().starts_with("a section with neither"));
        let sections = (0..5).map(|_| Block::Section { text: Some(md("s".repeat(3000))), fields: Vec::new() }).collect();
        assert!(payload(sections).check_limits().unwrap_err().starts_with("15000 characters of block text"));
        let mut p = payload(vec![header(1)]);
        p.text = "x".repeat(3001);
        assert!(p.check_limits().unwrap_err().starts_with("text of 3001"));
    }

    #[test]
    fn fields_are_bounded() {
        assert_eq!(field("Label", "value").as_str(), "*Label*\nvalue");
        assert_eq!(field("L", &"v".repeat(5000)).as_str().chars().count(), MAX_FIELD);
    }
}
