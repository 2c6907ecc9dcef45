//! Making an [`Error`]: for each kind a constructor without a source, and
//! the error an HTTP status means.

use std::time::Duration;

use super::{Error, Operation};
use crate::field::Field;
use crate::registry::ProviderKind;
use crate::text::excerpt;

impl Error {
    /// An `Unsupported` error.
    pub fn unsupported(provider: ProviderKind, operation: Operation) -> Self {
        Self::Unsupported {
            provider,
            operation,
        }
    }

    /// An `InvalidRequest` error without a source.
    pub fn invalid(provider: ProviderKind, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            provider,
            message: message.into(),
            fields: Box::default(),
            source: None,
        }
    }

    /// An `InvalidRequest` error about one thing the caller set; the message
    /// quotes its name in backticks.
    pub fn refused(provider: ProviderKind, field: Field, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            provider,
            message: message.into(),
            fields: Box::new([field]),
            source: None,
        }
    }

    /// An `InvalidRequest` error about several things the caller set (one of
    /// which must change); the message quotes each name in backticks.
    pub fn refused_all(
        provider: ProviderKind,
        fields: &[Field],
        message: impl Into<String>,
    ) -> Self {
        Self::InvalidRequest {
            provider,
            message: message.into(),
            fields: fields.into(),
            source: None,
        }
    }

    /// A `Decode` error for an answer that does not make sense.
    pub fn bad_answer(provider: ProviderKind, message: impl Into<String>) -> Self {
        Self::Decode {
            provider,
            message: message.into(),
            body: None,
            source: None,
        }
    }

    /// A `NotFound` error without a source.
    pub fn not_found(provider: ProviderKind, message: impl Into<String>) -> Self {
        Self::NotFound {
            provider,
            message: message.into(),
            source: None,
        }
    }

    /// A `Conflict` error without a source.
    pub fn conflict(provider: ProviderKind, message: impl Into<String>) -> Self {
        Self::Conflict {
            provider,
            message: message.into(),
            source: None,
        }
    }

    /// A `Config` error: what to fix.
    pub fn config(provider: ProviderKind, message: impl Into<String>) -> Self {
        Self::Config {
            provider,
            message: message.into(),
            fields: Box::default(),
        }
    }

    /// A `Config` error about one setting; the message quotes its name in backticks.
    pub fn config_of(provider: ProviderKind, field: Field, message: impl Into<String>) -> Self {
        Self::Config {
            provider,
            message: message.into(),
            fields: Box::new([field]),
        }
    }

    /// The error for an HTTP status and the provider's message.
    pub fn from_status(
        provider: ProviderKind,
        status: u16,
        message: String,
        body: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        let message = match message.is_empty() {
            true => format!("HTTP {status}"),
            false => excerpt(&message),
        };
        match status {
            400 | 422 => Self::InvalidRequest {
                provider,
                message,
                fields: Box::default(),
                source: None,
            },
            401 => Self::Unauthenticated {
                provider,
                message,
                source: None,
            },
            403 => Self::PermissionDenied {
                provider,
                message,
                source: None,
            },
            404 => Self::NotFound {
                provider,
                message,
                source: None,
            },
            409 => Self::Conflict {
                provider,
                message,
                source: None,
            },
            429 => Self::RateLimited {
                provider,
                retry_after,
                message,
                source: None,
            },
            _ => Self::Api {
                provider,
                status: Some(status),
                code: None,
                message,
                body: body.map(String::into_boxed_str),
                request_id: None,
                source: None,
            },
        }
    }
}
