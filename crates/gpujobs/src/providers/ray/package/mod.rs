//! A local working directory, sent as Ray's own client sends it: packed into
//! a zip named for a hash of its contents (`gcs://_ray_pkg_<hash>.zip`),
//! uploaded through the Jobs API's package endpoints unless a package of
//! that name is already there, and submitted as that URI.
//!
//! The hash, the excludes and the size limit are Ray's
//! (`ray/_private/runtime_env/packaging.py`, Ray 2.60): each path under the
//! directory (the directory itself as `.`) is hashed with SHA-1 — its path
//! relative to the directory, and a file's bytes — and the digests are XORed
//! into eight bytes that start as `b"00000000"`; `.git`, `.venv`, `venv` and
//! `__pycache__` are left out, as are the `excludes` patterns and what each
//! directory's `.gitignore` and `.rayignore` name. So the same directory packs
//! to the name Ray's client gives it, and either client finds the other's
//! upload. Packages are at most 100 MiB (what Ray's dashboard takes in a
//! request). Paths are matched and hashed relative to the directory made
//! absolute, as Ray does, so `.`, `./proj` and `/abs/proj` are one package.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

mod walk;
mod zip;

use self::walk::{Walk, matcher};
use self::zip::StoredZip;
use super::RayProvider;
use crate::error::{Error, Result};
use crate::registry::ProviderKind;

/// What Ray leaves out of a working directory unless told otherwise
/// (`RAY_RUNTIME_ENV_DEFAULT_EXCLUDES`; `RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES`,
/// a comma-separated list, replaces it, as in Ray).
pub const DEFAULT_EXCLUDES: [&str; 4] = [".git", ".venv", "venv", "__pycache__"];

/// The largest package sent: what Ray's dashboard takes in a request body
/// (`DASHBOARD_CLIENT_MAX_SIZE`, 100 MiB; its package store would take 512).
pub const MAX_PACKAGE_BYTES: u64 = 100 * 1024 * 1024;

/// Where Ray stores uploaded packages (the `gcs://` in their URIs).
const PROTOCOL: &str = "gcs";

/// Directories deeper than this are refused: a symbolic link that loops
/// would otherwise be followed forever.
const MAX_DEPTH: usize = 64;

/// The zip format without ZIP64 holds at most this many entries.
const MAX_ENTRIES: usize = u16::MAX as usize;

/// A working directory ready to send: the name it is stored under and how
/// to make its bytes.
#[derive(Debug)]
pub(crate) struct Package {
    /// `_ray_pkg_<hash>.zip`.
    pub name: String,
    source: Source,
}

#[derive(Debug)]
enum Source {
    /// A directory's files, to be zipped (paths relative to `root`, `/`-separated).
    Directory { root: PathBuf, entries: Vec<Entry> },
    /// A zip the user made, sent as it is.
    Zip(Vec<u8>),
}

#[derive(Debug)]
struct Entry {
    relative: String,
    is_dir: bool,
}

impl Package {
    /// The URI it is submitted as.
    pub fn uri(&self) -> String {
        format!("{PROTOCOL}://{}", self.name)
    }

    /// Reads `path` (a directory, or a `.zip` file) as Ray's client would,
    /// leaving out [`DEFAULT_EXCLUDES`] and `excludes`. Blocking.
    pub fn read(path: &Path, excludes: &[String]) -> Result<Self> {
        // Absolute, as Ray makes it (`Path.absolute()`); `components` drops
        // `.` and doubled slashes, so every path below has one spelling.
        let path: PathBuf = std::path::absolute(path)
            .map_err(|e| io_error(path, &e))?
            .components()
            .collect();
        let path = path.as_path();
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
        if meta.is_dir() {
            return Self::of_directory(path, excludes);
        }
        if path.extension().is_some_and(|e| e == "zip") {
            if !excludes.is_empty() {
                return Err(invalid(format!(
                    "working_dir {} is a zip, sent as it is: `excludes` apply to a directory",
                    path.display()
                )));
            }
            let bytes = read_limited(path, MAX_PACKAGE_BYTES)?;
            let hash = hex(&Sha1::digest(&bytes));
            return Ok(Self {
                name: format!("_ray_pkg_{hash}.zip"),
                source: Source::Zip(bytes),
            });
        }
        Err(invalid(format!(
            "working_dir {} is neither a directory nor a .zip file",
            path.display()
        )))
    }

    fn of_directory(root: &Path, excludes: &[String]) -> Result<Self> {
        let defaults: Vec<String> = match std::env::var("RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES") {
            Ok(list) => list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            Err(_) => DEFAULT_EXCLUDES.map(str::to_owned).to_vec(),
        };
        let patterns = matcher(root, None, defaults.iter().chain(excludes))?;
        let (hash, entries) = Walk::run(root, patterns)?;
        Ok(Self {
            name: format!("_ray_pkg_{}.zip", hex(&hash)),
            source: Source::Directory {
                root: root.to_owned(),
                entries,
            },
        })
    }

