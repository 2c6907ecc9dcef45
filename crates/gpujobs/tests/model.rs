//! The job model: its JSON form and its JSON Schema.

use gpujobs::SensitiveUrl;
use gpujobs::prelude::*;

/// In order; then `raw`, the provider's record, where there is one.
const FIELDS: [&str; 12] = [
    "provider",
    "id",
    "name",
    "status",
    "provider_status",
    "failure_reason",
    "exit_code",
    "created_at",
    "started_at",
    "finished_at",
    "message",
    "log_url",
];

#[test]
fn a_job_serializes_with_stable_field_names_and_rfc3339_times() {
    let mut job = Job::new(ProviderKind::Ray, "r-1", JobStatus::Failed, "FAILED");
    job.exit_code = Some(3);
    job.finished_at = chrono::DateTime::from_timestamp(1_767_225_600, 0);
    job.log_url = Some(SensitiveUrl::new("https://logs/x?token=t0k"));
    let text = serde_json::to_string(&job).unwrap();
    let positions: Vec<usize> = FIELDS
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "fields out of order: {text}");
    assert!(
        !text.contains("\"raw\""),
        "a job made by hand has no record: {text}"
    );
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["status"], "failed");
    assert_eq!(value["provider"], "ray");
    assert_eq!(value["finished_at"], "2026-01-01T00:00:00Z");
    assert_eq!(value["log_url"], "https://logs/x?token=[REDACTED]");
}

#[test]
fn unknown_statuses_serialize_as_unknown_and_keep_the_raw_value() {
    let status = JobStatus::Unknown("preempted".into());
    let job = Job::new(ProviderKind::Tensorpool, "t", status, "preempted");
    let value = serde_json::to_value(&job).unwrap();
    assert_eq!(value["status"], "unknown");
    assert_eq!(value["provider_status"], "preempted");
}

#[test]
fn the_json_schema_describes_every_field_and_status() {
    let schema = Job::json_schema();
    let properties = schema["properties"].as_object().unwrap();
    for field in FIELDS.iter().chain(&["raw"]) {
        assert!(properties.contains_key(*field), "{field} missing");
    }
    let statuses = &schema["$defs"]["JobStatus"]["enum"];
    assert_eq!(statuses.as_array().unwrap().len(), 8);
    let providers: Vec<&str> = schema["$defs"]["ProviderKind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // Every provider built in, in order, and nothing else: a test-only provider (the
    // sandbox's in-memory one) is a custom provider, in no public type of the library.
    let expected: Vec<&str> = gpujobs::ProviderKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(providers, expected);
    assert!(providers.contains(&"slurm"));
}

#[test]
fn logs_are_in_the_prelude_with_their_text() {
    use gpujobs::prelude::*;
    let logs = Logs::Text("epoch 1\n".into());
    assert_eq!(logs.text(), Some("epoch 1\n"));
}
