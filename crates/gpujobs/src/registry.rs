//! The kind enum, the descriptor lookup and the provider record, drawn from
//! the one list of providers (the `registry!` invocation in `providers/mod.rs`).

use std::fmt;
use std::str::FromStr;

pub use crate::providers::{ProviderJob, ProviderKind};

impl ProviderKind {
    /// The lowercase name, as on the command line.
    pub fn as_str(self) -> &'static str {
        self.descriptor().name
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A provider name that is not one of [`ProviderKind::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider `{name}` (expected one of {})", ProviderKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnknownProvider {
    /// The name given.
    pub name: String,
}

impl FromStr for ProviderKind {
    type Err = UnknownProvider;

    /// A provider by its name, case-insensitively.
    ///
    /// ```
    /// use gpujobs::ProviderKind;
    /// assert_eq!("Ray".parse::<ProviderKind>(), Ok(ProviderKind::Ray));
    /// assert!("slurmish".parse::<ProviderKind>().unwrap_err().to_string().contains("ray"));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownProvider { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_has_its_own_descriptor() {
        for kind in ProviderKind::ALL {
            let descriptor = kind.descriptor();
            assert_eq!(descriptor.kind, *kind);
            assert_eq!(descriptor.name.parse::<ProviderKind>(), Ok(*kind));
        }
    }
}
