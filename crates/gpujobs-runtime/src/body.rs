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
    let mut whole = Gathered::default();
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => return Read::Failed(error),
        };
        if let Ok(data) = frame.into_data() {
            if whole.len() + data.len() as u64 > limit {
                return too_large(parts, url);
            }
            whole.push(data, declared);
        }
    }
    let whole = whole.into_bytes();
    let is_final = is_final.is_some_and(|f| f(parts.status.as_u16(), &whole));
    Read::Whole(rebuild(parts, reqwest::Body::from(whole), url), is_final)
}

/// A body's frames gathered: the first kept as it came, without a copy (most
/// answers arrive in one frame), later ones joined after it.
#[derive(Default)]
struct Gathered {
    first: Bytes,
    joined: bytes::BytesMut,
}

impl Gathered {
    fn len(&self) -> u64 {
        (self.first.len() + self.joined.len()) as u64
    }

    /// Adds `data`; `declared` (the Content-Length) sizes the joined buffer once.
    fn push(&mut self, data: Bytes, declared: Option<u64>) {
        if data.is_empty() {
            return;
        }
        if self.first.is_empty() && self.joined.is_empty() {
            self.first = data;
            return;
        }
        if self.joined.is_empty() {
            let expected = declared.map_or(0, |length| usize::try_from(length).unwrap_or(0));
            self.joined
                .reserve(expected.max(self.first.len() + data.len()));
            self.joined
                .extend_from_slice(&std::mem::take(&mut self.first));
        }
        self.joined.extend_from_slice(&data);
    }

    fn into_bytes(self) -> Bytes {
        match self.joined.is_empty() {
            true => self.first,
            false => self.joined.freeze(),
        }
    }
}

/// The response again, with `body` and its URL (which `reqwest::Response::from`
/// would otherwise replace by parsing a placeholder, on every call).
fn rebuild(
    mut parts: http::response::Parts,
    body: reqwest::Body,
    url: reqwest::Url,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    // reqwest keeps a response's URL in an extension that only its builder can set.
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    http::Response::from_parts(parts, body).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gather(frames: &[&'static [u8]], declared: Option<u64>) -> Bytes {
        let mut whole = Gathered::default();
        for frame in frames {
            whole.push(Bytes::from_static(frame), declared);
        }
        assert_eq!(
            whole.len(),
            frames.iter().map(|f| f.len() as u64).sum::<u64>()
        );
        whole.into_bytes()
    }

    #[test]
    fn frames_are_gathered_in_order() {
        assert_eq!(gather(&[], None), Bytes::new());
        assert_eq!(gather(&[b"{}"], Some(2)), Bytes::from_static(b"{}"));
        assert_eq!(
            gather(&[b"ab", b"cd", b"e"], None),
            Bytes::from_static(b"abcde")
        );
        assert_eq!(
            gather(&[b"ab", b"cd"], Some(1)),
            Bytes::from_static(b"abcd")
        );
        // Empty frames (hyper may send them) neither lose nor reorder data.
        assert_eq!(
            gather(&[b"", b"ab", b"", b"c"], None),
            Bytes::from_static(b"abc")
        );
    }

    #[test]
    fn one_frame_is_kept_without_a_copy() {
        let frame = Bytes::from(vec![7u8; 64]);
        let at = frame.as_ptr();
        let mut whole = Gathered::default();
        whole.push(frame, Some(64));
        assert_eq!(whole.into_bytes().as_ptr(), at);
    }
}
