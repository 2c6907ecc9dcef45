//! The providers: one module each (declared from the one list), what they
//! share — the adapter shell ([`adapter`]: `Api` and `Provider<A>`), the HTTP
//! context and error mapping ([`http`]), the shared protocols ([`protocols`])
//! — and connecting to one by kind.

use std::sync::Arc;

use crate::config::ProviderConfig;
use crate::error::Result;
use crate::provider::JobProvider;
use crate::registry::ProviderKind;

mod adapter;
mod http;
mod protocols;

pub(crate) use adapter::sealed;
pub use adapter::{Api, Provider};
pub(crate) use http::{ErrorBody, plain_message};
#[allow(unused_imports)] // only some providers use each
pub(crate) use protocols::{adopt_if_same, fresh_id};

// The provider modules and the descriptor lookup, from the one list (`registry_macro.rs`).
each_provider!(provider_modules);

#[cfg(any(feature = "ray", feature = "yuanrong"))]
mod ray_family;

/// A provider built from the process environment, by kind (see [`crate::Descriptor::env`]).
///
/// ```no_run
/// # fn demo() -> gpujobs::Result<()> {
/// let provider = gpujobs::from_env(gpujobs::ProviderKind::Ray)?;
/// assert_eq!(provider.kind(), gpujobs::ProviderKind::Ray);
/// # Ok(()) }
/// ```
pub fn from_env(kind: ProviderKind) -> Result<Arc<dyn JobProvider>> {
    let mut config = ProviderConfig::new(kind);
    config.apply_env(|name| std::env::var(name).ok())?;
    connect(config)
}

/// A provider built from `config`, by its kind.
pub fn connect(config: ProviderConfig) -> Result<Arc<dyn JobProvider>> {
    config.kind.descriptor().connect(config)
}
