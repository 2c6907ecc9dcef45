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

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use sha1::{Digest, Sha1};

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
        let mut walk = Walk {
            hash: *b"00000000",
            entries: Vec::new(),
            bytes: 0,
            buffer: vec![0; 1 << 16],
        };
        walk.visit(root, root, &mut vec![patterns], 0)?;
        Ok(Self {
            name: format!("_ray_pkg_{}.zip", hex(&walk.hash)),
            source: Source::Directory {
                root: root.to_owned(),
                entries: walk.entries,
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
        p.call(|| p.client().upload_package(PROTOCOL, &name, bytes))
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

/// A walk over a directory, as Ray's `_dir_travel` makes it.
struct Walk {
    hash: [u8; 8],
    /// Files, and directories that are empty on disk (as Ray's zip holds them).
    entries: Vec<Entry>,
    bytes: u64,
    buffer: Vec<u8>,
}

impl Walk {
    /// Visits `path` unless excluded, then what is in it; `ignores` holds the
    /// patterns of `path`'s parents (each relative to its own directory).
    fn visit(&mut self, root: &Path, path: &Path, ignores: &mut Vec<Gitignore>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(invalid(format!(
                "working_dir {} is more than {MAX_DEPTH} directories deep (a symbolic link that loops?)",
                root.display()
            )));
        }
        let kind = Kind::of(path)?;
        let added = match kind {
            Kind::Dir => ignore_files(path)?,
            _ => Vec::new(),
        };
        let pushed = added.len();
        ignores.extend(added);
        let result = self.visit_unless_excluded(root, path, kind, ignores, depth);
        ignores.truncate(ignores.len() - pushed);
        result
    }

    fn visit_unless_excluded(
        &mut self,
        root: &Path,
        path: &Path,
        kind: Kind,
        ignores: &mut Vec<Gitignore>,
        depth: usize,
    ) -> Result<()> {
        // Ray matches each path as a file (no trailing slash), and a path
        // under a matched directory through that directory: so `build/`
        // leaves out what is in `build` but not the (empty) directory. Every
        // path here is under each matcher's directory (all are absolute).
        let excluded = path != root
            && ignores
                .iter()
                .any(|g| g.matched_path_or_any_parents(path, false).is_ignore());
        if excluded {
            return Ok(());
        }
        let relative = relative(root, path)?;
        let mut sha = Sha1::new();
        sha.update(relative.as_bytes());
        match kind {
            Kind::Dir => {
                let mut children = Vec::new();
                for child in std::fs::read_dir(path).map_err(|e| io_error(path, &e))? {
                    children.push(child.map_err(|e| io_error(path, &e))?.path());
                }
                if children.is_empty() && path != root {
                    self.push(relative, true)?;
                }
                xor(&mut self.hash, &sha.finalize());
                for child in children {
                    self.visit(root, &child, ignores, depth + 1)?;
                }
            }
            Kind::File => {
                let mut file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
                loop {
                    let n = file.read(&mut self.buffer).map_err(|e| io_error(path, &e))?;
                    if n == 0 {
                        break;
                    }
                    self.bytes += n as u64;
                    if self.bytes > MAX_PACKAGE_BYTES {
                        return Err(too_large(root));
                    }
                    sha.update(&self.buffer[..n]);
                }
                xor(&mut self.hash, &sha.finalize());
                self.push(relative, false)?;
            }
            // A dangling link, a socket, a FIFO: Ray hashes the name and packs
            // nothing (and never opens it: a FIFO would block).
            Kind::Other => xor(&mut self.hash, &sha.finalize()),
        }
        Ok(())
    }

    fn push(&mut self, relative: String, is_dir: bool) -> Result<()> {
        if self.entries.len() == MAX_ENTRIES {
            return Err(invalid(format!(
                "working_dir holds more than {MAX_ENTRIES} files; leave some out with `excludes`, .gitignore or .rayignore"
            )));
        }
        self.entries.push(Entry { relative, is_dir });
        Ok(())
    }
}

/// What a path is, links followed (as Ray's `is_dir` and `is_file` do).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Dir,
    File,
    Other,
}

impl Kind {
    fn of(path: &Path) -> Result<Self> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Ok(Kind::Dir),
            Ok(meta) if meta.is_file() => Ok(Kind::File),
            Ok(_) => Ok(Kind::Other),
            // A link to nothing.
            Err(_) if std::fs::symlink_metadata(path).is_ok() => Ok(Kind::Other),
            Err(e) => Err(io_error(path, &e)),
        }
    }
}

/// The patterns of a directory's `.gitignore` and `.rayignore`, as Ray
/// reads them (it skips `.gitignore` when `RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1`).
fn ignore_files(dir: &Path) -> Result<Vec<Gitignore>> {
    let skip_gitignore = std::env::var("RAY_RUNTIME_ENV_IGNORE_GITIGNORE").is_ok_and(|v| v == "1");
    let names: &[&str] = match skip_gitignore {
        true => &[".rayignore"],
        false => &[".gitignore", ".rayignore"],
    };
    let mut found = Vec::new();
    for name in names {
        let file = dir.join(name);
        if file.is_file() {
            let text = std::fs::read_to_string(&file).map_err(|e| io_error(&file, &e))?;
            found.push(matcher(dir, Some(&file), text.lines())?);
        }
    }
    Ok(found)
}

