//! Which of slurmrestd's API versions to speak: the ones gpujobs knows, what a
//! server serves (read from its `/openapi/v3`), and the choice between them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny};

/// The API versions gpujobs speaks, newest first. v0.0.38 is the old
/// hand-written plugin (Slurm 22.05 to 23.11); v0.0.40 to v0.0.45 are the
/// data_parser versions (Slurm 23.11 to 26.05, and 26.11), spoken by one
/// generated client whose job endpoints are the same where gpujobs reads and
/// writes them (ARCHITECTURE.md, "Slurm's API versions").
pub const SPOKEN: [ApiVersion; 7] = [
    ApiVersion(45),
    ApiVersion(44),
    ApiVersion(43),
    ApiVersion(42),
    ApiVersion(41),
    ApiVersion(40),
    ApiVersion(38),
];

/// Each spoken version's name, as slurmrestd writes it in paths.
const NAMES: [&str; 7] = ["v0.0.45", "v0.0.44", "v0.0.43", "v0.0.42", "v0.0.41", "v0.0.40", "v0.0.38"];

/// One API version of slurmrestd that gpujobs speaks (`v0.0.N`), ordered by
/// its number: only versions gpujobs speaks can be made ([`ApiVersion::parse`]).
///
/// ```
/// use gpujobs::slurm::version::{ApiVersion, Family};
/// let v = ApiVersion::parse("v0.0.42").unwrap();
/// assert!(ApiVersion::parse("0.0.45").unwrap() > v && v > ApiVersion::V0_0_38);
/// assert_eq!((v.as_str(), v.family()), ("v0.0.42", Family::DataParser));
/// assert_eq!(ApiVersion::parse("v0.0.39"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiVersion(u16);

/// Which generated client speaks a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// v0.0.38: `gpujobs_slurm::v0_0_38`.
    V0038,
    /// A data_parser version (v0.0.40 to v0.0.45): `gpujobs_slurm::v0_0_42`,
    /// with the version in every path.
    DataParser,
}

impl ApiVersion {
    /// v0.0.38, the one version of the old plugins gpujobs speaks.
    pub const V0_0_38: ApiVersion = ApiVersion(38);

    /// The version as slurmrestd names it (`v0.0.42`).
    pub fn as_str(self) -> &'static str {
        let at = SPOKEN.iter().position(|v| *v == self).unwrap_or(0);
        NAMES[at]
    }

    /// The generated client that speaks it.
    pub fn family(self) -> Family {
        match self == Self::V0_0_38 {
            true => Family::V0038,
            false => Family::DataParser,
        }
    }

    /// The version named `name` (`v0.0.42`, or `0.0.42`), if gpujobs speaks it.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        let name = name.strip_prefix('v').unwrap_or(name);
        SPOKEN.into_iter().find(|v| &v.as_str()[1..] == name)
    }

    /// Whether `jobs/state` takes the jobs' ids (`job_id`, from v0.0.42):
    /// many jobs' states in one request.
    pub fn states_by_id(self) -> bool {
        self >= ApiVersion(42)
    }

    /// Every version gpujobs speaks, as one phrase (`v0.0.45, …, v0.0.38`).
    pub fn spoken() -> String {
        NAMES.join(", ")
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a slurmrestd says of itself in `/openapi/v3`: its release and the API
/// versions whose job endpoints it serves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Served {
    /// `info.version`, e.g. `Slurm-24.11.5&openapi/slurmctld` (22.05 says `0.0.38`).
    pub release: Option<String>,
    /// The versions with a `/slurm/<version>/job/{job_id}` endpoint, as named there.
    pub versions: Vec<String>,
    /// The versions whose accounting it serves (`/slurmdb/<version>/job/{job_id}`:
    /// slurmrestd loads `openapi/slurmdbd` or `dbv0.0.38`, with slurmdbd behind it).
    pub accounting: Vec<String>,
}

impl Served {
    /// Reads the document; only `info.version` and the path names are kept
    /// (the rest, most of its 0.9 MB, is skipped unparsed).
    pub fn read(document: &[u8]) -> serde_json::Result<Self> {
        let document: Document = serde_json::from_slice(document)?;
        let with = |prefix: &str| {
            let mut versions: Vec<String> = document
                .paths
                .0
                .iter()
                .filter_map(|path| path.strip_prefix(prefix)?.strip_suffix("/job/{job_id}"))
                .filter(|version| !version.contains('/'))
                .map(str::to_owned)
                .collect();
            versions.sort_by_key(|v| std::cmp::Reverse(numbers(v)));
            versions.dedup();
            versions
        };
        Ok(Self {
            versions: with("/slurm/"),
            accounting: with("/slurmdb/"),
            release: document.info.and_then(|i| i.version),
        })
    }

