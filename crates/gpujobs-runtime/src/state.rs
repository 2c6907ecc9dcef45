use progenitor_client::OperationInfo;

/// Per-client state that every generated client carries (progenitor's "inner type").
///
/// It names the provider (for tracing and errors) and owns the request
/// execution policy.
#[derive(Clone, Debug)]
pub struct ClientState {
    provider: &'static str,
}

impl ClientState {
    /// State for a client of `provider` (a short lowercase name such as `"ray"`).
    pub fn new(provider: &'static str) -> Self {
        Self { provider }
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// Executes one request of a generated operation.
    pub async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        client.execute(request).await
    }
}
