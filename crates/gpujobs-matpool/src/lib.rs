//! Generated client for the **Matpool PaaS** job API (`/v1/job…`: create, get
//! one, all statuses, list, cancel). Every answer is a `{code, msg, …}`
//! envelope, and failures arrive with HTTP 200 and `code != 0`.
//!
//! The code in `generated.rs` is produced by `cargo xtask regen` from
//! `specs/matpool/` (a spec we wrote from Matpool's docs; `SOURCE.md` there
//! says where each part comes from). Creating a job is a `multipart/form-data`
//! request, which progenitor does not generate: [`Client::create_job`] is
//! written by hand in `create.rs`, on the generated types.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let http = reqwest::Client::builder()
//!     .default_headers(gpujobs_runtime::bearer_headers(&gpujobs_matpool::Secret::new("token"))?)
//!     .build()?;
//! let client = gpujobs_matpool::new_client("https://paas.matpool.com", http);
//! let page = client.list_jobs(Some(false), Some("1"), Some("10")).await?.into_inner();
//! println!("{} jobs", page.pagination.map_or(0, |p| p.total));
//! # Ok(()) }
//! ```

gpujobs_runtime::generated_client!("matpool", extra_endpoints = create::ENDPOINTS);

mod create;
