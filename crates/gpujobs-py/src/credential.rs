//! A Python callable as a credential source: `token=lambda: fetch()` is asked
//! when a token is first needed, again before a JWT's `exp`, and once after
//! a refusal (gpujobs' `CredentialProvider`), off the async threads.

use gpujobs::{Credential, CredentialError, CredentialProvider};
use pyo3::prelude::*;

/// A callable returning the token, a `str`.
pub struct Callable(pub Py<PyAny>);

impl std::fmt::Debug for Callable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Callable")
    }
}

#[async_trait::async_trait]
impl CredentialProvider for Callable {
    async fn fetch(&self) -> Result<Credential, CredentialError> {
        let callable = Python::attach(|py| self.0.clone_ref(py));
        let token = tokio::task::spawn_blocking(move || {
            Python::attach(|py| -> Result<String, CredentialError> {
                let answer = callable.call0(py).map_err(|e| {
                    format!(
                        "the token callable raised {}",
                        e.get_type(py)
                            .name()
                            .map_or("an exception".into(), |n| n.to_string())
                    )
                })?;
                answer
                    .extract::<String>(py)
                    .map_err(|_| "the token callable returned something that is not a str".into())
            })
        })
        .await
        .map_err(|_| "the token callable did not finish")??;
        Ok(Credential::new(token))
    }
}
