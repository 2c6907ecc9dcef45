//! The macro behind the one list of providers (invoked in `providers/mod.rs`):
//! from one line per provider — its cargo feature, its [`crate::ProviderKind`]
//! variant and its module — it declares the module and generates the kind
//! enum, `ProviderKind::ALL`, `descriptor()` and the [`crate::ProviderJob`]
//! record, so adding a provider edits that list and nothing else in the facade.

macro_rules! registry {
    ($( $(#[$doc:meta])* $feature:literal => $variant:ident => $module:ident, )*) => {
        $( #[cfg(feature = $feature)] pub mod $module; )*

        /// The providers gpujobs speaks to: one per provider feature built in.
        ///
        /// Everything about a provider is in its [`Descriptor`](crate::Descriptor)
        /// ([`ProviderKind::descriptor`]); new providers are added as variants,
        /// so match with a wildcard arm.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
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
            pub fn descriptor(self) -> &'static $crate::descriptor::Descriptor {
                match self {
                    $( #[cfg(feature = $feature)] Self::$variant => &$module::DESCRIPTOR, )*
                    #[cfg(feature = "testing")]
                    Self::Memory => &$crate::descriptor::MEMORY,
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
