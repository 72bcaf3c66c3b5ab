//! Reading a configuration with its `include`s, as nginx does: a relative
//! path is relative to the main file's directory, a glob (`*`, `?`, `[…]`)
//! expands in sorted order and may match nothing, a plain path must exist.
//! With `--prefix DIR`, an absolute path (`/config/nginx/proxy.conf`) is
//! looked up under `DIR` first, then as is. A file that includes itself,
//! directly or not, is an error.

use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::super::{ImportError, Warning};
use super::lexer::tokenize;
use super::parser::{parse, At, Directive};

/// How deep includes may nest (nginx has no limit; a loop is caught first).
const MAX_DEPTH: usize = 32;

/// Files nginx ships next to `nginx.conf` (MIME types, FastCGI/uWSGI/SCGI
/// parameters, charset maps): nothing in them concerns the import, so a
/// copied configuration that lacks them gets a warning, not an error.
const STOCK_FILES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "scgi_params",
    "uwsgi_params",
    "proxy_params",
    "koi-utf",
    "koi-win",
    "win-utf",
];

/// Reads the main file and everything it includes; the warnings are about
/// nginx's stock files that were not found.
pub fn load(
    main: &Path,
    prefix: Option<&Path>,
) -> Result<(Vec<Directive>, Vec<Warning>), ImportError> {
    let main_dir = main
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut loader = Loader {
        main_dir,
        prefix: prefix.map(Path::to_path_buf),
        stack: Vec::new(),
        warnings: Vec::new(),
    };
    let dirs = loader.file(main, &main.display().to_string(), None)?;
    Ok((dirs, loader.warnings))
}

struct Loader {
    main_dir: PathBuf,
    prefix: Option<PathBuf>,
    /// Canonical paths of the files being read, outermost first.
    stack: Vec<PathBuf>,
    warnings: Vec<Warning>,
}

