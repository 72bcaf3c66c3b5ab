//! The Organizr import as TOML: a standalone file (stdout or `-o`), or
//! merged into an existing configuration (`--merge FILE`) with `toml_edit`,
//! which keeps the file's comments and layout. Merging sets the imported
//! settings, adds `title`/`auth` to an existing route with the tab's path
//! only where they are unset, and appends the other routes, links and the
//! Plex redirect; a value already equal is not touched, so a second merge
//! changes nothing.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::super::toml_out::{comment, string, strings};
use super::super::ImportError;
use super::convert::{TabLink, TabRoute};
use super::settings::Key;

/// Everything the import writes as configuration.
#[derive(Debug, Default)]
pub struct Imported {
    pub keys: Vec<Key>,
    pub groups: Vec<(String, i64)>,
    pub routes: Vec<TabRoute>,
    pub links: Vec<TabLink>,
    /// Comment lines (notes and warnings) for the standalone file.
    pub comments: Vec<String>,
}

/// The seed's Plex Referer redirect, added with a Plex route.
const PLEX_FROM: &str = "^/web/(.*)";
const PLEX_TO: &str = "/plex/web/$1";

fn plex_redirect_needed(routes: &[TabRoute]) -> bool {
    routes
        .iter()
        .any(|r| r.path == "/plex/" && r.upstream.is_some())
}

fn auth_value(group: i64) -> Value {
    group.into()
}

/// The route keys of a tab, in writing order.
fn route_keys(r: &TabRoute, upstream: &str) -> Vec<(&'static str, Value)> {
    let mut keys: Vec<(&'static str, Value)> = vec![
        ("name", r.name.as_str().into()),
        ("path", r.path.as_str().into()),
        ("upstream", upstream.into()),
        ("auth", auth_value(r.group)),
        ("title", r.title.as_str().into()),
    ];
    if r.home_min_group > 0 {
        keys.push(("home_min_group", r.home_min_group.into()));
    }
    if !r.sso.is_empty() {
        keys.push(("sso", Value::Array(r.sso.iter().copied().collect())));
    }
    keys
}

fn link_keys(l: &TabLink) -> Vec<(&'static str, Value)> {
    let mut keys: Vec<(&'static str, Value)> = vec![
        ("title", l.title.as_str().into()),
        ("url", l.url.as_str().into()),
        ("auth", auth_value(l.group)),
    ];
    if l.home_min_group > 0 {
        keys.push(("home_min_group", l.home_min_group.into()));
    }
    keys
}

/// A value as written in a fresh file (no decor).
fn shown(v: &Value) -> String {
    let mut v = v.clone();
    v.decor_mut().clear();
    match &v {
        Value::String(s) => string(s.value()),
        Value::Array(a) => strings(
            &a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
        ),
        other => other.to_string().trim().to_owned(),
    }
}

/// The standalone TOML.
pub fn render(imp: &Imported, header: &str) -> String {
    let mut out = comment(header);
    if !imp.comments.is_empty() {
        out += "#\n";
        for c in &imp.comments {
            out += &comment(c);
        }
    }
    let mut tables: Vec<&str> = Vec::new();
    for (t, _, _) in &imp.keys {
        if !tables.contains(t) {
            tables.push(t);
        }
    }
    for t in tables {
        out += &format!("\n[{t}]\n");
        for (_, k, v) in imp.keys.iter().filter(|(tt, _, _)| *tt == t) {
            out += &format!("{k} = {}\n", shown(v));
        }
    }
    if !imp.groups.is_empty() {
        out += "\n[groups]\n";
        for (n, g) in &imp.groups {
            out += &format!("{n} = {g}\n");
        }
    }
    for r in &imp.routes {
        let Some(upstream) = &r.upstream else {
            continue;
        };
        out += &format!("\n# Organizr tab {:?}\n[[route]]\n", r.title);
        for (k, v) in route_keys(r, upstream) {
            out += &format!("{k} = {}\n", shown(&v));
        }
    }
    if plex_redirect_needed(&imp.routes) {
        out += "\n# Plex's web app asks for /web/… from inside /plex/ (the proxy guide's Referer redirect)\n[[redirect]]\nif_referer = \"/plex/\"\n";
        out += &format!(
            "from = {}\nto = {}\nstatus = 302\n",
            string(PLEX_FROM),
            string(PLEX_TO)
        );
    }
    for l in &imp.links {
        out += &format!(
            "\n# Organizr tab {:?} (another host: a home link)\n[[link]]\n",
            l.title
        );
        for (k, v) in link_keys(l) {
            out += &format!("{k} = {}\n", shown(&v));
        }
    }
    out
}

