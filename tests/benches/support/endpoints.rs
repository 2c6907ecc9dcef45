//! Each provider's get endpoint with a recorded answer: what the facade
//! benchmark measures per provider (`tests/one_list.rs` checks that every
//! provider in the registry has one).

use gpujobs::ProviderKind;

use super::payload;

/// The job id every benchmarked get asks for.
pub const ID: &str = "1001";

/// A provider's get endpoint: its path, the recorded answer served there, its decoder.
pub struct Endpoint {
    /// The provider.
    pub kind: ProviderKind,
    /// The get path for job [`ID`], below the provider's base URL.
    pub path: String,
    /// The recorded answer.
    pub body: Vec<u8>,
    /// Decodes an answer into the generated type, as the generated client does.
    pub decode: Decode,
}

/// Decodes an answer into a generated type.
pub type Decode = fn(&[u8]) -> Result<(), serde_json::Error>;

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), serde_json::Error> {
    std::hint::black_box(serde_json::from_slice::<T>(body)?);
    Ok(())
}

/// `kind`'s get endpoint (`None`: not benchmarked, which `tests/one_list.rs` refuses).
pub fn endpoint(kind: ProviderKind) -> Option<Endpoint> {
    let (path, body, decode): (String, Vec<u8>, Decode) = match kind {
        ProviderKind::Ppio => (
            format!("/gpus/v2/jobs/{ID}"),
            payload("ppio", "get_job"),
            decode::<gpujobs_ppio::types::Job>,
        ),
        ProviderKind::Yuanrong => (
            format!("/api/jobs/{ID}"),
            payload("yuanrong", "get_job"),
            decode::<gpujobs_yuanrong::types::AppInfo>,
        ),
        ProviderKind::Ray => (
            format!("/api/jobs/{ID}"),
            payload("ray", "get_job_succeeded"),
            decode::<gpujobs_ray::types::JobDetails>,
        ),
        ProviderKind::Matpool => (
            format!("/v1/job?id={ID}"),
            payload("matpool", "get_job"),
            decode::<gpujobs_matpool::types::JobResponse>,
        ),
        ProviderKind::Tensorpool => (
            format!("/job/info/{ID}"),
            payload("tensorpool", "get_job_info"),
            decode::<gpujobs_tensorpool::types::JobInfoResponse>,
        ),
        // Recorded from 22.05; the benchmark pins v0.0.38 (`support::config`).
        ProviderKind::Slurm => (
            format!("/slurm/v0.0.38/job/{ID}"),
            payload("slurm", "get_job_running"),
            decode::<gpujobs_slurm::v0_0_38::types::V0038JobsResponse>,
        ),
        _ => return None,
    };
    Some(Endpoint {
        kind,
        path,
        body,
        decode,
    })
}
