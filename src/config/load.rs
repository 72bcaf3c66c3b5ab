//! [`load`] and [`parse`]: the configuration file to a validated [`Config`],
//! or every error found in it.

use std::path::Path;

use toml_edit::{ImDocument, TableLike};

use super::defaults::default_proxy_settings;
use super::error::{is_secret_key, ConfigError, ConfigErrors, REDACTED};
use super::file::{Cx, Section};
use super::groups_table::read_groups;
use super::links::read_links;
use super::locate::{shorten, Source};
use super::model::Config;
use super::overrides::ProxyOverrides;
use super::routes::{read_redirects, read_routes};
use super::sections::{read_login, read_plex, read_portal, read_server, read_session, read_sso};

/// Reads the file at `path` and parses it (see [`parse`]).
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text),
        Err(e) => Err(ConfigErrors(vec![ConfigError {
            file: path.to_path_buf(),
            line: 0,
            key: "file".to_owned(),
            reason: format!("cannot read: {e}"),
            value: String::new(),
        }])),
    }
}

/// Parses and validates `text`; `path` is used only in messages.
///
/// A TOML syntax error gives one error; otherwise every bad key of the file
/// is reported, in line order.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
    let src = Source::new(path, text);
    let doc = match ImDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => return Err(ConfigErrors(vec![syntax_error(&src, &e)])),
    };
    let mut cx = Cx::new(src);
    let config = build(&mut cx, &doc);
    let mut errors = cx.errors;
    errors.sort_by_key(|e| e.line);
    match config {
        Some(config) if errors.is_empty() => Ok(config),
        _ if errors.is_empty() => Err(ConfigErrors(vec![ConfigError {
            file: path.to_path_buf(),
            line: 1,
            key: "config".to_owned(),
            reason: "internal error: configuration incomplete".to_owned(),
            value: String::new(),
        }])),
        _ => Err(ConfigErrors(errors)),
    }
}

/// Reads every section of `doc` in file-format order.
fn build(cx: &mut Cx<'_>, doc: &ImDocument<&str>) -> Option<Config> {
    let mut root = Section::new("", Some(doc.as_table() as &dyn TableLike), 1);
    let sec = root.table(cx, "groups");
    cx.groups = read_groups(cx, sec);
    let sec = root.table(cx, "server");
    let server = read_server(cx, sec);
    let sec = root.table(cx, "portal");
    let portal = read_portal(cx, sec);
    let sec = root.table(cx, "session");
    let https = server.as_ref().map(|s| s.public_url.scheme() == "https");
    let session = read_session(cx, sec, https);
    let sec = root.table(cx, "login");
    let login = read_login(cx, sec);
    let sec = root.table(cx, "plex");
    let plex = read_plex(cx, sec);
    let sec = root.table(cx, "sso");
    let sso = read_sso(cx, sec);
    let mut proxy_sec = root.table(cx, "proxy");
    let proxy = ProxyOverrides::read(cx, &mut proxy_sec).apply(&default_proxy_settings());
    proxy_sec.finish(cx);
    let public_host = server
        .as_ref()
        .and_then(|s| s.public_url.host_str())
        .unwrap_or("")
        .to_owned();
    let routes = read_routes(cx, &mut root, &proxy, &public_host, login.second_factor);
    let redirects = read_redirects(cx, &mut root);
    let sec = root.table(cx, "acme");
    let acme = super::acme::read_acme(cx, sec, server.as_ref(), &routes);
    let links = read_links(cx, &mut root);
    let sec = root.table(cx, "metrics");
    let metrics = super::metrics::read_metrics(cx, sec, server.as_ref());
    let sec = root.table(cx, "store");
    let store = super::store::read_store(cx, sec);
    let sec = root.table(cx, "cluster");
    let cluster = super::cluster::read_cluster(cx, sec);
    root.finish(cx);
    Some(Config {
        path: cx.src.path.to_path_buf(),
        server: server?,
        portal,
        session,
        login,
        plex: plex?,
        sso,
        proxy,
        routes,
        redirects,
        acme: acme?,
        groups: cx.groups.clone(),
        links,
        metrics,
        store,
        cluster,
    })
}

/// The one error of a file that is not valid TOML.
fn syntax_error(src: &Source<'_>, e: &toml_edit::TomlError) -> ConfigError {
    let line = src.line_of_span(e.span()).unwrap_or(1);
    let reason: Vec<&str> = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    ConfigError {
        file: src.path.to_path_buf(),
        line,
        key: "toml".to_owned(),
        reason: format!("syntax error: {}", reason.join("; ")),
        value: shown_line(src.line_text(line)),
    }
}

/// A line of the file for a syntax error, redacted when it sets a secret.
fn shown_line(line: &str) -> String {
    let key = line
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\'']);
    if is_secret_key(key) {
        return REDACTED.to_owned();
    }
    shorten(&crate::store_url::mask(line.trim()))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_keys;