/// Sets `table.key = value` unless equal, keeping the old value's decor.
fn set(table: &mut Table, key: &str, value: Value) -> bool {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) if shown(old) == shown(&value) => false,
        Some(old) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
            true
        }
        None => {
            table.insert(key, Item::Value(value));
            true
        }
    }
}

/// The (possibly dotted) table `path`, created when missing.
fn table_mut<'d>(doc: &'d mut DocumentMut, path: &str) -> Result<&'d mut Table, ImportError> {
    let mut t = doc.as_table_mut();
    for (i, part) in path.split('.').enumerate() {
        let last = i == path.split('.').count() - 1;
        let item = t.entry(part).or_insert_with(|| {
            let mut new = Table::new();
            new.set_implicit(!last);
            Item::Table(new)
        });
        t = item
            .as_table_mut()
            .ok_or_else(|| ImportError::plain(format!("--merge: [{path}] is not a table in the file; move its keys into a [{path}] table first")))?;
    }
    Ok(t)
}

/// The `[[name]]` array, created when missing.
fn array_mut<'d>(
    doc: &'d mut DocumentMut,
    name: &str,
) -> Result<&'d mut ArrayOfTables, ImportError> {
    let item = doc
        .as_table_mut()
        .entry(name)
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
    item.as_array_of_tables_mut().ok_or_else(|| {
        ImportError::plain(format!(
            "--merge: {name} is written as an inline array; write it as [[{name}]] tables first"
        ))
    })
}

/// What a merge did.
#[derive(Debug, Default)]
pub struct Merged {
    /// One line per change (none: nothing to do).
    pub changes: Vec<String>,
    /// Tabs that could not become routes, and why.
    pub skipped: Vec<String>,
}

