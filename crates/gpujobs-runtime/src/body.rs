//! Reading a response body within a size limit, while it streams in.
//!
//! Every response of every generated client is read here, inside the retry
//! loop, before the generated code decodes it: a body larger than the limit
//! is refused after at most `limit` bytes (at once when `Content-Length`
//! says so), so no answer can exhaust memory; a connection that breaks or
//! stalls mid-body is an error of that attempt, which the retry loop can
//! repeat like any dropped connection.

use std::fmt;

use bytes::Bytes;
use http_body_util::BodyExt as _;

/// The default largest response body: 8 MiB (a page of jobs is kilobytes;
/// Ray answers every job at once, about 13,000 jobs in 8 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 << 20;

/// A response body was larger than the configured limit. It is found in the
/// source chain of the error a generated call returns (see [`find`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseTooLarge {
    /// The limit, in bytes.
    pub limit: u64,
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the response is larger than {}", ByteSize(self.limit))
    }
}

impl std::error::Error for ResponseTooLarge {}

/// The [`ResponseTooLarge`] somewhere in `error`'s source chain (through
/// `io::Error` wrappers too), if any.
///
/// ```
/// use gpujobs_runtime::body::{ResponseTooLarge, find};
/// let error = std::io::Error::other(ResponseTooLarge { limit: 1024 });
/// assert_eq!(find(&error), Some(ResponseTooLarge { limit: 1024 }));
/// ```
pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<ResponseTooLarge> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<ResponseTooLarge>() {
            return Some(*found);
        }
        // `io::Error::source` skips the error it wraps: look inside.
        let wrapped = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref());
        if let Some(found) = wrapped.and_then(|inner| find(inner)) {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// A number of bytes for people: `8 MiB`, `512 KiB`, `1000 bytes`.
///
/// ```
/// use gpujobs_runtime::body::ByteSize;
/// assert_eq!(ByteSize(8 << 20).to_string(), "8 MiB");
/// assert_eq!(ByteSize(1536).to_string(), "1.5 KiB");
/// assert_eq!(ByteSize(100).to_string(), "100 bytes");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match units.iter().find(|(size, _)| self.0 >= *size) {
            Some((size, unit)) if self.0.is_multiple_of(*size) => {
                write!(f, "{} {unit}", self.0 / size)
            }
            Some((size, unit)) => write!(f, "{:.1} {unit}", self.0 as f64 / *size as f64),
            None => write!(f, "{} bytes", self.0),
        }
    }
}

/// Tells, from its status and body, whether an answer that looks transient
/// (a 5xx) is the server's final word: slurmrestd, for one, answers an
/// unknown job with HTTP 500 and an `errors` list saying so.
pub type FinalAnswer = fn(status: u16, body: &[u8]) -> bool;

/// What reading a body gave.
pub(crate) enum Read {
    /// The whole body, within the limit, in a response ready to decode, and
    /// whether the reader's `is_final` called it a final answer.
    Whole(reqwest::Response, bool),
    /// Over the limit: a response whose body fails with [`ResponseTooLarge`].
    TooLarge(reqwest::Response),
    /// The connection broke or stalled mid-body.
    Failed(reqwest::Error),
}

/// Reads `response`'s body, refusing more than `limit` bytes, and asks
/// `is_final` (if any) whether the answer is final (see [`FinalAnswer`]).
pub(crate) async fn read_within(
    response: reqwest::Response,
    limit: u64,
    is_final: Option<FinalAnswer>,
) -> Read {
    let declared = response.content_length();
    let url = response.url().clone();
    let (parts, mut body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let too_large = |parts, url| {
        let failing =
            futures_util::stream::once(async move { Err::<Bytes, _>(ResponseTooLarge { limit }) });
        Read::TooLarge(rebuild(parts, reqwest::Body::wrap_stream(failing), url))
    };
    if declared.is_some_and(|length| length > limit) {
        return too_large(parts, url);
    }
    let capacity = declared.unwrap_or(0).min(limit);
    let mut whole = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => return Read::Failed(error),
        };
        if let Ok(data) = frame.into_data() {
            if whole.len() as u64 + data.len() as u64 > limit {
                return too_large(parts, url);
            }
            whole.extend_from_slice(&data);
        }
    }
    let is_final = is_final.is_some_and(|f| f(parts.status.as_u16(), &whole));
    Read::Whole(rebuild(parts, reqwest::Body::from(whole), url), is_final)
}

/// The response again, with `body` and its URL (which `reqwest::Response::from`
/// would otherwise replace by parsing a placeholder, on every call).
fn rebuild(
    mut parts: http::response::Parts,
    body: reqwest::Body,
    url: reqwest::Url,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    http::Response::from_parts(parts, body).into()
}