    /// The package's bytes: a directory zipped (stored, as Ray's client
    /// does), a zip as it is. Blocking.
    pub fn bytes(self) -> Result<Vec<u8>> {
        match self.source {
            Source::Zip(bytes) => Ok(bytes),
            Source::Directory { root, entries } => {
                let mut zip = StoredZip::default();
                for entry in entries {
                    let path = root.join(&entry.relative);
                    let meta = std::fs::metadata(&path).map_err(|e| io_error(&path, &e))?;
                    let mode = unix_mode(&meta);
                    match entry.is_dir {
                        true => zip.add(&format!("{}/", entry.relative), &[], mode | 0o040000, true),
                        false => {
                            let bytes = read_limited(&path, MAX_PACKAGE_BYTES)?;
                            zip.add(&entry.relative, &bytes, mode | 0o100000, false);
                        }
                    }
                    if zip.len() > MAX_PACKAGE_BYTES {
                        return Err(too_large(&root));
                    }
                }
                Ok(zip.finish())
            }
        }
    }
}

/// Sends `path` (unless a package of its name is on the cluster already)
/// and gives the URI to submit.
pub(crate) async fn upload(p: &RayProvider, path: &str, excludes: &[String]) -> Result<String> {
    let (path, excludes) = (PathBuf::from(path), excludes.to_vec());
    let package = blocking(move || Package::read(&path, &excludes)).await?;
    let uri = package.uri();
    let name = package.name.clone();
    let there = match p.call(|| p.client().get_package(PROTOCOL, &name)).await {
        Ok(_) => true,
        Err(Error::NotFound { .. }) => false,
        Err(e) => return Err(e),
    };
    if !there {
        let bytes = bytes::Bytes::from(blocking(move || package.bytes()).await?);
        tracing::debug!(%uri, bytes = bytes.len(), "uploading the working directory");
        p.call(|| p.client().upload_package(PROTOCOL, &name, bytes.clone()))
            .await?;
    }
    Ok(uri)
}

/// Runs filesystem work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| invalid(format!("reading the working directory stopped: {e}")))?
}

fn xor(hash: &mut [u8; 8], digest: &[u8]) {
    for (h, d) in hash.iter_mut().zip(digest) {
        *h ^= d;
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| io_error(path, &e))?;
    match bytes.len() as u64 > limit {
        true => Err(too_large(path)),
        false => Ok(bytes),
    }
}

#[cfg(unix)]
pub(super) fn unix_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
pub(super) fn unix_mode(meta: &std::fs::Metadata) -> u32 {
    match meta.is_dir() {
        true => 0o755,
        false => 0o644,
    }
}

pub(super) fn invalid(message: String) -> Error {
    Error::invalid(ProviderKind::Ray, message)
}

pub(super) fn io_error(path: &Path, error: &std::io::Error) -> Error {
    invalid(format!("working_dir: cannot read {}: {error}", path.display()))
}

pub(super) fn too_large(path: &Path) -> Error {
    invalid(format!(
        "working_dir {} packs to more than the 100 MiB Ray's dashboard takes; leave large files out with `excludes`, .gitignore or .rayignore",
        path.display()
    ))
}