/// Merges into `doc`.
pub fn merge(doc: &mut DocumentMut, imp: &Imported) -> Result<Merged, ImportError> {
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    for (t, k, v) in &imp.keys {
        if set(table_mut(doc, t)?, k, v.clone()) {
            changes.push(format!("[{t}] {k}"));
        }
    }
    if !imp.groups.is_empty() {
        let groups = table_mut(doc, "groups")?;
        for (n, g) in &imp.groups {
            if set(groups, n, (*g).into()) {
                changes.push(format!("[groups] {n}"));
            }
        }
    }
    let routes = array_mut(doc, "route")?;
    for r in &imp.routes {
        let existing = routes
            .iter_mut()
            .find(|t| t.get("path").and_then(Item::as_str) == Some(r.path.as_str()));
        match existing {
            Some(t) => {
                if !t.contains_key("title") {
                    t.insert("title", Item::Value(r.title.as_str().into()));
                    changes.push(format!("route {}: title", r.path));
                }
                if !t.contains_key("auth") {
                    t.insert("auth", Item::Value(auth_value(r.group)));
                    changes.push(format!("route {}: auth", r.path));
                }
            }
            None => {
                let Some(upstream) = &r.upstream else {
                    skipped.push(format!(
                        "tab {}: its URL {} is relative (or on public_url's host) and it has no local URL, and no route has the path {}: add that route (upstream = the app's address) and import again",
                        r.title, r.path, r.path
                    ));
                    continue;
                };
                let mut t = Table::new();
                for (k, v) in route_keys(r, upstream) {
                    t.insert(k, Item::Value(v));
                }
                t.decor_mut()
                    .set_prefix(format!("\n# Organizr tab {:?}\n", r.title));
                routes.push(t);
                changes.push(format!("route {} added", r.path));
            }
        }
    }
    if plex_redirect_needed(&imp.routes) {
        let redirects = array_mut(doc, "redirect")?;
        let present = redirects.iter().any(|t| {
            t.get("from").and_then(Item::as_str) == Some(PLEX_FROM)
                && t.get("to").and_then(Item::as_str) == Some(PLEX_TO)
        });
        if !present {
            let mut t = Table::new();
            t.insert("if_referer", Item::Value("/plex/".into()));
            t.insert("from", Item::Value(PLEX_FROM.into()));
            t.insert("to", Item::Value(PLEX_TO.into()));
            t.insert("status", Item::Value(302.into()));
            t.decor_mut()
                .set_prefix("\n# Plex's web app asks for /web/… from inside /plex/\n");
            redirects.push(t);
            changes.push("redirect for Plex added".to_owned());
        }
    }
    if !imp.links.is_empty() {
        let links = array_mut(doc, "link")?;
        for l in &imp.links {
            if links
                .iter()
                .any(|t| t.get("url").and_then(Item::as_str) == Some(l.url.as_str()))
            {
                continue;
            }
            let mut t = Table::new();
            for (k, v) in link_keys(l) {
                t.insert(k, Item::Value(v));
            }
            t.decor_mut()
                .set_prefix(format!("\n# Organizr tab {:?}\n", l.title));
            links.push(t);
            changes.push(format!("link {} added", l.url));
        }
    }
    // Keep the file free of empty [[…]] arrays it did not have.
    for name in ["route", "redirect", "link"] {
        if doc
            .get(name)
            .and_then(Item::as_array_of_tables)
            .is_some_and(ArrayOfTables::is_empty)
        {
            doc.remove(name);
        }
    }
    Ok(Merged { changes, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported() -> Imported {
        Imported {
            keys: vec![
                ("plex", "token", "T".into()),
                ("sso.plex", "enabled", true.into()),
            ],
            groups: vec![("family".into(), 5)],
            routes: vec![
                TabRoute {
                    name: "sonarr".into(),
                    path: "/sonarr/".into(),
                    upstream: None,
                    title: "Sonarr".into(),
                    group: 1,
                    home_min_group: 0,
                    sso: vec![],
                },
                TabRoute {
                    name: "plex".into(),
                    path: "/plex/".into(),
                    upstream: Some("http://127.0.0.1:32400/".into()),
                    title: "Plex".into(),
                    group: 4,
                    home_min_group: 1,
                    sso: vec!["plex"],
                },
            ],
            links: vec![TabLink {
                title: "Wiki".into(),
                url: "https://wiki.example.net/".into(),
                group: 4,
                home_min_group: 0,
            }],
            comments: vec![],
        }
    }

    #[test]
    fn test_merge_keeps_comments_and_is_idempotent() {
        let text = "# my config\n[plex] # the owner\ntoken = \"old\" # keep me\n\n[[route]]\nname = \"sonarr\" # from nginx\npath = \"/sonarr/\"\nupstream = \"http://127.0.0.1:8989\"\nauth = 2\n";
        let mut doc: DocumentMut = text.parse().unwrap();
        let m = merge(&mut doc, &imported()).unwrap();
        let changes = m.changes;
        assert!(m.skipped.is_empty(), "/sonarr/ exists: {:?}", m.skipped);
        let merged = doc.to_string();
        assert!(
            merged.contains("# my config")
                && merged.contains("# the owner")
                && merged.contains("# from nginx"),
            "{merged}"
        );
        assert!(merged.contains("token = \"T\" # keep me"), "{merged}");
        assert!(
            changes.contains(&"route /sonarr/: title".to_owned()),
            "{changes:?}"
        );
        assert!(
            !changes.iter().any(|c| c == "route /sonarr/: auth"),
            "auth was set"
        );
        let again: DocumentMut = merged.parse().unwrap();
        let mut again2 = again.clone();
        assert!(merge(&mut again2, &imported()).unwrap().changes.is_empty());
        assert_eq!(again2.to_string(), merged);
        let c = crate::config::parse(std::path::Path::new("m.toml"), &merged).unwrap();
        assert_eq!(c.routes.len(), 2);
        assert_eq!(c.routes[0].title.as_deref(), Some("Sonarr"));
        assert_eq!(c.routes[1].home_min_group, 1);
        assert_eq!(c.links.len(), 1);
        assert_eq!(c.redirects.len(), 1);
    }

    #[test]
    fn test_render_parses() {
        let text = render(&imported(), "header");
        let c = crate::config::parse(std::path::Path::new("r.toml"), &text).unwrap();
        assert_eq!(
            c.routes.len(),
            1,
            "the tab without an upstream is not a route on its own"
        );
        assert_eq!(c.groups.name(5), "family");
        assert!(c.sso.plex.enabled);
    }
}
