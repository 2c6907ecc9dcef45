//! How Slurm is authenticated: `X-SLURM-USER-TOKEN` (a JWT from `scontrol
//! token`) and `X-SLURM-USER-NAME`, which 22.05 requires and later releases
//! take from the token; and what to say when either is refused.

use reqwest::header::HeaderMap;

use super::KIND;
use super::settings::SlurmSettings;
use crate::config::ProviderConfig;
use crate::error::{Error, Result};

/// What the client knows of its credentials, to explain a refusal.
#[derive(Debug, Default)]
pub(super) struct Credentials {
    /// The user name given (`SLURM_USER_NAME`).
    user: Option<String>,
    /// The user the token was made for.
    token_user: Option<String>,
    has_token: bool,
}

impl Credentials {
    pub(super) fn of(config: &ProviderConfig, settings: &SlurmSettings) -> Self {
        Self {
            user: settings.user.clone(),
            token_user: config.credential.as_ref().and_then(|t| token_user(t.expose())),
            has_token: config.has_credential(),
        }
    }

    /// The user name sent: the one given, or else the one the token was made for.
    fn user_name(&self) -> Option<&str> {
        self.user.as_deref().or(self.token_user.as_deref())
    }

    /// `error`, when it is a refusal of the credentials, with which of the
    /// user name and the token slurmrestd took for wrong, where that can be told.
    pub(super) fn explain(&self, error: Error) -> Error {
        let Error::Unauthenticated { message, source, .. } = error else {
            return error;
        };
        // slurmctld's refusals already say to check the token; slurmrestd's own 401 is plain text.
        let slurmctlds = message.contains("check SLURM_JWT");
        let hint = match (&self.user, self.token_user.as_deref()) {
            _ if !self.has_token => "no token: set SLURM_JWT (`scontrol token` prints one)".to_owned(),
            (Some(user), Some(owner)) if user != owner => {
                format!("SLURM_USER_NAME is {user}, but the token is {owner}'s: unset SLURM_USER_NAME, or use a token made for {user}")
            }
            _ if slurmctlds => String::new(),
            (None, None) => "the token names no user, and Slurm 22.05 needs one: set SLURM_USER_NAME".to_owned(),
            _ => "slurmrestd refused the token: check SLURM_JWT".to_owned(),
        };
        let message = match hint.is_empty() {
            true => message,
            false => format!("{message} ({hint})"),
        };
        Error::Unauthenticated {
            provider: KIND,
            message,
            source,
        }
    }
}

/// The headers that carry the user name and the token (marked sensitive).
pub(super) fn headers(config: &ProviderConfig) -> Result<HeaderMap> {
    let fail = |message: &str| Error::config(KIND, message);
    let settings = SlurmSettings::from_values(&config.settings)?;
    let mut headers = HeaderMap::new();
    if let Some(user) = Credentials::of(config, &settings).user_name() {
        let user = user.parse().map_err(|_| fail("the user name cannot be sent in a header"))?;
        headers.insert("x-slurm-user-name", user);
    }
    if let Some(token) = &config.credential {
        let value = gpujobs_runtime::sensitive_value(token.expose())
            .map_err(|_| fail("the token cannot be sent in a header"))?;
        headers.insert("x-slurm-user-token", value);
    }
    Ok(headers)
}

/// The user a JWT says it was made for (its `sun` claim), if it is a JWT.
/// The claims are read, not verified: that is slurmctld's part.
fn token_user(token: &str) -> Option<String> {
    crate::credential::jwt_claims(token)?.get("sun")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokens_user_is_read_from_its_claims() {
        // The payload of a token `scontrol token username=root` made on Slurm 24.11.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTY0OTEzMjYsImlhdCI6MTc5NjQ4NDEyNiwic3VuIjoicm9vdCJ9.sig";
        assert_eq!(token_user(token).as_deref(), Some("root"));
        assert_eq!(token_user("not-a-jwt"), None);
        assert_eq!(token_user("a.b!c.d"), None);
    }
}
