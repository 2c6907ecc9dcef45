//! Provider identity: the kind enum, its names and the provider record,
//! drawn from the one list of providers (`registry_macro.rs`). A leaf: it
//! names no other module (the descriptor lookup is in `providers`).

use std::fmt;
use std::str::FromStr;

each_provider!(provider_kinds);

impl serde::Serialize for ProviderKind {
    /// As its name.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ProviderKind {
    /// A built-in provider's name (a custom provider cannot be named back).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for ProviderKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProviderKind".into()
    }

    /// One of the built-in providers' names.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
        schemars::json_schema!({
            "description": "A provider, by name",
            "type": "string",
            "enum": names,
        })
    }
}

impl ProviderJob {
    /// Whether there is no provider record (a job made by hand, or by a custom provider).
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
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
    fn a_custom_provider_is_named_and_serializes_as_its_name() {
        let kind = ProviderKind::Custom("acme");
        assert_eq!(
            (kind.as_str(), kind.to_string()),
            ("acme", "acme".to_owned())
        );
        assert_eq!(serde_json::to_value(kind).unwrap(), "acme");
        assert!(!ProviderKind::ALL.contains(&kind));
        assert_eq!(
            serde_json::from_value::<ProviderKind>("ray".into()).unwrap(),
            ProviderKind::Ray
        );
    }

    #[test]
    fn every_provider_has_its_own_descriptor() {
        for kind in ProviderKind::ALL {
            let descriptor = kind.descriptor();
            assert_eq!(descriptor.kind, *kind);
            assert_eq!(descriptor.name.parse::<ProviderKind>(), Ok(*kind));
        }
    }
}
