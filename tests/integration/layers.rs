//! The layering of `docs/architecture.md`, checked against the code: every
//! `crate::`/`super::` path in `src/` (outside comments) is an import; a
//! module may import only modules of lower layers, and no two files import
//! each other, directly or in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `layer N: mod mod …` lines of the fenced `layers` block.
fn layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(repo().join("docs/architecture.md")).unwrap();
    let block = doc
        .split("```layers")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/architecture.md has a ```layers block");
    let mut out = BTreeMap::new();
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (head, mods) = line.split_once(':').expect("`layer N: modules`");
        let n: usize = head
            .trim_start_matches("layer")
            .trim()
            .parse()
            .expect("layer number");
        for m in mods.split_whitespace() {
            assert!(
                out.insert(m.to_string(), n).is_none(),
                "{m} is listed twice"
            );
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/portal/login.rs` → `[portal, login]`,
/// `src/portal/mod.rs` → `[portal]`, `src/lib.rs` → `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(repo().join("src")).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Code without comments, string and char literals (doc links and text
/// are not imports).
fn code(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && at(i + 1) == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && (at(i + 1) == '#' || at(i + 1) == '"')
            && !at(i.wrapping_sub(1)).is_alphanumeric()
        {
            // raw string r"…", r#"…"#
            let mut hashes = 0;
            let mut j = i + 1;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| at(j + 1 + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && at(i + 1) == '\\' {
            // an escaped char literal: '\n', '\'', '\u{…}'
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && at(i + 2) == '\'' {
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Every path starting with `crate`, `super` or `self`, with `use` groups
/// (`use a::{b, c::d}`) expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts = ["crate::", "super::"]
            .iter()
            .find(|k| code[i..].starts_with(*k) && (i == 0 || !ident(bytes[i - 1])));
        if starts.is_none() {
            i += 1;
            continue;
        }
        let (tree, used) = tree_at(&code[i..]);
        out.extend(tree);
        i += used.max(1);
    }
    out
}

/// Parses a path tree at the start of `s`; returns its leaves and length.
fn tree_at(s: &str) -> (Vec<Vec<String>>, usize) {
    let b = s.as_bytes();
    let mut prefix = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(s[start..i].to_string());
        }
        if s[i..].starts_with("::{") {
            i += 3;
            let mut leaves = Vec::new();
            loop {
                while i < b.len() && (b[i] == b' ' || b[i] == b'\n' || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    i += 1;
                    break;
                }
                let (sub, used) = tree_at(&s[i..]);
                for mut leaf in sub {
                    let mut full = prefix.clone();
                    full.append(&mut leaf);
                    leaves.push(full);
                }
                i += used.max(1);
            }
            return (leaves, i);
        }
        if s[i..].starts_with("::") {
            i += 2;
            continue;
        }
        return (vec![prefix], i);
    }
}

/// The file a module path names, walking down as far as files exist.
fn file_of(module: &[String]) -> PathBuf {
    let src = repo().join("src");
    let mut best = src.join("lib.rs");
    let mut dir = src.clone();
    for part in module {
        let file = dir.join(format!("{part}.rs"));
        let folder = dir.join(part).join("mod.rs");
        if file.is_file() {
            best = file;
            dir = dir.join(part);
        } else if folder.is_file() {
            best = folder;
            dir = dir.join(part);
        } else {
            break;
        }
    }
    best
}

#[test]
fn test_layers_no_upward_import_no_cycle() {
    let layers = layers();
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    let mut problems = Vec::new();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in &files {
        let me = module_of(file);
        let top = me.first().cloned().unwrap_or_else(|| "main".to_string());
        let Some(&my_layer) = layers.get(&top) else {
            problems.push(format!("{}: module {top} is in no layer", file.display()));
            continue;
        };
        let _is_mod = matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs" | "main.rs")
        );
        let text = std::fs::read_to_string(file).unwrap();
        for path in paths(&code(&text)) {
            let target: Vec<String> = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("super") => {
                    // `me` has no `mod` part, so one `super` is one level up
                    // from a file and from a mod.rs alike.
                    let mut base = me.clone();
                    let mut rest = &path[..];
                    while rest.first().map(String::as_str) == Some("super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().cloned());
                    base
                }
                _ => continue,
            };
            let Some(their_top) = target.first() else {
                continue;
            };
            if *their_top != top {
                match layers.get(their_top) {
                    Some(&l) if l < my_layer => {}
                    Some(&l) => problems.push(format!(
                        "{}: {top} (layer {my_layer}) imports {} (layer {l})",
                        file.display(),
                        target.join("::")
                    )),
                    None => {}
                }
                continue;
            }
            let to = file_of(&target);
            if &to != file {
                edges.entry(file.clone()).or_default().insert(to);
            }
        }
    }
    // Cycles among files: depth-first search.
    fn visit(
        n: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
        problems: &mut Vec<String>,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(pos) = stack.iter().position(|s| s == n) {
            let cycle: Vec<String> = stack[pos..]
                .iter()
                .chain([n])
                .map(|p| p.strip_prefix(repo()).unwrap().display().to_string())
                .collect();
            problems.push(format!("import cycle: {}", cycle.join(" -> ")));
            return;
        }
        stack.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, stack, done, problems);
        }
        stack.pop();
        done.insert(n.clone());
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        visit(n, &edges, &mut Vec::new(), &mut done, &mut problems);
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn test_layers_parser_reads_groups_and_skips_comments() {
    let p = paths(&code(
        "use crate::{a::b, c::{d, e}};\n// crate::x::y\nlet q = b'\"'; let v = super::f::g(); \"crate::s\"",
    ));
    assert_eq!(
        p,
        vec![
            vec!["crate", "a", "b"],
            vec!["crate", "c", "d"],
            vec!["crate", "c", "e"],
            vec!["super", "f", "g"],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
    assert!(!code("x // crate::a\n\"crate::b\" r#\"crate::c\"# y").contains("crate"));
}
