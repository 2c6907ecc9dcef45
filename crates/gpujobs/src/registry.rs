//! The one list of providers.
//!
//! Each line names a provider's cargo feature, its [`ProviderKind`] variant and
//! the module that holds its [`Descriptor`] and adapter. Everything else —
//! the kind enum, `ProviderKind::ALL`, `descriptor()`, the [`ProviderJob`]
//! record, `connect` — is drawn from this list, so adding a provider adds one
//! line here and nothing elsewhere in the facade.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::descriptor::Descriptor;

macro_rules! registry {
    ($( $(#[$doc:meta])* $feature:literal => $variant:ident => $module:ident, )*) => {
        /// The providers gpujobs speaks to: one per provider feature built in.
        ///
        /// Everything about a provider is in its [`Descriptor`]
        /// ([`ProviderKind::descriptor`]); new providers are added as variants,
        /// so match with a wildcard arm.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "lowercase")]
        #[non_exhaustive]
        pub enum ProviderKind {
            $( $(#[$doc])* #[cfg(feature = $feature)] $variant, )*
            /// The in-memory reference provider of `gpujobs-sandbox`, for tests
            /// (the `testing` feature; never in [`ProviderKind::ALL`]).
            #[cfg(feature = "testing")]
            #[doc(hidden)]
            Memory,
        }

        impl ProviderKind {
            /// Every provider built in, in the order they are listed everywhere.
            pub const ALL: &'static [ProviderKind] = &[ $( #[cfg(feature = $feature)] Self::$variant, )* ];

            /// Everything gpujobs knows about this provider.
            pub fn descriptor(self) -> &'static Descriptor {
                match self {
                    $( #[cfg(feature = $feature)] Self::$variant => &crate::providers::$module::DESCRIPTOR, )*
                    #[cfg(feature = "testing")]
                    Self::Memory => &crate::descriptor::MEMORY,
                }
            }
        }

        /// A provider's own record of a job, in the type generated from its spec.
        #[derive(Clone, Debug, Serialize, JsonSchema)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum ProviderJob {
            $( $(#[$doc])* #[cfg(feature = $feature)] $variant(Box<crate::providers::$module::Record>), )*
            /// No provider record (a job made by hand, or by an in-memory provider).
            Absent,
        }
    };
}

registry! {
    /// PPIO GPU API v2.
    "ppio" => Ppio => ppio,
    /// openYuanrong jobs.
    "yuanrong" => Yuanrong => yuanrong,
    /// Ray Jobs REST API.
    "ray" => Ray => ray,
    /// Matpool PaaS API.
    "matpool" => Matpool => matpool,
    /// TensorPool.
    "tensorpool" => Tensorpool => tensorpool,
}

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
