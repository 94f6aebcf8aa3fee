//! The WebAssembly boundary, and the only module that knows about JavaScript. One call crosses
//! it with coarse data: the input and options in, the whole result out.

use crate::Error;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options for {@link formatEvent}. Unknown keys are rejected. */
export interface Options {
  /** Account id -> name, or name with OU path (`Root/Prod/Web`) and tags; shown beside the owning account's id. */
  accounts?: Record<string, string | Account>;
  /** IANA time zone for event times, e.g. "Asia/Seoul". Default "UTC"; an unknown zone throws. */
  timezone?: string;
  /** Labels: "en" (default) or "ko". */
  locale?: "en" | "ko";
  /** Optional payload overrides (legacy webhooks only). */
  channel?: string;
  username?: string;
  iconEmoji?: string;
  /** Above this many rules in one event, rules are grouped into as few messages as Slack allows. Default 10, 1..1000. */
  maxMessagesPerEvent?: number;
  /** The colour bar: "severity" (default: red, amber, blue by risk) or "action" (removals red
   *  #eb4034, every other call dark blue #0c3f7d). Severity and its label never change. */
  colorScheme?: "severity" | "action";
  /** Which changes become messages, where each goes, and what counts as exposure. */
  policy?: Policy;
}

/** Matches the account that owns the group (its id, OU path and tags from `accounts`) and the call. */
export interface PolicyScope {
  /** One account id or several. */
  account?: string | string[];
  /** OU path prefix by whole segments: "Root/Prod" matches "Root/Prod/Web", not "Root/Production". */
  ou?: string;
  /** Every tag named must have this value on the owning account. */
  tag?: Record<string, string>;
  eventName?: string | string[];
}

/** A mute entry: every field given must match; a muted change goes to `skipped` ("policy: mute[i] · ..."). */
export interface PolicyMute extends PolicyScope {
  /** Glob (`*` = any run of characters) over the caller's ARN. */
  principal?: string;
  /** Glob over the call's user agent. */
  userAgent?: string;
  /** Mute only messages of these severities, e.g. a sandbox's "info". */
  severity?: Severity | Severity[];
}

export interface PolicyRoute {
  /** Where matching messages go (a key of the Lambda's SLACK_WEBHOOKS); "default" is the main webhook. */
  destination: string;
  /** `<!here>`, `<!channel>`, `<!subteam^ID>` or `<@U…>` (several separated by spaces), put at the start of `payload.text`. */
  mention?: string;
  match: PolicyScope & { severity?: Severity | Severity[] };
}

export interface Policy {
  /** Changes below it go to `skipped` ("policy: minSeverity ..."). */
  minSeverity?: Severity;
  mute?: PolicyMute[];
  /** The first route that matches a message wins; none: destination "default". */
  routes?: PolicyRoute[];
  /** Sources inside these CIDRs (v4 or v6) are internal: they never raise severity. */
  trustedCidrs?: string[];
  /** Change the ports whose opening to the internet is critical. */
  sensitivePorts?: { add?: { port: number; name: string }[]; remove?: number[] };
}

/** An account as AWS Organizations describes it. */
export interface Account {
  name: string;
  /** OU path from the root, e.g. "Root/Prod/Web". */
  ou?: string;
  tags?: Record<string, string>;
}

export type Severity = "critical" | "warning" | "info";

export interface TextObject { type: "plain_text" | "mrkdwn"; text: string; emoji?: boolean }
export type Block =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "context"; elements: TextObject[] };

/** A Slack incoming-webhook payload: POST it as JSON, as is. */
export interface SlackPayload {
  /** The notification line (mobile notifications read only this). */
  text: string;
  /** One attachment: its colour bar shows the severity; its blocks hold the message. */
  attachments: { color: string; fallback: string; blocks: Block[] }[];
  channel?: string;
  username?: string;
  icon_emoji?: string;
}

export interface Message {
  /** Which record of the input it came from (Records[index]); 0 for a single event. */
  index: number;
  eventId: string;
  eventName: string;
  severity: Severity;
  /** One plain-text line for logs. */
  summary: string;
  /** The sgr- ids of the rules in this message, when the event names them. */
  ruleIds?: string[];
  /** Fields of the event of an unexpected type, left out of the message (shown there as
   *  unreadable): each names the field's path and what was wrong, for logs, e.g.
   *  "detail.userAgent: expected a string, found an object". Absent when there were none. */
  warnings?: string[];
  /** The matching policy route's destination; "default" when none matched. */
  destination: string;
  /** The route's mention, already at the start of `payload.text`. */
  mention?: string;
  payload: SlackPayload;
}