/// Patterns matched relative to `dir`. Braces are literal, as in Ray's
/// gitwildmatch (the glob library would read `{a,b}` as a choice).
fn matcher<S: AsRef<str>>(dir: &Path, file: Option<&Path>, lines: impl IntoIterator<Item = S>) -> Result<Gitignore> {
    let mut builder = GitignoreBuilder::new(dir);
    for line in lines {
        let line = line.as_ref();
        let literal = line.replace('{', "\\{").replace('}', "\\}");
        builder.add_line(file.map(Path::to_owned), &literal).map_err(|e| {
            let place = file.map_or_else(|| "exclude pattern".to_owned(), |f| f.display().to_string());
            invalid(format!("{place}: `{line}`: {e}"))
        })?;
    }
    builder.build().map_err(|e| invalid(format!("exclude patterns: {e}")))
}

/// `path` relative to `root`, `/`-separated; the root itself is `.` (as
/// Python's `str(Path)` writes it, which Ray hashes). A name that is not
/// UTF-8 is refused: Ray would hash it otherwise, and the zip holds UTF-8 names.
fn relative(root: &Path, path: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for part in path.strip_prefix(root).unwrap_or(path).components() {
        let name = part.as_os_str().to_str().ok_or_else(|| {
            invalid(format!("working_dir: {} is not named in UTF-8", path.display()))
        })?;
        parts.push(name);
    }
    Ok(match parts.is_empty() {
        true => ".".to_owned(),
        false => parts.join("/"),
    })
}

fn xor(hash: &mut [u8; 8], digest: &[u8]) {
    for (h, d) in hash.iter_mut().zip(digest) {
        *h ^= d;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
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
fn unix_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn unix_mode(meta: &std::fs::Metadata) -> u32 {
    match meta.is_dir() {
        true => 0o755,
        false => 0o644,
    }
}

fn invalid(message: String) -> Error {
    Error::invalid(ProviderKind::Ray, message)
}

fn io_error(path: &Path, error: &std::io::Error) -> Error {
    invalid(format!("working_dir: cannot read {}: {error}", path.display()))
}

fn too_large(path: &Path) -> Error {
    invalid(format!(
        "working_dir {} packs to more than the 100 MiB Ray's dashboard takes; leave large files out with `excludes`, .gitignore or .rayignore",
        path.display()
    ))
}

/// A zip whose entries are stored, not compressed (as Ray's client writes
/// them; the zip format without ZIP64, which [`MAX_PACKAGE_BYTES`] and
/// [`MAX_ENTRIES`] keep it within).
#[derive(Default)]
struct StoredZip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
}

impl StoredZip {
    const VERSION: u16 = 20;
    /// File names are UTF-8.
    const UTF8: u16 = 1 << 11;
    /// Made on Unix, so the modes in the external attributes are read.
    const MADE_BY_UNIX: u16 = (3 << 8) | Self::VERSION;
    /// 1980-01-01 00:00, the earliest date the format has: every package
    /// of the same files has the same bytes.
    const DATE: u16 = (1 << 5) | 1;

    fn len(&self) -> u64 {
        (self.out.len() + self.central.len()) as u64
    }

    fn add(&mut self, name: &str, data: &[u8], mode: u32, is_dir: bool) {
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        let common = |buf: &mut Vec<u8>| {
            put16(buf, Self::VERSION);
            put16(buf, Self::UTF8);
            put16(buf, 0); // stored
            put16(buf, 0); // time
            put16(buf, Self::DATE);
            put32(buf, crc);
            put32(buf, size);
            put32(buf, size);
            put16(buf, name_len);
            put16(buf, 0); // extra field length
        };
        put32(&mut self.out, 0x0403_4b50);
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(data);

        put32(&mut self.central, 0x0201_4b50);
        put16(&mut self.central, Self::MADE_BY_UNIX);
        common(&mut self.central);
        put16(&mut self.central, 0); // comment length
        put16(&mut self.central, 0); // disk
        put16(&mut self.central, 0); // internal attributes
        // The Unix mode above, and MS-DOS's directory bit below.
        let dos_directory = if is_dir { 0x10 } else { 0 };
        put32(&mut self.central, (mode << 16) | dos_directory);
        put32(&mut self.central, offset);
        self.central.extend_from_slice(name.as_bytes());
        self.count += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let (offset, size) = (self.out.len() as u32, self.central.len() as u32);
        self.out.append(&mut self.central);
        put32(&mut self.out, 0x0605_4b50);
        put16(&mut self.out, 0); // this disk
        put16(&mut self.out, 0); // the disk the directory starts on
        put16(&mut self.out, self.count);
        put16(&mut self.out, self.count);
        put32(&mut self.out, size);
        put32(&mut self.out, offset);
        put16(&mut self.out, 0); // comment length
        self.out
    }
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
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
