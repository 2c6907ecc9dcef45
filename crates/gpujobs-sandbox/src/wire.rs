//! What the emulators see of a request and give back: the sandbox's own
//! small request and response types, independent of the HTTP server.

use std::collections::BTreeMap;

use bytes::Bytes;
use hyper::header::HeaderMap;
use serde::Serialize;

/// A request, parsed for the provider handlers.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: String,
    /// Path segments below the provider prefix, percent-decoded.
    pub segments: Vec<String>,
    pub query: BTreeMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// The bearer token sent, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.headers
            .get(hyper::header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")
    }

    /// Whether the request carries exactly `token` as its bearer token.
    pub fn authorized(&self, token: Option<&String>) -> bool {
        token.is_none_or(|t| self.bearer() == Some(t.as_str()))
    }

    /// The segments as string slices, for matching.
    pub fn route(&self) -> (&str, Vec<&str>) {
        (
            self.method.as_str(),
            self.segments.iter().map(String::as_str).collect(),
        )
    }
}

/// A response, before faults and encoding.
#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Resp {
    /// A JSON answer. Secrets are written as they are: this is the wire.
    pub fn json(status: u16, value: &impl Serialize) -> Self {
        let body = gpujobs_runtime::reveal(|| serde_json::to_vec(value)).unwrap_or_default();
        Self {
            status,
            content_type: "application/json",
            body,
            headers: Vec::new(),
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.into().into_bytes(),
            headers: Vec::new(),
        }
    }
}
