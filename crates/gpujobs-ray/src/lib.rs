//! Generated client for the **Ray Jobs REST API** (`/api/version`,
//! `/api/jobs/…`: submit, list, get, stop, delete, logs), shaped after what a
//! real Ray 2.60 server returns (integer-millisecond times, `{"stopped": …}`,
//! `{"deleted": …}`, `text/plain` errors).
//!
//! The code in `generated.rs` is produced by `cargo xtask regen` from
//! `specs/ray/` (`SOURCE.md` there says where each part comes from).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = gpujobs_ray::new_client("http://127.0.0.1:8265", reqwest::Client::new());
//! let version = client.get_version().await?.into_inner();
//! println!("Ray {}", version.ray_version);
//! # Ok(()) }
//! ```

gpujobs_runtime::generated_client!("ray");