export interface Formatted {
  messages: Message[];
  /** Well-formed events that are not security-group changes, and changes the policy held back (reason "policy: ..."). */
  skipped: { index: number; eventId?: string; eventName?: string; reason: string }[];
  /** Bad records inside a batch; the other records are still formatted. `path` is where in the
   *  input the problem is (`Records[2].body.detail.requestParameters`); `message` starts with it. */
  errors: { index: number; path: string; message: string }[];
}

/** A {@link Message} as {@link formatBodies} returns it: `body` is the payload as the exact JSON
 *  text to POST, in place of the `payload` object. */
export type MessageBody = Omit<Message, "payload"> & { body: string };

export interface FormattedBodies extends Omit<Formatted, "messages"> {
  messages: MessageBody[];
}

/** {@link FormattedBodies} with the {@link ThreadFacts} of every security-group change in the
 *  input ({@link Formatter.formatBodiesWithFacts}): what {@link threadFacts} gives, from the same
 *  reading of each record. */
export interface FormattedBodiesWithFacts extends FormattedBodies {
  facts: ThreadFacts[];
}

/** What {@link formatEvent} and the other calls throw: `path` names where the problem is (a JSON
 *  path in the input, "" for the input itself, or `options.<name>`); the message starts with it. */
export interface SgnotifyError extends Error {
  path: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "object | string")]
    pub type Input;
    #[wasm_bindgen(typescript_type = "Options")]
    pub type OptionsArg;
    #[wasm_bindgen(typescript_type = "Formatted")]
    pub type FormattedOut;
    #[wasm_bindgen(typescript_type = "FormattedBodies")]
    pub type FormattedBodiesOut;
    #[wasm_bindgen(typescript_type = "FormattedBodiesWithFacts")]
    pub type FormattedBodiesWithFactsOut;
}

/// Turn a CloudTrail security-group event into Slack webhook payloads, one per changed rule.
///
/// `input` is an EventBridge event, a Lambda SNS or SQS event, an SNS notification, a CloudTrail
/// record or log file (`{Records: [...]}`), `aws cloudtrail lookup-events` output, or a list of
/// events: as an object or as JSON text.
/// Throws an `Error` saying what and where when the input or an option cannot be used; inside a
/// batch, a bad record goes to `errors` instead.
#[wasm_bindgen(js_name = formatEvent)]
pub fn format_event(input: Input, options: Option<OptionsArg>) -> Result<FormattedOut, JsValue> {
    format(input, options, Shape::Objects).map(JsCast::unchecked_into)
}

/// {@link formatEvent}, with each message's payload as the exact JSON text to POST (`body`)
/// instead of an object: what a sender needs, without parsing and re-serialising the payload.
#[wasm_bindgen(js_name = formatBodies)]
pub fn format_bodies(input: Input, options: Option<OptionsArg>) -> Result<FormattedBodiesOut, JsValue> {
    format(input, options, Shape::Bodies).map(JsCast::unchecked_into)
}

/// What a formatting call returns: payloads as objects or as bodies, and thread facts or not.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Objects,
    Bodies,
    BodiesWithFacts,
}

fn format(input: Input, options: Option<OptionsArg>, shape: Shape) -> Result<JsValue, JsValue> {
    format_with(input, &config(options)?, shape)
}

fn format_with(input: Input, cfg: &crate::config::Config, shape: Shape) -> Result<JsValue, JsValue> {
    let text = input_text(input.into())?;
    let result = crate::format_text(&text, cfg, shape == Shape::BodiesWithFacts).map_err(into_error)?;
    js_sys::JSON::parse(&result.to_json(shape != Shape::Objects))
}

/// Options read and checked once, for many calls: the Lambda formats every record of a batch
/// with the same options, which can name hundreds of accounts. Throws like {@link formatEvent}
/// when an option cannot be used. Call `free()` when done with it.
#[wasm_bindgen]
pub struct Formatter {
    cfg: crate::config::Config,
}

#[wasm_bindgen]
impl Formatter {
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<OptionsArg>) -> Result<Formatter, JsValue> {
        Ok(Formatter { cfg: config(options)? })
    }

    /// {@link formatEvent} with this formatter's options.
    #[wasm_bindgen(js_name = formatEvent)]
    pub fn format_event(&self, input: Input) -> Result<FormattedOut, JsValue> {
        format_with(input, &self.cfg, Shape::Objects).map(JsCast::unchecked_into)
    }

    /// {@link formatBodies} with this formatter's options.
    #[wasm_bindgen(js_name = formatBodies)]
    pub fn format_bodies(&self, input: Input) -> Result<FormattedBodiesOut, JsValue> {
        format_with(input, &self.cfg, Shape::Bodies).map(JsCast::unchecked_into)
    }

    /// {@link formatBodies} with this formatter's options, plus the {@link ThreadFacts} of every
    /// security-group change (`facts`), from the same reading of each record: Slack app mode
    /// needs both, and reading the input twice cost a second call and its parse.
    #[wasm_bindgen(js_name = formatBodiesWithFacts)]
    pub fn format_bodies_with_facts(&self, input: Input) -> Result<FormattedBodiesWithFactsOut, JsValue> {
        format_with(input, &self.cfg, Shape::BodiesWithFacts).map(JsCast::unchecked_into)
    }
}