#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn names(package: Package) -> Vec<String> {
        let Source::Directory { entries, .. } = package.source else {
            panic!("a directory")
        };
        let mut names: Vec<String> = entries.into_iter().map(|e| e.relative).collect();
        names.sort();
        names
    }

    #[test]
    fn the_name_is_rays_hash_of_the_contents() {
        // Ray's algorithm spelled out (each path's SHA-1, a file's with its
        // bytes, XORed into b"00000000"); the live test compares with Ray itself.
        let dir = tree(&[("a.py", "print(1)\n"), ("sub/b.txt", "b")]);
        let package = Package::read(dir.path(), &[]).unwrap();
        let mut want = *b"00000000";
        for (path, body) in [(".", ""), ("a.py", "print(1)\n"), ("sub", ""), ("sub/b.txt", "b")] {
            let mut sha = Sha1::new();
            sha.update(path.as_bytes());
            sha.update(body.as_bytes());
            xor(&mut want, &sha.finalize());
        }
        assert_eq!(package.name, format!("_ray_pkg_{}.zip", hex(&want)));
        assert_eq!(package.uri(), format!("gcs://{}", package.name));
        // The same files elsewhere are the same package; one byte more is another.
        let same = tree(&[("a.py", "print(1)\n"), ("sub/b.txt", "b")]);
        assert_eq!(Package::read(same.path(), &[]).unwrap().name, package.name);
        let other = tree(&[("a.py", "print(2)\n"), ("sub/b.txt", "b")]);
        assert_ne!(Package::read(other.path(), &[]).unwrap().name, package.name);
    }

    #[test]
    fn rays_default_excludes_ignore_files_and_patterns_leave_paths_out() {
        let dir = tree(&[
            ("train.py", "x"),
            (".git/HEAD", "ref"),
            ("venv/bin/python", "x"),
            ("pkg/__pycache__/m.pyc", "x"),
            ("pkg/m.py", "x"),
            ("data/big.bin", "x"),
            ("logs/run.log", "x"),
            (".gitignore", "*.log\n"),
            ("pkg/.rayignore", "m.py\n"),
        ]);
        let package = Package::read(dir.path(), &["data/".to_owned()]).unwrap();
        // `data/` leaves out what is in data (the directory itself is hashed, as Ray does).
        assert_eq!(names(package), [".gitignore", "pkg/.rayignore", "train.py"]);
    }

    #[test]
    fn the_zip_holds_the_files_as_python_reads_them() {
        let dir = tree(&[("a.py", "print(1)\n"), ("sub/b.txt", "bee")]);
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        let bytes = Package::read(dir.path(), &[]).unwrap().bytes().unwrap();
        let zip = dir.path().join("out.zip");
        std::fs::write(&zip, &bytes).unwrap();
        let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in sorted(z.infolist(), key=lambda i: i.filename): print(i.filename, z.read(i).decode())";
        let out = match std::process::Command::new("python3").args(["-c", script]).arg(&zip).output() {
            Ok(out) => out,
            Err(e) => return eprintln!("python3 cannot run here ({e}): the zip is checked by the live Ray test"),
        };
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a.py print(1)\n\nempty/ \nsub/b.txt bee\n");
    }

    #[test]
    fn what_cannot_be_sent_is_refused_with_its_reason() {
        let dir = tree(&[("notes.txt", "x")]);
        let missing = Package::read(&dir.path().join("nope"), &[]).unwrap_err();
        assert!(missing.to_string().contains("cannot read"), "{missing}");
        let file = Package::read(&dir.path().join("notes.txt"), &[]).unwrap_err();
        assert!(file.to_string().contains("neither a directory nor a .zip"), "{file}");
        let zip = tree(&[("code.zip", "PK")]);
        let with_excludes = Package::read(&zip.path().join("code.zip"), &["x".to_owned()]).unwrap_err();
        assert!(with_excludes.to_string().contains("excludes` apply to a directory"), "{with_excludes}");
    }

    #[test]
    fn a_relative_directory_is_the_same_package_with_the_same_excludes() {
        let dir = tree(&[("train.py", "x"), (".git/HEAD", "ref"), ("sub/.gitignore", "*.log\n"), ("sub/a.log", "x"), ("sub/b.py", "x")]);
        let absolute = Package::read(dir.path(), &[]).unwrap();
        let name = absolute.name.clone();
        assert_eq!(names(absolute), ["sub/.gitignore", "sub/b.py", "train.py"]);
        // The same directory named relatively (`./../../tmp/…/.`), as `--working-dir .` is.
        let cwd = std::env::current_dir().unwrap();
        let mut relative = PathBuf::from(".");
        for _ in cwd.components().skip(1) {
            relative.push("..");
        }
        relative.push(dir.path().strip_prefix("/").unwrap());
        relative.push(".");
        let again = Package::read(&relative, &[]).unwrap();
        assert_eq!(again.name, name);
        assert_eq!(names(again), ["sub/.gitignore", "sub/b.py", "train.py"]);
    }

    #[test]
    fn negations_and_anchors_read_as_git_reads_them() {
        let dir = tree(&[
            ("a.log", "x"),
            ("logs/keep.log", "x"),
            ("top.txt", "x"),
            ("sub/top.txt", "x"),
            (".gitignore", "*.log\n!keep.log\n/top.txt\n"),
        ]);
        let package = Package::read(dir.path(), &[]).unwrap();
        assert_eq!(names(package), [".gitignore", "logs/keep.log", "sub/top.txt"]);
    }

    #[test]
    fn a_zip_is_sent_as_it_is_under_the_sha1_of_its_bytes() {
        let dir = tree(&[("code.zip", "PK\x05\x06 not really")]);
        let package = Package::read(&dir.path().join("code.zip"), &[]).unwrap();
        assert_eq!(package.name, format!("_ray_pkg_{}.zip", hex(&Sha1::digest(b"PK\x05\x06 not really"))));
        assert_eq!(package.bytes().unwrap(), b"PK\x05\x06 not really");
    }

    #[test]
    fn braces_are_literal_and_dangling_links_are_named_but_not_packed() {
        let dir = tree(&[("{a,b}.txt", "x"), ("a.txt", "x")]);
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join(".#lock")).unwrap();
        let package = Package::read(dir.path(), &["{a,b}.txt".to_owned()]).unwrap();
        assert_eq!(names(package), ["a.txt"]);
    }
}
