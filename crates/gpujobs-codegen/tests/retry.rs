//! Retry rules declared in specs (`x-gpujobs-retry`), checked at regen.

use gpujobs_codegen::retry::{Retry, rules};
use serde_json::{Value, json};

fn spec(submit: Value, required: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "paths": {
            "/jobs": {
                "get": { "operationId": "list_jobs" },
                "post": submit,
            },
            "/jobs/{id}/stop": { "post": { "operationId": "stop_job", "x-gpujobs-retry": "safe" } },
            "/jobs/{id}": { "delete": { "operationId": "delete_job" } },
        },
        "components": { "schemas": { "Submit": {
            "type": "object",
            "required": required,
            "properties": { "command": {"type": "string"}, "token": {"type": "string"} },
        }}},
    })
}

fn submit(retry: Value) -> Value {
    json!({
        "operationId": "submit_job",
        "x-gpujobs-retry": retry,
        "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Submit" } } } },
    })
}

fn rule(
    rules: &std::collections::BTreeMap<(String, String), Retry>,
    method: &str,
    path: &str,
) -> Retry {
    rules[&(method.to_owned(), path.to_owned())].clone()
}

#[test]
fn declared_rules_and_method_defaults() {
    let spec = spec(
        submit(json!({"idempotency-key": "token"})),
        json!(["command", "token"]),
    );
    let declared = rules(&spec).unwrap();
    assert_eq!(
        rule(&declared, "POST", "/jobs"),
        Retry::IdempotencyKey("token".into())
    );
    assert_eq!(rule(&declared, "POST", "/jobs/{id}/stop"), Retry::Safe);
    assert_eq!(rule(&declared, "GET", "/jobs"), Retry::Safe);
    assert_eq!(rule(&declared, "DELETE", "/jobs/{id}"), Retry::Safe);
    let mut undeclared = spec.clone();
    undeclared["paths"]["/jobs"]["post"]
        .as_object_mut()
        .unwrap()
        .remove("x-gpujobs-retry");
    assert_eq!(
        rule(&rules(&undeclared).unwrap(), "POST", "/jobs"),
        Retry::Never
    );
    for text in ["safe", "never", "key:token"] {
        assert_eq!(Retry::parse(text).unwrap().to_string(), text);
    }
}

#[test]
fn a_key_the_body_does_not_have_or_require_fails_naming_operation_and_field() {
    let missing = spec(
        submit(json!({"idempotency-key": "submission_id"})),
        json!(["command"]),
    );
    let error = rules(&missing).unwrap_err();
    assert!(
        error.contains("operation submit_job")
            && error.contains("`submission_id`")
            && error.contains("does not have"),
        "{error}"
    );
    let optional = spec(
        submit(json!({"idempotency-key": "token"})),
        json!(["command"]),
    );
    let error = rules(&optional).unwrap_err();
    assert!(
        error.contains("`token`") && error.contains("does not require"),
        "{error}"
    );
    let typo = spec(submit(json!("sometimes")), json!([]));
    assert!(rules(&typo).unwrap_err().contains("operation submit_job"));
}
