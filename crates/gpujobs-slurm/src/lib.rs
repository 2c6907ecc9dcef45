//! Generated client for **Slurm's REST API** as slurmrestd 22.05 serves it
//! with the `v0.0.38` plugin (`/slurm/v0.0.38/…`: jobs, nodes, partitions,
//! reservations, ping, diag).
//!
//! The code in `generated.rs` is produced by `cargo xtask regen` from
//! `specs/slurm/` (the spec exactly as slurmrestd serves it, plus our overlay;
//! `SOURCE.md` there says how it was obtained and what the overlay changes).
//! Requests carry `X-SLURM-USER-NAME` and `X-SLURM-USER-TOKEN` (what
//! `scontrol token` prints); set them as the HTTP client's default headers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut headers = reqwest::header::HeaderMap::new();
//! headers.insert("x-slurm-user-name", "alice".parse()?);
//! let mut token: reqwest::header::HeaderValue = std::env::var("SLURM_JWT")?.parse()?;
//! token.set_sensitive(true);
//! headers.insert("x-slurm-user-token", token);
//! let http = reqwest::Client::builder().default_headers(headers).build()?;
//! let slurm = gpujobs_slurm::new_client("http://127.0.0.1:6820", http);
//! let jobs = slurm.list_jobs(None).await?.into_inner();
//! println!("{} jobs", jobs.jobs.len());
//! # Ok(()) }
//! ```

gpujobs_runtime::generated_client!("slurm");
