//! Generated client for the **openYuanrong** job REST API (`/api/jobs`:
//! submit, list, get, stop, delete), which mirrors Ray's Jobs API with its own
//! wire quirks: string times, bare-boolean stop/delete answers and
//! JSON-string error bodies.
//!
//! The code in `generated.rs` is produced by `cargo xtask regen` from
//! `specs/yuanrong/` (a spec we wrote from openYuanrong's docs and code;
//! `SOURCE.md` there says where each part comes from). openYuanrong documents
//! no authentication for job endpoints.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = gpujobs_yuanrong::new_client("http://127.0.0.1:8888", reqwest::Client::new());
//! for job in client.list_jobs().await?.into_inner() {
//!     println!("{} {}", job.submission_id, job.status);
//! }
//! # Ok(()) }
//! ```

gpujobs_runtime::generated_client!("yuanrong");