impl Loader {
    /// Reads, tokenizes and parses one file, then expands its includes.
    fn file(
        &mut self,
        path: &Path,
        shown: &str,
        from: Option<&At>,
    ) -> Result<Vec<Directive>, ImportError> {
        let here = |message: String| match from {
            Some(at) => ImportError::at(&at.file, at.line, message),
            None => ImportError::file(shown, message),
        };
        let canonical =
            std::fs::canonicalize(path).map_err(|e| here(format!("cannot open {shown:?}: {e}")))?;
        if let Some(i) = self.stack.iter().position(|p| *p == canonical) {
            let chain: Vec<String> = self.stack[i..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| p.display().to_string())
                .collect();
            return Err(here(format!("include loop: {}", chain.join(" -> "))));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(here(format!(
                "includes nested deeper than {MAX_DEPTH} files"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| here(format!("cannot read {shown:?}: {e}")))?;
        let name: Rc<str> = Rc::from(shown);
        let tree = parse(&name, tokenize(shown, &bytes)?)?;
        self.stack.push(canonical);
        let expanded = self.expand(tree);
        self.stack.pop();
        expanded
    }

    /// Replaces every `include` in `dirs` (at any depth) by the directives
    /// of the files it names.
    fn expand(&mut self, dirs: Vec<Directive>) -> Result<Vec<Directive>, ImportError> {
        let mut out = Vec::with_capacity(dirs.len());
        for mut d in dirs {
            if d.name == "include" && d.block.is_none() {
                if d.args.len() != 1 {
                    return Err(ImportError::at(
                        &d.at.file,
                        d.at.line,
                        "include: expected one file name",
                    ));
                }
                let stock = Path::new(d.arg(0))
                    .file_name()
                    .is_some_and(|n| STOCK_FILES.iter().any(|s| n == *s));
                let paths = match self.resolve(d.arg(0), &d.at) {
                    Err(_) if stock => {
                        self.warnings.push(Warning {
                            file: d.at.file.to_string(),
                            line: d.at.line,
                            directive: "include".to_owned(),
                            reason: format!("{} is one of nginx's stock files and is not here; nothing in it matters to the import", d.arg(0)),
                        });
                        Vec::new()
                    }
                    other => other?,
                };
                for path in paths {
                    let shown = path.display().to_string();
                    out.extend(self.file(&path, &shown, Some(&d.at))?);
                }
                continue;
            }
            if let Some(block) = d.block.take() {
                d.block = Some(self.expand(block)?);
            }
            out.push(d);
        }
        Ok(out)
    }

    /// The files an `include` argument names.
    fn resolve(&self, pattern: &str, at: &At) -> Result<Vec<PathBuf>, ImportError> {
        let path = Path::new(pattern);
        let mut candidates = Vec::new();
        if path.is_absolute() {
            if let Some(prefix) = &self.prefix {
                let rel: PathBuf = path
                    .components()
                    .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
                    .collect();
                candidates.push(prefix.join(rel));
            }
            candidates.push(path.to_path_buf());
        } else {
            candidates.push(self.main_dir.join(path));
        }
        let is_glob = pattern.contains(['*', '?', '[']);
        for candidate in &candidates {
            if is_glob {
                let found = glob(candidate);
                if !found.is_empty() {
                    return Ok(found);
                }
            } else if candidate.exists() {
                return Ok(vec![candidate.clone()]);
            }
        }
        if is_glob {
            return Ok(Vec::new());
        }
        let looked: Vec<String> = candidates
            .iter()
            .map(|c| format!("{:?}", c.display().to_string()))
            .collect();
        Err(ImportError::at(
            &at.file,
            at.line,
            format!(
                "include: cannot open {}: No such file or directory",
                looked.join(" or ")
            ),
        ))
    }
}

/// The files matching a path whose components may hold `*`, `?` and
/// `[…]`, sorted; hidden files match only a pattern starting with `.`.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let mut current = vec![PathBuf::new()];
    for comp in pattern.components() {
        let text = comp.as_os_str().to_string_lossy();
        let wild = matches!(comp, Component::Normal(_)) && text.contains(['*', '?', '[']);
        let mut next = Vec::new();
        for base in &current {
            if !wild {
                next.push(base.join(comp.as_os_str()));
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| (text.starts_with('.') || !n.starts_with('.')) && matches(&text, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        current = next;
    }
    current.into_iter().filter(|p| p.is_file()).collect()
}

/// fnmatch(3) for one path component.
fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(1).position(|&c| c == ']').map(|i| i + 1) else {
                    return n.first() == Some(&'[') && go(&p[1..], &n[1..]);
                };
                let Some(&c) = n.first() else { return false };
                let set = &p[1..close];
                let (negate, set) = match set.first() {
                    Some('!' | '^') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != negate && go(&p[close + 1..], &n[1..])
            }
            Some(&c) => n.first() == Some(&c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn test_matches_fnmatch() {
        assert!(matches("*.conf", "a.conf"));
        assert!(!matches("*.conf", "a.conf.sample"));
        assert!(matches("a?[0-9].c[!x]nf", "ab7.conf"));
        assert!(!matches("[!a]*", "abc"));
    }

    #[test]
    fn test_load_relative_glob_and_prefix() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "nginx.conf",
            "http {\n include sites/*.conf;\n include /config/nginx/proxy.conf;\n}\n",
        );
        write(d.path(), "sites/b.conf", "server { listen 81; }\n");
        write(d.path(), "sites/a.conf", "server { listen 80; }\n");
        write(d.path(), "sites/x.conf.sample", "bogus\n");
        write(
            d.path(),
            "root/config/nginx/proxy.conf",
            "proxy_read_timeout 240;\n",
        );
        let (t, w) = load(&d.path().join("nginx.conf"), Some(&d.path().join("root"))).unwrap();
        assert!(w.is_empty());
        let http = t[0].children();
        assert_eq!(http.len(), 3);
        assert_eq!(
            http[0].children()[0].texts(),
            ["80"],
            "sorted: a.conf first"
        );
        assert_eq!(http[1].children()[0].texts(), ["81"]);
        assert_eq!(http[2].name, "proxy_read_timeout");
        assert!(http[2].at.file.ends_with("root/config/nginx/proxy.conf"));
    }

    #[test]
    fn test_load_missing_include_names_the_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "nginx.conf",
            "http {\n\n  include nope.conf;\n}\n",
        );
        let main = d.path().join("nginx.conf");
        let e = load(&main, None).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}:3: include: cannot open", main.display())),
            "{e}"
        );
        write(d.path(), "g.conf", "include none/*.conf;\n");
        assert!(
            load(&d.path().join("g.conf"), None).unwrap().0.is_empty(),
            "an empty glob is fine"
        );
        write(
            d.path(),
            "m.conf",
            "http {\n include /nowhere/mime.types;\n}\n",
        );
        let (_, w) = load(&d.path().join("m.conf"), None).unwrap();
        assert!(w[0].to_string().ends_with("m.conf:2: include: /nowhere/mime.types is one of nginx's stock files and is not here; nothing in it matters to the import"), "{}", w[0]);
    }

    #[test]
    fn test_load_include_loop_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.conf", "include b.conf;\n");
        write(d.path(), "b.conf", "\ninclude a.conf;\n");
        let e = load(&d.path().join("a.conf"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.conf:2: include loop: "), "{e}");
    }
}
