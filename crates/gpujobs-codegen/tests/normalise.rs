//! Each normalisation rule on its fixture spec (`crates/gpujobs-codegen-fixtures/specs/`):
//! the normalised document and the change notes are pinned with insta, and the
//! rule-specific outcomes are asserted. The fixtures' full generated clients are
//! committed and compiled in the `gpujobs-codegen-fixtures` crate.

use std::path::Path;

use gpujobs_codegen::{FIXTURES_CRATE, normalise};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join(FIXTURES_CRATE)
        .join("specs")
        .join(format!("{name}.yaml"));
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Normalises a fixture, snapshots the result and notes, and returns the document.
fn normalised(name: &str) -> Value {
    let out = normalise(fixture(name)).unwrap();
    let pretty = serde_json::to_string_pretty(&out.spec).unwrap();
    insta::assert_snapshot!(name, format!("{}\n\n{pretty}", out.notes.join("\n")));
    out.spec
}

fn pointer<'a>(doc: &'a Value, at: &str) -> &'a Value {
    doc.pointer(at).unwrap_or_else(|| panic!("nothing at {at}"))
}

#[test]
fn openapi31_converts_to_303() {
    let doc = normalised("openapi31");
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc.get("jsonSchemaDialect").is_none());
    let thing = pointer(&doc, "/components/schemas/Thing/properties");
    assert_eq!(thing["note"], json!({ "type": "string", "nullable": true }));
    assert_eq!(
        thing["parent"],
        json!({ "nullable": true, "allOf": [{ "$ref": "#/components/schemas/Parent" }] })
    );
    // const → a one-value enum, which the open-responses rule then opens (Thing is a response type).
    assert!(
        thing["kind"]["description"]
            .as_str()
            .unwrap()
            .ends_with("Known values: thing. Others may appear.")
    );
    assert_eq!(
        thing["score"],
        json!({ "type": "number", "nullable": true, "minimum": 0, "exclusiveMinimum": true })
    );
    assert_eq!(thing["tags"]["example"], json!(["a", "b"]));
    assert_eq!(
        pointer(&doc, "/components/schemas/Parent/properties/name"),
        &json!({ "$ref": "#/components/schemas/Name" })
    );
}

#[test]
fn openapi31_constructs_without_a_30_equivalent_fail_loudly() {
    let cases = [
        (
            json!({ "type": "array", "prefixItems": [{ "type": "string" }] }),
            "`prefixItems`",
        ),
        (
            json!({ "type": ["string", "integer"] }),
            "cannot be said in 3.0",
        ),
        (
            json!({ "$ref": "#/components/schemas/X", "default": 1 }),
            "sibling `default`",
        ),
        (
            json!({ "type": "object", "patternProperties": { "^x": {} } }),
            "`patternProperties`",
        ),
    ];
    for (schema, expected) in cases {
        let doc = json!({
            "openapi": "3.1.0", "info": { "title": "t", "version": "1" }, "paths": {},
            "components": { "schemas": { "Bad": { "type": "object", "properties": { "field": schema } } } }
        });
        let err = normalise(doc).unwrap_err().to_string();
        assert!(
            err.contains("openapi-3.1") && err.contains("/components/schemas/Bad/properties/field"),
            "{err}"
        );
        assert!(err.contains(expected), "{err} should mention {expected}");
    }
}

#[test]
fn operation_ids_are_synthesised_only_where_missing() {
    let doc = normalised("operation_ids");
    assert_eq!(
        doc["paths"]["/gpus/v2/jobs/{job_id}"]["get"]["operationId"],
        "get_gpus_v2_jobs_by_job_id"
    );
    assert_eq!(
        doc["paths"]["/gpus/v2/jobs/{job_id}/stop"]["post"]["operationId"],
        "post_gpus_v2_jobs_by_job_id_stop"
    );
    assert_eq!(
        doc["paths"]["/gpus/v2/jobs"]["get"]["operationId"],
        "list_jobs"
    );
}

#[test]
fn duplicate_operation_ids_are_refused() {
    let op = json!({ "operationId": "same", "responses": { "200": { "description": "ok" } } });
    let doc = json!({ "openapi": "3.0.3", "info": { "title": "t", "version": "1" },
        "paths": { "/a": { "get": op.clone() }, "/b": { "get": op } } });
    let err = normalise(doc).unwrap_err().to_string();
    assert!(err.contains("duplicate operationId `same`"), "{err}");
}

#[test]
fn error_side_keeps_one_body_kind() {
    let doc = normalised("response_bodies");
    let info: Vec<&String> = doc["paths"]["/job/info/{job_id}"]["get"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(info, ["200", "422"]);
    let cancel: Vec<&String> = doc["paths"]["/job/cancel/{job_id}"]["post"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        cancel,
        ["200", "202", "404"],
        "the raw text body is kept, the body-less 500 dropped"
    );
}

#[test]
fn disagreeing_success_bodies_are_refused() {
    let doc = json!({ "openapi": "3.0.3", "info": { "title": "t", "version": "1" },
        "paths": { "/a": { "post": { "operationId": "a", "responses": {
            "200": { "description": "ok", "content": { "application/json": { "schema": { "type": "object" } } } },
            "204": { "description": "no content" } } } } } });
    let err = normalise(doc).unwrap_err().to_string();
    assert!(
        err.contains("response-bodies") && err.contains("200 and 204"),
        "{err}"
    );
}

#[test]
fn response_schemas_are_opened_and_request_enums_kept() {
    let doc = normalised("open_responses");
    let job = pointer(&doc, "/components/schemas/Job");
    assert!(job.get("additionalProperties").is_none());
    assert!(job["properties"]["priority"].get("enum").is_none());
    let status = pointer(&doc, "/components/schemas/Status");
    assert!(status.get("enum").is_none());
    assert!(
        status["description"]
            .as_str()
            .unwrap()
            .contains("PENDING, RUNNING, SUCCEEDED")
    );
    assert_eq!(
        pointer(&doc, "/components/schemas/StatusFilter/enum"),
        &json!(["active", "finished"])
    );
}

#[test]
fn authorization_header_parameters_are_removed() {
    let doc = normalised("auth_header");
    let item = &doc["paths"]["/jobs/{job_id}"];
    assert_eq!(item["parameters"], json!([]));
    let names: Vec<&str> = item["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["job_id", "X-Tenant-Id"]);
}

#[test]
fn secret_fields_map_to_the_runtime_secret() {
    let doc = normalised("secrets");
    let props = pointer(&doc, "/components/schemas/Cred/properties");
    for field in ["password", "token"] {
        assert_eq!(
            props[field]["x-rust-type"]["path"], "gpujobs_runtime::Secret",
            "{field}"
        );
    }
    assert!(props["user"].get("x-rust-type").is_none());
}

#[test]
fn spec_text_is_made_safe_for_rustdoc() {
    let doc = normalised("doc_text");
    let get = pointer(&doc, "/paths/~1jobs~1{job_id}/get");
    assert_eq!(get["summary"], "Get one job \\[by id\\]");
    assert_eq!(
        get["description"],
        "Details at <https://example.com/docs/jobs>. The id looks like `job-<n>`."
    );
    let job = pointer(&doc, "/components/schemas/Job");
    assert_eq!(
        job["description"],
        "A job on a \\<market GPU name\\> machine"
    );
    assert_eq!(
        job["properties"]["ports"]["description"],
        "Ports as port_\\<n\\>, e.g. `port_<8080>`"
    );
    assert_eq!(
        job["properties"]["id"]["description"],
        "Plain text stays as it is"
    );
}
