//! What only Slurm needs to be reached: the user to act as and the API
//! version to speak ([`SlurmSettings`]), read when a client is built, so a
//! version gpujobs does not speak is refused at once.

use super::version::ApiVersion;
use super::{KIND, SlurmProvider};
use crate::config::ProviderBuilder;
use crate::error::{Error, Result};
use crate::field::Field;
use crate::options::{SettingFlag, SettingValues};

/// Slurm's settings as front ends offer them (`--slurm-user`, `--slurm-api-version`).
pub(super) static SETTINGS: [SettingFlag; 2] = [
    SettingFlag::new(
        "user",
        "user",
        &["SLURM_USER_NAME"],
        "The user to act as (X-SLURM-USER-NAME); by default the one the token was made for",
    ),
    SettingFlag::new(
        "api_version",
        "api-version",
        &["SLURMRESTD_API_VERSION"],
        "The API version to speak (v0.0.38, v0.0.40 to v0.0.45); by default the newest the server serves",
    ),
];

/// How a Slurm client is reached, beside what every provider has.
///
/// ```
/// use gpujobs::slurm::SlurmProvider;
/// let slurm = SlurmProvider::builder()
///     .base_url("http://127.0.0.1:6820")
///     .user("alice")
///     .api_version("v0.0.99")
///     .build();
/// assert!(slurm.unwrap_err().to_string().contains("not a version gpujobs speaks"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlurmSettings {
    /// The user to act as (`SLURM_USER_NAME`); else the one the token names.
    pub user: Option<String>,
    /// The API version to speak (`SLURMRESTD_API_VERSION`); else the newest
    /// the server serves that gpujobs speaks, asked once.
    pub api_version: Option<ApiVersion>,
}

impl SlurmSettings {
    /// The settings given by name, each read (a version gpujobs does not speak is refused).
    pub(super) fn from_values(values: &SettingValues) -> Result<Self> {
        let api_version = match values.get("api_version") {
            None => None,
            Some(given) => Some(ApiVersion::parse(given).ok_or_else(|| {
                Error::config_of(
                    KIND,
                    Field::Setting("api_version"),
                    format!("`api_version` {given} is not a version gpujobs speaks; gpujobs speaks {}", ApiVersion::spoken()),
                )
            })?),
        };
        let user = values.get("user").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        Ok(Self { user, api_version })
    }
}

impl ProviderBuilder<SlurmProvider> {
    /// Sets the user to act as (`X-SLURM-USER-NAME`; `SLURM_USER_NAME`).
    pub fn user(self, user: impl Into<String>) -> Self {
        self.setting("user", user)
    }

    /// Pins the API version to speak (`v0.0.42`), instead of asking the
    /// server which it serves; one gpujobs does not speak fails `build`.
    pub fn api_version(self, version: impl Into<String>) -> Self {
        self.setting("api_version", version)
    }
}
