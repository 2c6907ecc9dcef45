//! Generated client for the **TensorPool** job REST API (`/job/…`: info,
//! list, cancel, pull, delete; `/request/info/…` for asynchronous requests).
//! Jobs are *submitted* over a WebSocket, which OpenAPI cannot describe.
//!
//! The code in `generated.rs` is produced by `cargo xtask regen` from
//! `specs/tensorpool/` (the published OpenAPI 3.1 fragment plus our overlay;
//! `SOURCE.md` there says where each part comes from).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let http = reqwest::Client::builder()
//!     .default_headers(gpujobs_runtime::bearer_headers(&gpujobs_tensorpool::Secret::new("tp-…"))?)
//!     .build()?;
//! let client = gpujobs_tensorpool::new_client("https://engine.tensorpool.dev", http);
//! let info = client.get_job_info("job-id").await?.into_inner();
//! println!("{}", info.message);
//! # Ok(()) }
//! ```

gpujobs_runtime::generated_client!("tensorpool");
