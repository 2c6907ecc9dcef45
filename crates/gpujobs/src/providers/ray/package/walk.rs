//! Walking a working directory as Ray's client does: what it leaves out
//! (its defaults, the excludes, each directory's `.gitignore` and
//! `.rayignore`), the hash of what it keeps, and the entries to pack.

use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use sha1::{Digest, Sha1};

use std::io::Read;

use super::{Entry, MAX_DEPTH, MAX_ENTRIES, MAX_PACKAGE_BYTES, invalid, io_error, too_large, xor};
use crate::error::Result;

/// A walk over a directory, as Ray's `_dir_travel` makes it.
pub(super) struct Walk {
    hash: [u8; 8],
    /// Files, and directories that are empty on disk (as Ray's zip holds them).
    entries: Vec<Entry>,
    bytes: u64,
    buffer: Vec<u8>,
}

impl Walk {
    /// Walks `root` (its own patterns first in `patterns`): the hash of what
    /// it keeps, and the entries to pack.
    pub(super) fn run(root: &Path, patterns: Gitignore) -> Result<([u8; 8], Vec<Entry>)> {
        let mut walk = Walk {
            hash: *b"00000000",
            entries: Vec::new(),
            bytes: 0,
            buffer: vec![0; 1 << 16],
        };
        walk.visit(root, root, &mut vec![patterns], 0)?;
        Ok((walk.hash, walk.entries))
    }

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
pub(super) enum Kind {
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
pub(super) fn ignore_files(dir: &Path) -> Result<Vec<Gitignore>> {
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
pub(super) fn matcher<S: AsRef<str>>(dir: &Path, file: Option<&Path>, lines: impl IntoIterator<Item = S>) -> Result<Gitignore> {
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
pub(super) fn relative(root: &Path, path: &Path) -> Result<String> {
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
