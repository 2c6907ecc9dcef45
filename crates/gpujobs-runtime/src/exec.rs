//! Sending one operation: the retry loop every generated request goes
//! through ([`ClientState::exec`]), each attempt's time limit, its body read
//! within the size limit, and its trace. What is retried and how long to wait
//! is decided in `retry.rs`; the client's settings are in `state.rs`.

use std::time::Duration;

use progenitor_client::OperationInfo;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::body::{Read, read_within};
use crate::retry::{Attempts, Failure, Next, Verdict, classify};
use crate::state::ClientState;

impl ClientState {
    /// Executes one operation: sends `request`, retrying as the policy allows.
    ///
    /// Returns the last attempt's result: a response (of any status) or the
    /// transport error. Retried: connection failures (always: the request
    /// never reached the server); and, for retry-safe requests only, timeouts,
    /// dropped connections, 429, 500, 502, 503 and 504. A `Retry-After` is
    /// waited for when it is at most the policy's cap, otherwise the response
    /// is returned as it is.
    pub async fn exec(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let operation = info.operation_id;
        let method = request.method().clone();
        let path = self.path_template(operation);
        let retry_safe = self.is_retry_safe(&method, operation);
        let mut attempts = Attempts::new(&self.retry, &*self.clock, self.operation_timeout);
        loop {
            // Copied before this attempt's time limit is set: the copy gets its own.
            let again = match attempts.may_follow() {
                true => copy_request(&request),
                false => None,
            };
            // Read at each attempt: a retry sends the credential refreshed meanwhile.
            if let Some(auth) = &self.auth {
                auth.apply(&mut request);
            }
            let sent = self.clock.now();
            let limit = min_some(self.attempt_timeout, attempts.remaining());
            if limit.is_some_and(|limit| self.client_timeout.is_none_or(|own| limit < own)) {
                *request.timeout_mut() = limit;
            }
            let span = tracing::debug_span!(
                "gpujobs.request",
                provider = self.provider,
                operation,
                method = %method,
                path,
                attempt = attempts.attempt(),
                status = Empty,
                duration_ms = Empty,
            );
            let result = self.send(client, request).instrument(span.clone()).await;
            let (result, is_final) = match result {
                Sent::Answer(result) => (result, false),
                Sent::Final(response) => (Ok(response), true),
                // Never retried: the same request would get the same oversized answer.
                Sent::TooLarge(response) => {
                    tracing::debug!(parent: &span, limit = self.max_response_bytes, "response too large");
                    return Ok(response);
                }
            };
            // Timed only when someone listens: reading the clock is a cost of every call.
            if !span.is_disabled() || tracing::event_enabled!(tracing::Level::DEBUG) {
                self.trace(
                    &span,
                    &result,
                    self.clock.now().saturating_duration_since(sent),
                );
            }
            if is_final {
                tracing::debug!(parent: &span, "the server's final answer: not retried");
                return result;
            }
            if result.as_ref().is_ok_and(|r| r.status().is_success()) {
                return result;
            }
            let Verdict::Retry(hint) = classify(&result, retry_safe, self.clock.wall()) else {
                return result;
            };
            let (Some(next), Next::Pause(delay)) = (again, attempts.next(hint)) else {
                return result;
            };
            tracing::debug!(parent: &span, delay_ms = delay.as_millis() as u64, "retrying");
            self.clock.sleep(delay).await;
            request = next;
        }
    }
}

/// One attempt's outcome.
enum Sent {
    /// A response read whole, or the transport error (mid-body ones included).
    Answer(reqwest::Result<reqwest::Response>),
    /// A response whose body was over the limit.
    TooLarge(reqwest::Response),
    /// A 5xx the server means (see [`ClientState::with_final_answers`]).
    Final(reqwest::Response),
}

impl ClientState {
    /// Records an attempt's outcome and duration on its span, and as an event.
    fn trace(
        &self,
        span: &tracing::Span,
        result: &reqwest::Result<reqwest::Response>,
        duration: Duration,
    ) {
        let duration_ms = duration.as_millis() as u64;
        span.record("duration_ms", duration_ms);
        match result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                tracing::debug!(parent: span, status = response.status().as_u16(), duration_ms, "response");
            }
            Err(error) => {
                let kind = Failure::of(error).as_str();
                tracing::debug!(parent: span, error = kind, duration_ms, "transport error");
            }
        }
    }

    /// Sends one attempt and reads its body within the limit, so a body that
    /// breaks or stalls is an error of this attempt, retried like any other.
    async fn send(&self, client: &reqwest::Client, request: reqwest::Request) -> Sent {
        let response = match client.execute(request).await {
            Ok(response) => response,
            Err(error) => return Sent::Answer(Err(error)),
        };
        let is_final = self
            .final_answer
            .filter(|_| response.status().is_server_error());
        match read_within(response, self.max_response_bytes, is_final).await {
            Read::Whole(response, true) => Sent::Final(response),
            Read::Whole(response, false) => Sent::Answer(Ok(response)),
            Read::Failed(error) => Sent::Answer(Err(error)),
            Read::TooLarge(response) => Sent::TooLarge(response),
        }
    }
}

/// A copy of `request` to send again. reqwest's own `try_clone` also sets up
/// (allocates) the per-request settings a generated request never has, on
/// every call; only a request with a body or a time limit of its own needs it.
/// (In reqwest 0.13 a request's only other setting, its extensions, can be set
/// from outside only with a body: `TryFrom<http::Request>`.)
fn copy_request(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() || request.timeout().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
}

fn min_some(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
