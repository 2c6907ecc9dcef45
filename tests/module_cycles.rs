//! Every crate reads bottom-up: no module depends, directly or not, on a
//! module that depends on it. A small reading of `crate::…`, `super::…` and
//! `self::…` paths in each crate's hand-written sources (generated code
//! excluded) builds the graph of each crate's modules; a cycle fails, naming
//! it. `cargo test --test module_cycles -- --nocapture` prints each crate's
//! graph (what ARCHITECTURE.md shows).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A crate's modules (`providers::ray`), each with the modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every hand-written crate with a `src/`.
fn crates() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ["crates", "examples"]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(root().join(dir))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    found.push(root().join("xtask"));
    found.sort();
    found
}

/// The module a source file is (`src/providers/ray/tail.rs` → `providers::ray::tail`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| !matches!(*p, "mod" | "lib" | "main"))
        .collect();
    parts.join("::")
}

/// Every `generated.rs` below `dir`.
fn generated_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            generated_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "generated.rs") {
            out.push(path);
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "generated.rs")
        {
            out.push(path);
        }
    }
}

/// Code without comments and without the `#[cfg(test)]` module (tests may
/// reach anywhere); for the crate root, without its re-exports (`pub use`),
/// which name modules without depending on them.
fn code_of(text: &str, root: bool) -> String {
    text.split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default()
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .filter(|l| {
            !(root
                && (l.trim_start().starts_with("pub use")
                    || l.trim_start().starts_with("pub(crate) use")))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `use` trees written out: `crate::{a::B, c}` → `crate::a::B`, `crate::c`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let (prefix, rest) = (
        &tree[..open],
        &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())],
    );
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&rest[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&format!("{prefix}{p}")))
        .collect()
}

/// The modules a file's code names, resolved against `module` and `known`;
/// an item of the crate root is the root (`""`).
fn named(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let own: Vec<&str> = if module.is_empty() {
        vec![]
    } else {
        module.split("::").collect()
    };
    let code = code_of(text, module.is_empty());
    let mut paths: Vec<String> = Vec::new();
    // `use` statements, braces expanded; then every other path in the code.
    for statement in code.split(';') {
        if let Some(at) = statement.find("use ") {
            paths.extend(expand(&statement[at + 4..]));
        }
    }
    paths.extend(
        code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .filter(|t| t.contains("::"))
            .map(str::to_owned),
    );
    let mut found = BTreeSet::new();
    for token in paths {
        let parts: Vec<&str> = token.split("::").filter(|p| !p.is_empty()).collect();
        let mut path: Vec<&str> = match parts.first() {
            Some(&"crate") => vec![],
            Some(&"super") | Some(&"self") => own.clone(),
            // A path from a child module (`providers::seed_demo_jobs` in the root).
            Some(first)
                if known.contains(
                    &own.iter()
                        .chain([first])
                        .copied()
                        .collect::<Vec<_>>()
                        .join("::"),
                ) =>
            {
                own.clone()
            }
            _ => continue,
        };
        for part in &parts {
            match *part {
                "crate" | "self" => {}
                "super" => {
                    path.pop();
                }
                other => path.push(other),
            }
        }
        // The longest prefix that is a module of the crate (none: the root).
        loop {
            let candidate = path.join("::");
            if path.is_empty() || known.contains(&candidate) {
                if candidate != module && !module.starts_with(&format!("{candidate}::"))
                    || (candidate.is_empty() && !module.is_empty())
                {
                    found.insert(candidate);
                }
                break;
            }
            path.pop();
        }
    }
    found
}

/// The modules behind the root items `text` names (`crate::Error` → `error`);
/// `""` for an item the root defines itself.
fn root_items(text: &str, reexports: &BTreeMap<String, String>) -> BTreeSet<String> {
    let code = code_of(text, false);
    let mut paths: Vec<String> = code
        .split(';')
        .filter_map(|s| s.find("use ").map(|at| &s[at + 4..]))
        .flat_map(expand)
        .collect();
    paths.extend(
        code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map(str::to_owned),
    );
    paths
        .iter()
        .filter_map(|p| p.strip_prefix("crate::"))
        .map(|rest| rest.split("::").next().unwrap_or_default().to_owned())
        .filter(|first| {
            !first.is_empty() && !first.chars().next().is_some_and(|c| c.is_lowercase())
                || reexports.contains_key(first)
        })
        .map(|item| reexports.get(&item).cloned().unwrap_or_default())
        .collect()
}

