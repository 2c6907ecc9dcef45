//! Keeping a refreshable credential fresh for one client ([`Refresher`]):
//! fetched when first needed, again once three quarters of its lifetime have
//! passed, and once after a refusal; one fetch at a time.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use gpujobs_runtime::{AuthHeaders, Clock, Secret};
use reqwest::header::HeaderMap;

use super::{Credential, CredentialProvider};
use crate::error::{Error, Result};
use crate::registry::ProviderKind;

/// The headers a provider sends a credential in (`Authorization: Bearer`, Slurm's pair).
pub(crate) type HeadersOf = Box<dyn Fn(&Secret) -> Result<HeaderMap> + Send + Sync>;

/// The shortest a credential is kept before it is fetched again on time:
/// a token that is already expired when fetched is not fetched in a loop.
const MIN_KEPT: Duration = Duration::from_secs(1);

/// One client's refreshable credential.
pub(crate) struct Refresher {
    kind: ProviderKind,
    source: Arc<dyn CredentialProvider>,
    headers_of: HeadersOf,
    /// What every request sends now (read by the runtime at each attempt).
    pub(crate) headers: AuthHeaders,
    clock: Arc<dyn Clock>,
    held: tokio::sync::Mutex<Held>,
}

/// The credential held.
#[derive(Default)]
struct Held {
    /// Fetches so far: which credential a request was sent with.
    generation: u64,
    /// When it was fetched.
    fetched_at: Option<SystemTime>,
    /// When it is due to be fetched again (none: only after a refusal).
    refresh_at: Option<SystemTime>,
}

impl std::fmt::Debug for Refresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Refresher {
    pub(crate) fn new(
        kind: ProviderKind,
        source: Arc<dyn CredentialProvider>,
        headers_of: HeadersOf,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            kind,
            source,
            headers_of,
            headers: AuthHeaders::default(),
            clock,
            held: tokio::sync::Mutex::default(),
        }
    }

    /// A fresh credential in the headers: fetched if none is held or it is
    /// due. Returns which one, for [`Refresher::refused`].
    pub(crate) async fn fresh(&self) -> Result<u64> {
        let mut held = self.held.lock().await;
        let due = match (held.generation, held.refresh_at) {
            (0, _) => true,
            (_, Some(at)) => self.clock.wall() >= at,
            (_, None) => false,
        };
        if due {
            self.fetch(&mut held).await?;
        }
        Ok(held.generation)
    }

    /// The provider refused the credential of `generation`: fetches another
    /// unless one was fetched since. Whether a request may be sent again (not
    /// when the one refused was fetched just now: another would be too).
    pub(crate) async fn refused(&self, generation: u64) -> Result<bool> {
        let mut held = self.held.lock().await;
        if held.generation != generation {
            return Ok(true);
        }
        let age = held
            .fetched_at
            .and_then(|at| self.clock.wall().duration_since(at).ok())
            .unwrap_or_default();
        if age < MIN_KEPT {
            return Ok(false);
        }
        self.fetch(&mut held).await?;
        Ok(true)
    }

    async fn fetch(&self, held: &mut Held) -> Result<()> {
        let fetched_at = self.clock.wall();
        let credential: Credential =
            self.source
                .fetch()
                .await
                .map_err(|e| Error::Unauthenticated {
                    provider: self.kind,
                    message: format!(
                        "cannot get a credential: {}",
                        crate::text::terminal_safe(&e.to_string())
                    ),
                    source: Some(e),
                })?;
        let headers = (self.headers_of)(&credential.secret)?;
        self.headers.set(headers);
        held.generation += 1;
        held.fetched_at = Some(fetched_at);
        held.refresh_at = credential.expires_at.map(|exp| {
            let lifetime = exp.duration_since(fetched_at).unwrap_or_default();
            fetched_at + (lifetime * 3 / 4).max(MIN_KEPT)
        });
        tracing::debug!(
            target: "gpujobs",
            provider = %self.kind,
            fetches = held.generation,
            "credential fetched"
        );
        Ok(())
    }
}