/// The options, read from one JSON text and validated (`undefined` or `null`: the defaults).
fn config(options: Option<OptionsArg>) -> Result<crate::config::Config, JsValue> {
    let text = match options {
        Some(o) => json_text(o.into(), "options")?,
        None => None,
    };
    crate::config::Config::from_json_str(text.as_deref().unwrap_or("")).map_err(into_error)
}

/// The input as JSON text: a string as it is, an object as one `JSON.stringify` (JavaScript
/// bounds its depth and rejects cycles and BigInts, and serde_json then bounds nesting, so no
/// input can exhaust the wasm stack). The core reads the text once, borrowing what it keeps.
fn input_text(input: JsValue) -> Result<String, JsValue> {
    match input.dyn_ref::<js_sys::JsString>() {
        Some(text) => Ok(utf8(text)),
        None => Ok(json_text(input, "input")?.unwrap_or_else(|| "null".into())),
    }
}

#[wasm_bindgen]
extern "C" {
    /// The global `TextEncoder` (Node.js and browsers).
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, source: &js_sys::JsString, destination: &js_sys::Uint8Array) -> EncodeIntoResult;
    type EncodeIntoResult;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A JavaScript string as UTF-8, written by `TextEncoder.encodeInto` straight into wasm memory.
/// NOTE: wasm-bindgen's own `as_string` copies it with a JavaScript loop, one character at a time
/// (about 3 µs of a 1.3 KB event, 6 % of a warm `formatEvent`). Lone surrogates become U+FFFD,
/// as there.
fn utf8(text: &js_sys::JsString) -> String {
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    let mut buf: Vec<u8> = Vec::with_capacity(text.length() as usize * 3);
    let written = ENCODER.with(|encoder| {
        // SAFETY: the view spans `buf`'s allocation and is used only within this call, during
        // which nothing allocates in wasm (so memory cannot grow and detach it).
        let view = unsafe { js_sys::Uint8Array::view_mut_raw(buf.as_mut_ptr(), buf.capacity()) };
        encoder.encode_into(text, &view).written() as usize
    });
    // SAFETY: encodeInto wrote `written` bytes (never more than the view's length) at the start.
    unsafe { buf.set_len(written.min(buf.capacity())) };
    // NOTE: encodeInto writes UTF-8 only; the check is the fast ASCII scan, and cannot fail.
    String::from_utf8(buf).unwrap_or_default()
}

/// A JS value as JSON text; `None` for undefined and null.
fn json_text(v: JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let text = js_sys::JSON::stringify(&v).map_err(|e| js_error(what, &format!("{what}: cannot be read as JSON: {}", describe(&e))))?;
    // NOTE: JSON.stringify returns undefined (not an error) for functions and symbols.
    text.dyn_ref::<js_sys::JsString>().map(|t| Some(utf8(t))).ok_or_else(|| js_error(what, &format!("{what}: expected an object or JSON text")))
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
}

/// The one place a core error becomes a JS `Error`, with the place as `error.path`.
fn into_error(e: Error) -> JsValue {
    js_error(&e.path(), &e.to_string())
}

fn js_error(path: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // NOTE: setting a data property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("path"), &JsValue::from_str(path));
    err.into()
}

/// Benchmark-only exports (`--features bench`, built by `make bench` into target/bench-pkg/,
/// never shipped): the same call over the other boundary paths, so that the public one is
/// chosen by measurement (js/bench/bench.mjs). Default options throughout.
#[cfg(feature = "bench")]
mod bench {
    use super::*;
    use serde_json::Value;
    use serde::Serialize;

    fn out(result: crate::Formatted, objects: bool) -> Result<JsValue, JsValue> {
        if objects {
            result.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(JsValue::from)
        } else {
            js_sys::JSON::parse(&result.to_json(false))
        }
    }

    fn from_object(input: JsValue) -> Result<Value, JsValue> {
        serde_wasm_bindgen::from_value(input).map_err(JsValue::from)
    }

    /// In: JSON text. Out: objects built by serde-wasm-bindgen (`objects`) or JSON text parsed by JS.
    #[wasm_bindgen(js_name = benchFormatText)]
    pub fn format_text(input: &str, objects: bool) -> Result<JsValue, JsValue> {
        out(crate::format_json(input, &Value::Null).map_err(into_error)?, objects)
    }

    /// In: a JS object read by serde-wasm-bindgen. Out: as `benchFormatText`.
    #[wasm_bindgen(js_name = benchFormatObject)]
    pub fn format_object(input: JsValue, objects: bool) -> Result<JsValue, JsValue> {
        out(crate::format_event(&from_object(input)?, &Value::Null).map_err(into_error)?, objects)
    }