/// A crate's graph, one node per module.
fn graph(krate: &Path) -> Graph {
    let src = krate.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // A binary beside a library is a crate of its own.
    if src.join("lib.rs").exists() {
        files.retain(|f| f != &src.join("main.rs"));
    }
    let modules: BTreeMap<String, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let mut known: BTreeSet<String> = modules.keys().cloned().collect();
    // Generated modules are not read, but they are modules.
    let mut generated = Vec::new();
    generated_files(&src, &mut generated);
    known.extend(generated.iter().map(|f| module_of(&src, f)));
    // What the root re-exports, by name: `crate::Error` is the module `error`.
    let root_text = modules
        .get("")
        .map(|f| std::fs::read_to_string(f).unwrap())
        .unwrap_or_default();
    let reexports: BTreeMap<String, String> = root_text
        .split(';')
        .filter_map(|s| s.trim_start().strip_prefix("pub use "))
        .flat_map(expand)
        .filter_map(|path| {
            let parts: Vec<&str> = path.split("::").collect();
            let (item, module) = parts.split_last()?;
            let module = module.join("::");
            let item = item.split(" as ").last().unwrap_or(item).to_owned();
            known.contains(&module).then_some((item, module))
        })
        .collect();
    modules
        .iter()
        .filter(|(_, file)| {
            file.file_name().is_some_and(|n| n != "main.rs") || !src.join("lib.rs").exists()
        })
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            let mut uses = named(module, &text, &known);
            if uses.remove("") {
                // Which root items: re-exported ones count as their own modules.
                let items = root_items(&text, &reexports);
                uses.extend(items);
            }
            // A module's children are its own parts, not what it depends on.
            uses.retain(|u| module.is_empty() || !u.starts_with(&format!("{module}::")));
            let name = |m: &str| {
                if m.is_empty() {
                    "(root)".to_owned()
                } else {
                    m.to_owned()
                }
            };
            (name(module), uses.iter().map(|u| name(u)).collect())
        })
        .collect()
}

/// A cycle in `graph`, if there is one: the modules around it.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut around = stack[at..].to_vec();
            around.push(node.to_owned());
            return Some(around);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every group of modules that reach each other (Tarjan's strongly connected
/// components of two or more).
fn components(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    for start in graph.keys() {
        if seen.contains(start) {
            continue;
        }
        let reach = |from: &str| {
            let mut reached = BTreeSet::new();
            let mut todo = vec![from.to_owned()];
            while let Some(node) = todo.pop() {
                for next in graph.get(&node).into_iter().flatten() {
                    if reached.insert(next.clone()) {
                        todo.push(next.clone());
                    }
                }
            }
            reached
        };
        let forward = reach(start);
        let group: Vec<String> = forward
            .iter()
            .filter(|n| reach(n).contains(start))
            .cloned()
            .collect();
        if !group.is_empty() {
            seen.extend(group.iter().cloned());
            found.push(group);
        }
    }
    found
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut cycles = Vec::new();
    for krate in crates() {
        let graph = graph(&krate);
        let name = krate.file_name().unwrap().to_string_lossy().into_owned();
        println!("## {name}");
        for (module, uses) in &graph {
            println!(
                "{module} → {}",
                uses.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        for around in components(&graph) {
            cycles.push(format!("{name}: {}", around.join(", ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_finds_a_cycle_and_passes_a_tree() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g = Graph::new();
        for (from, to) in edges {
            g.entry((*from).into()).or_default().insert((*to).into());
            g.entry((*to).into()).or_default();
        }
        g
    };
    assert_eq!(cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let found = cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])).unwrap();
    assert_eq!(found.first(), found.last());
    let known: BTreeSet<String> = ["x", "x::y", "z"].iter().map(|s| (*s).to_owned()).collect();
    let uses = named("x::y", "use super::super::z::Thing; use crate::x;", &known);
    assert_eq!(uses, ["z".to_owned()].into_iter().collect());
    let uses = named("z", "use crate::{x::y::{A, B}, State};", &known);
    assert_eq!(
        uses,
        ["".to_owned(), "x::y".to_owned()].into_iter().collect()
    );
}

/// ARCHITECTURE.md's "Reading each crate bottom-up" names every hand-written
/// file of the crates it tables, in that crate's part: a file added without
/// its place in the reading order fails here.
#[test]
fn the_reading_order_names_every_file() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let order = text
        .split("## Reading each crate bottom-up")
        .nth(1)
        .expect("ARCHITECTURE.md has its reading order");
    let mut missing = Vec::new();
    for name in [
        "gpujobs-runtime",
        "gpujobs",
        "gpujobs-sandbox",
        "gpujobs-cli",
        "gpujobs-codegen",
    ] {
        let heading = format!("**`{name}`**");
        let part = order
            .split(heading.as_str())
            .nth(1)
            .and_then(|rest| rest.split("\n**`").next())
            .unwrap_or_else(|| panic!("no part for {name}"));
        let src = root().join("crates").join(name).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let relative = file
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let base = file.file_name().unwrap().to_string_lossy().into_owned();
            // `lib.rs` and `main.rs` close every table; a one-line crate root needs no row.
            let named =
                part.contains(&format!("`{relative}`")) || part.contains(&format!("`{base}`"));
            if !named && !matches!(relative.as_str(), "lib.rs" | "main.rs") {
                missing.push(format!("{name}: {relative}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files not in ARCHITECTURE.md's reading order: {missing:?}"
    );
}
