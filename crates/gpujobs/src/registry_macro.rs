//! The one list of providers, and the macros it drives.
//!
//! [`each_provider!`] holds one line per provider — its cargo feature, its
//! [`crate::ProviderKind`] variant, its module and the type of its job record
//! (from its generated crate) — and hands the list to a macro: `registry.rs`
//! makes the kind enum, `ProviderKind::ALL`, the names and the
//! [`crate::ProviderJob`] record from it (`provider_kinds!`),
//! `providers/mod.rs` declares the modules and the descriptor lookup
//! (`provider_modules!`), and `lib.rs` re-exports the modules
//! (`provider_reexports!`). Adding a provider adds a line here and nothing else
//! in the facade's shared code.

/// Calls `$then!` with the list of providers.
macro_rules! each_provider {
    ($then:ident) => {
        $then! {
            /// PPIO GPU API v2.
            "ppio" => Ppio => ppio => gpujobs_ppio::types::Job,
            /// openYuanrong jobs.
            "yuanrong" => Yuanrong => yuanrong => gpujobs_yuanrong::types::AppInfo,
            /// Ray Jobs REST API.
            "ray" => Ray => ray => gpujobs_ray::types::JobDetails,
            /// Matpool PaaS API.
            "matpool" => Matpool => matpool => gpujobs_matpool::types::Job,
            /// TensorPool.
            "tensorpool" => Tensorpool => tensorpool => ::serde_json::Map<String, ::serde_json::Value>,
            /// Slurm's REST API (slurmrestd).
            "slurm" => Slurm => slurm => gpujobs_slurm::JobRecord,
        }
    };
}

/// The kind enum, its names and the provider record (for `registry.rs`).
macro_rules! provider_kinds {
    ($( $(#[$doc:meta])* $feature:literal => $variant:ident => $module:ident => $record:ty, )*) => {
        /// Which provider a job, an error or a client is of: one variant per
        /// provider built in, and [`Custom`](ProviderKind::Custom) for a provider
        /// written outside gpujobs (or an in-memory one in tests), by its name.
        ///
        /// Everything about a built-in provider is in its
        /// [`Descriptor`](crate::Descriptor) ([`ProviderKind::descriptor`]); new
        /// providers are added as variants, so match with a wildcard arm. It
        /// serializes as its name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ProviderKind {
            $( $(#[$doc])* #[cfg(feature = $feature)] $variant, )*
            /// A provider written outside gpujobs, by its name (never in [`ProviderKind::ALL`]).
            Custom(&'static str),
        }

        impl ProviderKind {
            /// Every provider built in, in the order they are listed everywhere.
            pub const ALL: &'static [ProviderKind] = &[ $( #[cfg(feature = $feature)] Self::$variant, )* ];

            /// The lowercase name, as on the command line (a custom provider's own name).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( #[cfg(feature = $feature)] Self::$variant => $feature, )*
                    Self::Custom(name) => name,
                }
            }
        }

        /// A provider's own record of a job, in the type generated from its spec.
        #[derive(Clone, Debug, ::serde::Serialize, ::schemars::JsonSchema)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum ProviderJob {
            $( $(#[$doc])* #[cfg(feature = $feature)] $variant(Box<$record>), )*
            /// No provider record (a job made by hand, or by a custom provider).
            Absent,
        }
    };
}

/// The provider modules at the crate's root, each behind its feature (for `lib.rs`).
macro_rules! provider_reexports {
    ($( $(#[$doc:meta])* $feature:literal => $variant:ident => $module:ident => $record:ty, )*) => {
        $( #[cfg(feature = $feature)] pub use providers::$module; )*
    };
}

/// The provider modules and the descriptor lookup (for `providers/mod.rs`).
macro_rules! provider_modules {
    ($( $(#[$doc:meta])* $feature:literal => $variant:ident => $module:ident => $record:ty, )*) => {
        $( #[cfg(feature = $feature)] pub mod $module; )*

        impl $crate::registry::ProviderKind {
            /// Everything gpujobs knows about this provider (of a custom one: nothing,
            /// a descriptor with no capabilities; ask the provider itself).
            pub fn descriptor(self) -> &'static $crate::descriptor::Descriptor {
                match self {
                    $( #[cfg(feature = $feature)] Self::$variant => &$module::DESCRIPTOR, )*
                    Self::Custom(_) => &$crate::descriptor::CUSTOM,
                }
            }
        }
    };
}
