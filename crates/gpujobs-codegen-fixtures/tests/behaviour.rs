//! What each rule buys at run time, on the fixtures' generated clients.

use gpujobs_codegen_fixtures::{open_responses, openapi31, secrets};

#[test]
fn an_unknown_enum_value_and_an_extra_field_still_decode() {
    let job: open_responses::types::Job =
        serde_json::from_str(r#"{"id":"j","status":"PREEMPTED","priority":9,"new_field":true}"#)
            .unwrap();
    assert_eq!(job.status.0, "PREEMPTED");
}

#[test]
fn request_enums_stay_closed() {
    let filter: Result<open_responses::types::StatusFilter, _> =
        serde_json::from_str(r#""sideways""#);
    assert!(filter.is_err());
}

#[test]
fn secret_fields_never_print() {
    let cred: secrets::types::Cred =
        serde_json::from_str(r#"{"user":"root","password":"canary-pw-1","token":"canary-tok-2"}"#)
            .unwrap();
    let shown = format!("{cred:?}");
    assert!(!shown.contains("canary"), "{shown}");
    assert_eq!(cred.password.expose(), "canary-pw-1");
}

#[test]
fn converted_nullable_fields_accept_null() {
    let thing: openapi31::types::Thing =
        serde_json::from_str(r#"{"id":"t","kind":"thing","note":null,"parent":null,"score":null}"#)
            .unwrap();
    assert!(thing.note.is_none() && thing.parent.is_none() && thing.score.is_none());
}
