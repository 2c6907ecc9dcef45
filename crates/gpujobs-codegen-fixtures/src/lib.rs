//! One small spec per normalisation rule (in `specs/`), with its complete
//! generated client committed beside it and compiled here, so a change in a
//! rule or in progenitor shows as a diff of a few dozen lines and anything that
//! no longer compiles fails the build. `cargo xtask regen` writes these files;
//! `cargo xtask regen --check` fails when they are stale.

/// Rule `auth-header`.
pub mod auth_header {
    gpujobs_runtime::generated_client!("auth_header");
}
/// Rule `doc-text`.
pub mod doc_text {
    gpujobs_runtime::generated_client!("doc_text");
}
/// Rule `open-responses`.
pub mod open_responses {
    gpujobs_runtime::generated_client!("open_responses");
}
/// Rule `openapi-3.1`.
pub mod openapi31 {
    gpujobs_runtime::generated_client!("openapi31");
}
/// Rule `operation-ids`.
pub mod operation_ids {
    gpujobs_runtime::generated_client!("operation_ids");
}
/// Rule `response-bodies`.
pub mod response_bodies {
    gpujobs_runtime::generated_client!("response_bodies");
}
/// Rule `secrets`.
pub mod secrets {
    gpujobs_runtime::generated_client!("secrets");
}