    /// The newest version both the server and gpujobs speak.
    pub fn choose(&self) -> Option<ApiVersion> {
        SPOKEN
            .into_iter()
            .find(|spoken| self.versions.iter().any(|v| v == spoken.as_str()))
    }
}

/// A version's numbers, for ordering (`v0.0.42` → `[0, 0, 42]`).
fn numbers(version: &str) -> Vec<u64> {
    version
        .trim_start_matches('v')
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect()
}

#[derive(serde::Deserialize)]
struct Document {
    info: Option<Info>,
    #[serde(default)]
    paths: PathNames,
}

#[derive(serde::Deserialize)]
struct Info {
    version: Option<String>,
}

/// The keys of `paths`; their values are skipped.
#[derive(Default)]
struct PathNames(Vec<String>);

impl<'de> Deserialize<'de> for PathNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = PathNames;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of paths")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<PathNames, A::Error> {
                let mut names = Vec::new();
                while let Some((name, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    names.push(name);
                }
                Ok(PathNames(names))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(paths: &[&str]) -> Served {
        let paths: serde_json::Map<String, serde_json::Value> =
            paths.iter().map(|p| ((*p).to_owned(), serde_json::json!({ "get": {} }))).collect();
        let document = serde_json::json!({ "info": { "version": "Slurm-x" }, "paths": paths, "components": {} });
        Served::read(&serde_json::to_vec(&document).unwrap()).unwrap()
    }

    #[test]
    fn the_newest_version_both_speak_is_chosen() {
        let s = served(&["/slurm/v0.0.40/job/{job_id}", "/slurm/v0.0.42/job/{job_id}", "/slurm/v0.0.41/job/{job_id}", "/slurm/v0.0.42/jobs/"]);
        assert_eq!((s.release.as_deref(), s.versions.as_slice()), (Some("Slurm-x"), &["v0.0.42".to_owned(), "v0.0.41".into(), "v0.0.40".into()][..]));
        assert_eq!(s.choose(), ApiVersion::parse("v0.0.42"));
        // A version newer than gpujobs knows is passed over for one it speaks.
        let newer = served(&["/slurm/v0.0.46/job/{job_id}", "/slurm/v0.0.43/job/{job_id}"]);
        assert_eq!(newer.choose(), ApiVersion::parse("v0.0.43"));
        assert_eq!(served(&["/slurm/v0.0.38/job/{job_id}", "/slurm/v0.0.37/job/{job_id}"]).choose(), Some(ApiVersion::V0_0_38));
        // Only job endpoints count: a slurmdbd-only server speaks no job API.
        let none = served(&["/slurmdb/v0.0.42/job/{job_id}", "/slurm/v0.0.37/job/{job_id}"]);
        assert_eq!((none.choose(), none.versions), (None, vec!["v0.0.37".to_owned()]));
        assert_eq!(none.accounting, ["v0.0.42"], "accounting is read apart");
    }

    #[test]
    fn versions_parse_with_or_without_the_v() {
        assert_eq!(ApiVersion::parse("v0.0.44").map(ApiVersion::as_str), Some("v0.0.44"));
        assert_eq!(ApiVersion::parse("0.0.38"), Some(ApiVersion::V0_0_38));
        assert_eq!(ApiVersion::parse("v0.0.39"), None);
        assert!(ApiVersion::spoken().starts_with("v0.0.45, v0.0.44"));
    }

    #[test]
    fn versions_order_by_number_not_by_text() {
        // As text, v0.0.100 would sort before v0.0.42; as numbers it is after.
        assert!(numbers("v0.0.100") > numbers("v0.0.42"));
        assert!(SPOKEN.windows(2).all(|w| w[0] > w[1]), "newest first");
        assert!(!ApiVersion::V0_0_38.states_by_id() && ApiVersion::parse("v0.0.42").unwrap().states_by_id());
        assert!(!ApiVersion::parse("v0.0.41").unwrap().states_by_id());
    }
}
