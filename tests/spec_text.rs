//! Every description in every spec and overlay survives YAML parsing intact.
//!
//! An unquoted description inside a flow mapping (`{ type: x, description: a, b }`)
//! ends at its first comma, and a plain one with `: ` or ` #` in it ends there too:
//! the rest silently becomes a stray key or a comment, and the truncated text
//! reaches the generated docs. Such descriptions must be quoted.

use gpujobs_workspace_tests::root;

/// Where a description would be cut short, as `file:line: why`.
fn cut_short(file: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices("description:") {
            let value = line[at + "description:".len()..].trim();
            // Quoted, a block, or a mapping (a property that is itself named `description`).
            let quoted_or_block = value.is_empty() || value.starts_with(['"', '\'', '>', '|', '{']);
            if quoted_or_block {
                continue;
            }
            let in_flow_mapping = line[..at].contains('{');
            let why = if in_flow_mapping {
                Some("an unquoted description inside `{ … }` ends at its first comma or brace")
            } else if value.contains(": ") || value.contains(" #") {
                Some("an unquoted description ends at `: ` or ` #`")
            } else {
                None
            };
            if let Some(why) = why {
                found.push(format!("{file}:{}: {why}: quote it", n + 1));
            }
        }
    }
    found
}

#[test]
fn every_description_survives_parsing() {
    let mut problems = Vec::new();
    let specs = root().join("specs");
    // Each provider's folder (notes beside them, as `causes.md`, hold no spec).
    let folders = std::fs::read_dir(&specs)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir());
    for provider in folders {
        for file in std::fs::read_dir(provider.path()).unwrap().flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.strip_prefix(root()).unwrap().display().to_string();
                problems.extend(cut_short(&name, &text));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_finds_what_yaml_would_cut() {
    let text = "a: { type: integer, description: 0 on success, an error code otherwise }\n\
                b:\n  description: The id: used as `?id=`\n\
                c: { description: \"quoted, fine\" }\n\
                d:\n  description: plain text, fine\n\
                description: { type: string, description: \"a property named so, fine\" }\n\
                description: { type: string, description: one, two }\n";
    let found = cut_short("x.yaml", text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("x.yaml:1:") && found[1].starts_with("x.yaml:3:"));
    assert!(found[2].starts_with("x.yaml:8:"), "{found:?}");
}
