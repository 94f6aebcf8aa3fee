//! The JS boundary, exercised the same way in Node (`tests/wasm_node.rs`) and in headless
//! Chromium (`tests/wasm_browser.rs`): values cross exactly as a JS caller hands them over.

use js_sys::{Array, Object, Reflect, JSON};
use sgnotify::wasm::format_event;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const INGRESS_V4_V6: &str = include_str!("../fixtures/events/aws-spotlight__AuthorizeSecurityGroupIngress__1.json");
const EVENTBRIDGE: &str = include_str!("../fixtures/events/watch-security-group__AuthorizeSecurityGroupIngress__1.json");

fn call(input: JsValue, options: Option<JsValue>) -> Result<JsValue, JsValue> {
    format_event(input.unchecked_into(), options.map(|o| o.unchecked_into())).map(Into::into)
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).expect("property read")
}

fn messages(result: &JsValue) -> Array {
    get(result, "messages").dyn_into::<Array>().expect("messages is an array")
}

fn error_message(e: &JsValue) -> String {
    let err = e.dyn_ref::<js_sys::Error>().expect("a JS Error, not a string");
    String::from(err.message())
}

fn options(json: &str) -> Option<JsValue> {
    Some(JSON::parse(json).expect("options JSON"))
}

#[wasm_bindgen_test]
fn json_text_and_object_inputs_give_the_same_result() {
    let from_text = call(JsValue::from_str(INGRESS_V4_V6), None).expect("text input formats");
    let object = JSON::parse(INGRESS_V4_V6).expect("fixture is JSON");
    let from_object = call(object, None).expect("object input formats");
    assert_eq!(messages(&from_text).length(), 2, "one message for 0.0.0.0/0 and one for ::/0");
    assert_eq!(JSON::stringify(&from_text).unwrap(), JSON::stringify(&from_object).unwrap());
}

#[wasm_bindgen_test]
fn the_result_is_plain_js_objects() {
    let result = call(JsValue::from_str(EVENTBRIDGE), options(r#"{"accounts": {"xxxxxxxxxxxx": "prod"}}"#)).unwrap();
    let first = messages(&result).get(0);
    assert!(first.is_instance_of::<Object>());
    assert_eq!(get(&first, "severity").as_string().as_deref(), Some("critical"));
    assert_eq!(get(&first, "eventName").as_string().as_deref(), Some("AuthorizeSecurityGroupIngress"));
    let payload = get(&first, "payload");
    let text = get(&payload, "text").as_string().unwrap();
    assert!(text.contains("SSH"), "{text}");
    assert!(Array::is_array(&get(&payload, "attachments")));
    assert!(Array::is_array(&get(&result, "skipped")));
    assert!(Array::is_array(&get(&result, "errors")));
}

#[wasm_bindgen_test]
fn bad_input_throws_an_error_that_says_what_and_where() {
    let bad = r#"{"detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2", "detail": {
        "eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
        "requestParameters": {"groupId": "sg-1", "ipPermissions": {"items": "tcp 22"}}}}"#;
    let e = call(JsValue::from_str(bad), None).unwrap_err();
    assert_eq!(error_message(&e), "detail.requestParameters.ipPermissions.items: expected a list, found a string");
    let e = call(JsValue::from_str("{not json"), None).unwrap_err();
    assert!(error_message(&e).starts_with("input: invalid JSON: key must be a string at line 1 column 2"), "{}", error_message(&e));
    // The module keeps working after errors.
    assert_eq!(messages(&call(JsValue::from_str(INGRESS_V4_V6), None).unwrap()).length(), 2);
}

