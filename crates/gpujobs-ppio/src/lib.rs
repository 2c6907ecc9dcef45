//! Generated client for the **PPIO GPU API v2** job operations
//! (`/gpus/v2/jobs…`: get, list, stop, save image).
//!
//! The code in `generated.rs` is produced by `cargo xtask regen` from
//! `specs/ppio/` (the published spec plus our overlay; `SOURCE.md` there says
//! where each operation and field comes from). Most users want the `gpujobs`
//! facade instead; this crate is the full-fidelity layer beneath it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let http = reqwest::Client::builder()
//!     .default_headers(gpujobs_runtime::bearer_headers(&gpujobs_ppio::Secret::new("sk-…"))?)
//!     .build()?;
//! let client = gpujobs_ppio::new_client("https://api.ppio.com", http);
//! let job = client.get_job("job-id").await?.into_inner();
//! println!("{:?}", job.status);
//! # Ok(()) }
//! ```

gpujobs_runtime::generated_client!("ppio");
