//! What regen works on: the providers' spec folders (one spec, or one folder
//! per API version) and the normalisation fixtures, each a [`Target`] with its
//! output file; and the pipeline's error.

use std::fmt;
use std::path::{Path, PathBuf};

/// The providers: every folder of `specs/` under `root`, by name. A new
/// provider is picked up by adding its spec folder (and its crate).
pub fn providers(root: &Path) -> Result<Vec<String>, Error> {
    let fail = |message: String| Error {
        target: "specs".into(),
        message,
    };
    let entries = std::fs::read_dir(root.join("specs"))
        .map_err(|e| fail(format!("cannot list specs/: {e}")))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

/// Where the normalisation fixtures live, relative to the workspace root.
pub const FIXTURES_CRATE: &str = "crates/gpujobs-codegen-fixtures";

/// A failure of the pipeline for one target.
#[derive(Debug)]
pub struct Error {
    /// The provider or fixture name.
    pub target: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.target, self.message)
    }
}

impl std::error::Error for Error {}

/// One spec to generate from, and where its code goes (paths relative to the root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Provider or fixture name.
    pub name: String,
    /// Whether this is a provider (as opposed to a normalisation fixture).
    pub is_provider: bool,
    /// The spec file.
    pub spec: PathBuf,
    /// The overlay file, if any.
    pub overlay: Option<PathBuf>,
    /// The generated file.
    pub output: PathBuf,
}

/// All targets: the providers, then the fixtures in name order.
pub fn targets(root: &Path) -> Result<Vec<Target>, Error> {
    let mut targets = provider_targets(root)?;
    targets.extend(fixture_targets(root)?);
    Ok(targets)
}

/// The providers' targets, by name.
///
/// A provider's folder holds its spec (`openapi.yaml` or `.json`) and
/// `overlay.yaml`, generated into `crates/gpujobs-<provider>/src/generated.rs`;
/// or, for a provider whose API comes in versions (Slurm), one folder per
/// version as served. A version folder with an `overlay.yaml` is generated
/// into its own module, `crates/gpujobs-<provider>/src/<v0_0_42>/generated.rs`;
/// one without is kept for [`crate::drift::between_versions`] only.
pub fn provider_targets(root: &Path) -> Result<Vec<Target>, Error> {
    let mut targets = Vec::new();
    for name in providers(root)? {
        let dir = Path::new("specs").join(&name);
        let krate = Path::new("crates").join(format!("gpujobs-{name}"));
        if spec_in(root, &dir).is_some() {
            targets.push(target(root, &name, &dir, krate.join("src/generated.rs"))?);
            continue;
        }
        let versions = versions(root, &name)?;
        if versions.is_empty() {
            return Err(Error {
                target: name.clone(),
                message: format!(
                    "no {}/openapi.yaml or openapi.json, and no version folders",
                    dir.display()
                ),
            });
        }
        for version in versions
            .iter()
            .filter(|v| root.join(&v.dir).join("overlay.yaml").is_file())
        {
            let output = krate
                .join("src")
                .join(version.module())
                .join("generated.rs");
            let name = format!("{name}/{}", version.name);
            targets.push(target(root, &name, &version.dir, output)?);
        }
    }
    Ok(targets)
}

/// The spec file in `dir`, if any.
fn spec_in(root: &Path, dir: &Path) -> Option<PathBuf> {
    ["openapi.yaml", "openapi.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| root.join(p).is_file())
}

/// The target for the spec and overlay in `dir`.
fn target(root: &Path, name: &str, dir: &Path, output: PathBuf) -> Result<Target, Error> {
    let fail = |message: String| Error {
        target: name.to_owned(),
        message,
    };
    let spec = spec_in(root, dir)
        .ok_or_else(|| fail(format!("no {}/openapi.yaml or openapi.json", dir.display())))?;
    let overlay = dir.join("overlay.yaml");
    if !root.join(&overlay).is_file() {
        return Err(fail(format!("no {}", overlay.display())));
    }
    Ok(Target {
        name: name.to_owned(),
        is_provider: true,
        spec,
        overlay: Some(overlay),
        output,
    })
}

/// One version of a provider's API, as its server serves it (`specs/slurm/v0.0.42/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiVersion {
    /// The version as the server names it (`v0.0.42`).
    pub name: String,
    /// Its folder, relative to the root.
    pub dir: PathBuf,
    /// Its spec file, relative to the root.
    pub spec: PathBuf,
}

impl ApiVersion {
    /// The Rust module its code is generated into (`v0_0_42`).
    pub fn module(&self) -> String {
        self.name.replace(['.', '-'], "_")
    }

    /// Its numeric parts, for ordering (`v0.0.42` → `[0, 0, 42]`).
    fn number(&self) -> Vec<u64> {
        self.name
            .trim_start_matches('v')
            .split('.')
            .map(|part| part.parse().unwrap_or(0))
            .collect()
    }
}

/// The versions of `provider`'s API kept in `specs/<provider>/`, oldest first
/// (none for a provider with one spec).
pub fn versions(root: &Path, provider: &str) -> Result<Vec<ApiVersion>, Error> {
    let dir = Path::new("specs").join(provider);
    let entries = std::fs::read_dir(root.join(&dir)).map_err(|e| Error {
        target: provider.to_owned(),
        message: format!("cannot list {}: {e}", dir.display()),
    })?;
    let mut versions: Vec<ApiVersion> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let dir = dir.join(&name);
            let spec = spec_in(root, &dir)?;
            Some(ApiVersion { name, dir, spec })
        })
        .collect();
    versions.sort_by_key(ApiVersion::number);
    Ok(versions)
}

impl Target {
    /// The name of its surface snapshot (`surface_ray`, `surface_slurm_v0.0.42`).
    pub fn snapshot_name(&self) -> String {
        format!("surface_{}", self.name.replace('/', "_"))
    }
}

/// The normalisation fixtures' targets, by name.
fn fixture_targets(root: &Path) -> Result<Vec<Target>, Error> {
    let mut targets = Vec::new();
    let fixture_dir = Path::new(FIXTURES_CRATE).join("specs");
    let entries = std::fs::read_dir(root.join(&fixture_dir)).map_err(|e| Error {
        target: "fixtures".into(),
        message: format!("cannot list {}: {e}", fixture_dir.display()),
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".yaml")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    for name in names {
        targets.push(Target {
            spec: fixture_dir.join(format!("{name}.yaml")),
            overlay: None,
            output: Path::new(FIXTURES_CRATE)
                .join("src")
                .join(&name)
                .join("generated.rs"),
            is_provider: false,
            name,
        });
    }
    Ok(targets)
}

/// Paths in headers use `/` whatever the platform, so output is identical everywhere.
pub(crate) fn slash(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