#[wasm_bindgen_test]
fn bad_options_throw_and_name_the_option() {
    let e = call(JsValue::from_str(INGRESS_V4_V6), options(r#"{"timezone": "Mars/Olympus_Mons"}"#)).unwrap_err();
    assert!(error_message(&e).starts_with("options.timezone: unknown time zone \"Mars/Olympus_Mons\""));
    let e = call(JsValue::from_str(INGRESS_V4_V6), options(r#"{"locale": "fr"}"#)).unwrap_err();
    assert!(error_message(&e).starts_with("options.locale:"));
}

#[wasm_bindgen_test]
fn values_json_cannot_hold_are_refused_cleanly() {
    // A cycle: JSON.stringify throws inside the boundary; the caller gets an Error.
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let e = call(cyclic.into(), None).unwrap_err();
    assert!(error_message(&e).starts_with("input: cannot be read as JSON"), "{}", error_message(&e));
    let f = js_sys::Function::new_no_args("return 1");
    let e = call(f.into(), None).unwrap_err();
    assert!(error_message(&e).starts_with("input:"));
    let e = call(JsValue::from_f64(3.0), None).unwrap_err();
    assert!(error_message(&e).starts_with("input: expected an EventBridge event"), "{}", error_message(&e));
    assert_eq!(messages(&call(JsValue::from_str(INGRESS_V4_V6), None).unwrap()).length(), 2);
}

#[wasm_bindgen_test]
fn lone_surrogates_from_js_do_not_break_formatting() {
    // "\uD800" is not valid UTF-16 on its own; the boundary replaces it, formatting goes on.
    let event = JSON::parse(INGRESS_V4_V6).unwrap();
    let rp = get(&get(&event, "requestParameters"), "ipPermissions");
    let item = get(&rp, "items").dyn_into::<Array>().unwrap().get(0);
    let range = get(&get(&item, "ipRanges"), "items").dyn_into::<Array>().unwrap().get(0);
    let lone = js_sys::JsString::from_char_code1(0xD800);
    Reflect::set(&range, &"description".into(), &lone.concat(&"<!channel>".into())).unwrap();
    let result = call(event, None).expect("formats");
    let text = JSON::stringify(&result).unwrap().as_string().unwrap();
    assert!(text.contains("&lt;!channel&gt;"), "the description is escaped");
    assert!(!text.contains("<!channel>"));
}

#[wasm_bindgen_test]
fn warnings_and_the_colour_scheme_cross_the_boundary() {
    let event = JSON::parse(EVENTBRIDGE).unwrap();
    Reflect::set(&get(&event, "detail"), &"userAgent".into(), &Object::new()).unwrap();
    let result = call(event, options(r#"{"colorScheme": "action"}"#)).expect("an odd userAgent costs no message");
    let first = messages(&result).get(0);
    let warnings = get(&first, "warnings").dyn_into::<Array>().expect("warnings is an array");
    assert_eq!(warnings.get(0).as_string().as_deref(), Some("detail.userAgent: expected a string, found an object"));
    let attachment = get(&get(&first, "payload"), "attachments").dyn_into::<Array>().unwrap().get(0);
    assert_eq!(get(&attachment, "color").as_string().as_deref(), Some("#0c3f7d"));
    let e = call(JsValue::from_str(EVENTBRIDGE), options(r#"{"colorScheme": "loud"}"#)).unwrap_err();
    assert!(error_message(&e).starts_with("options.colorScheme: unknown colour scheme"));
}

#[wasm_bindgen_test]
fn policy_crosses_the_boundary_routes_and_names_bad_keys() {
    // EVENTBRIDGE: SSH from anywhere in account 123456789012.
    let opts = r#"{"accounts": {"123456789012": {"name": "web", "ou": "Root/Prod/Web"}},
        "policy": {"routes": [{"destination": "sec-alerts", "mention": "<!here>", "match": {"ou": "Root/Prod"}}]}}"#;
    let first = messages(&call(JsValue::from_str(EVENTBRIDGE), options(opts)).unwrap()).get(0);
    assert_eq!(get(&first, "destination").as_string().as_deref(), Some("sec-alerts"));
    assert_eq!(get(&first, "mention").as_string().as_deref(), Some("<!here>"));
    assert!(get(&get(&first, "payload"), "text").as_string().unwrap().starts_with("<!here> "));
    let e = call(JsValue::from_str(EVENTBRIDGE), options(r#"{"policy": {"routes": [{"destination": "x", "match": {"severity": "high"}}]}}"#)).unwrap_err();
    assert!(error_message(&e).starts_with("options.policy.routes[0].match.severity: unknown severity \"high\""), "{}", error_message(&e));
}

#[wasm_bindgen_test]
fn errors_carry_their_place_as_path() {
    let e = call(JsValue::from_str(r#"{"Records": 5}"#), None).unwrap_err();
    assert_eq!(get(&e, "path").as_string().as_deref(), Some("Records"));
    assert_eq!(error_message(&e), "Records: expected a list, found a number");
    let e = call(JsValue::from_str("{}"), options(r#"{"timeZone": "UTC"}"#)).unwrap_err();
    assert_eq!(get(&e, "path").as_string().as_deref(), Some("options.timeZone"));
    // Inside a batch, each bad record names its place too.
    let batch = r#"{"Records": [{"body": "{x"}, {"body": 7}]}"#;
    let errors = get(&call(JsValue::from_str(batch), None).unwrap(), "errors").dyn_into::<Array>().unwrap();
    let paths: Vec<String> = errors.iter().map(|e| get(&e, "path").as_string().unwrap()).collect();
    assert_eq!(paths, ["Records[0].body", "Records[1].body"]);
}

#[wasm_bindgen_test]
fn bodies_are_the_payloads_as_json_text() {
    let objects = messages(&call(JsValue::from_str(INGRESS_V4_V6), None).unwrap());
    let bodies = sgnotify::wasm::format_bodies(JsValue::from_str(INGRESS_V4_V6).unchecked_into(), None).map(JsValue::from).unwrap();
    let bodies = messages(&bodies);
    assert_eq!(bodies.length(), objects.length());
    for (b, o) in bodies.iter().zip(objects.iter()) {
        let body = get(&b, "body").as_string().expect("body is a string");
        assert!(get(&b, "payload").is_undefined());
        assert_eq!(JSON::stringify(&JSON::parse(&body).unwrap()).unwrap(), JSON::stringify(&get(&o, "payload")).unwrap());
        assert_eq!(get(&b, "summary").as_string(), get(&o, "summary").as_string());
    }
}

#[wasm_bindgen_test]
fn a_prepared_formatter_gives_what_the_call_with_options_gives() {
    let opts = r#"{"timezone": "Asia/Seoul", "accounts": {"123456789012": "web"}}"#;
    let f = sgnotify::wasm::Formatter::new(options(opts).map(|o| o.unchecked_into())).unwrap();
    for input in [INGRESS_V4_V6, EVENTBRIDGE] {
        let prepared = f.format_event(JsValue::from_str(input).unchecked_into()).map(JsValue::from).unwrap();
        let direct = call(JsValue::from_str(input), options(opts)).unwrap();
        assert_eq!(JSON::stringify(&prepared).unwrap(), JSON::stringify(&direct).unwrap());
    }
    let e = sgnotify::wasm::Formatter::new(options(r#"{"locale": "fr"}"#).map(|o| o.unchecked_into())).err().unwrap();
    assert_eq!(get(&e, "path").as_string().as_deref(), Some("options.locale"));
}