    /// The input path alone: JSON text (`object` false) or a JS object to a `serde_json::Value`.
    #[wasm_bindgen(js_name = benchParseOnly)]
    pub fn parse_only(input: JsValue, object: bool) -> Result<bool, JsValue> {
        let v = if object {
            from_object(input)?
        } else {
            serde_json::from_str(&input.as_string().unwrap_or_default()).map_err(|e| JsValue::from_str(&e.to_string()))?
        };
        Ok(v.is_object())
    }

    /// The input path alone as the core reads it: JSON text to typed, borrowed documents.
    #[wasm_bindgen(js_name = benchReadOnly)]
    pub fn read_only(input: &str) -> Result<bool, JsValue> {
        crate::json::parse(input, "", |n| matches!(n, crate::json::Node::Doc(_))).map_err(into_error)
    }
}

#[wasm_bindgen(typescript_custom_section)]
const THREAD_TYPES: &'static str = r#"
/** What grouping changes into bursts needs about one security-group change (Slack app mode). */
export interface ThreadFacts {
  /** The record of the input, as in {@link Message.index}. */
  index: number;
  eventId?: string;
  /** Equal for changes by the same principal in the same account. */
  key: string;
  /** The account that owns the group. */
  account?: string;
  /** The principal as a person reads it; `principalType` is CloudTrail's userIdentity.type. */
  principal: string;
  principalType: string;
  /** The group's id, or its name when the event has no id. */
  group?: string;
  /** The event time (RFC 3339, UTC) and as epoch seconds; absent when unreadable. */
  time?: string;
  epochSeconds?: number;
}

/** A burst so far: the changes one principal made in one account within the thread window. */
export interface Burst {
  account?: string;
  principal: string;
  principalType?: string;
  /** Changes in the thread so far. */
  changes: number;
  /** The highest severity among them. Default "info". */
  severity?: Severity;
  /** Groups touched (the first few kept), and how many in all (default: groups.length). */
  groups?: string[];
  groupCount?: number;
  /** Event times of the first and the last change (RFC 3339). */
  firstTime?: string;
  lastTime?: string;
}

/** The parent message of a thread, for chat.postMessage / chat.update (add channel, and ts to update). */
export interface ThreadSummary {
  text: string;
  blocks: Block[];
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "Burst")]
    pub type BurstArg;
    #[wasm_bindgen(typescript_type = "ThreadFacts[]")]
    pub type ThreadFactsOut;
    #[wasm_bindgen(typescript_type = "ThreadSummary")]
    pub type ThreadSummaryOut;
}

/// Who, which account, when and which group, for every security-group change in `input` (any
/// input {@link formatEvent} takes), so that changes can be grouped into threads. Records that are
/// not SG changes or cannot be read have no entry ({@link formatEvent} reports them).
#[wasm_bindgen(js_name = threadFacts)]
pub fn thread_facts(input: Input) -> Result<ThreadFactsOut, JsValue> {
    let text = input_text(input.into())?;
    to_js(&crate::thread_facts_json(&text).map_err(into_error)?).map(JsCast::unchecked_into)
}

/// The parent message of a burst: who, the account, how many changes so far, the highest
/// severity, the groups touched, the first and last time, in the options' zone and locale.
/// Throws an `Error` naming the key (`burst.changes: ...`) when the burst or an option is wrong.
#[wasm_bindgen(js_name = threadSummary)]
pub fn thread_summary(burst: BurstArg, options: Option<OptionsArg>) -> Result<ThreadSummaryOut, JsValue> {
    let burst = read_burst(burst)?;
    summary_with(&burst, &config(options)?)
}

fn read_burst(burst: BurstArg) -> Result<crate::thread::Burst, JsValue> {
    let burst = json_text(burst.into(), "burst")?;
    crate::thread::Burst::from_json_str(burst.as_deref().unwrap_or("null")).map_err(into_error)
}

fn summary_with(burst: &crate::thread::Burst, cfg: &crate::config::Config) -> Result<ThreadSummaryOut, JsValue> {
    to_js(&crate::thread::summary(burst, cfg)).map(JsCast::unchecked_into)
}

#[wasm_bindgen]
impl Formatter {
    /// {@link threadSummary} with this formatter's options (a parent message is edited on every
    /// change of its burst: the options are not read again each time).
    #[wasm_bindgen(js_name = threadSummary)]
    pub fn thread_summary(&self, burst: BurstArg) -> Result<ThreadSummaryOut, JsValue> {
        summary_with(&read_burst(burst)?, &self.cfg)
    }
}

fn to_js(value: &(impl crate::out::Json + ?Sized)) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&crate::out::to_text(value))
}
