//! The macro behind the one list of providers (invoked in `providers/mod.rs`):
//! from one line per provider — its cargo feature, its [`crate::ProviderKind`]
//! variant and its module — it declares the module and generates the kind
//! enum, `ProviderKind::ALL`, `descriptor()` and the [`crate::ProviderJob`]
//! record, so adding a provider edits that list and nothing else in the facade.

macro_rules! registry {
    ($( $(#[$doc:meta])* $feature:literal => $variant:ident => $module:ident, )*) => {
        $( #[cfg(feature = $feature)] pub mod $module; )*

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

            /// Everything gpujobs knows about this provider (of a custom one: nothing,
            /// a descriptor with no capabilities; ask the provider itself).
            pub fn descriptor(self) -> &'static $crate::descriptor::Descriptor {
                match self {
                    $( #[cfg(feature = $feature)] Self::$variant => &$module::DESCRIPTOR, )*
                    Self::Custom(_) => &$crate::descriptor::CUSTOM,
                }
            }
        }

        /// A provider's own record of a job, in the type generated from its spec.
        #[derive(Clone, Debug, ::serde::Serialize, ::schemars::JsonSchema)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum ProviderJob {
            $( $(#[$doc])* #[cfg(feature = $feature)] $variant(Box<$module::Record>), )*
            /// No provider record (a job made by hand, or by an in-memory provider).
            Absent,
        }
    };
}
