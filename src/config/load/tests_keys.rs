//! Whole-file tests of the keys added for `gatehouse import`: `[groups]`,
//! host patterns, `exact`, `home_min_group`, `[[link]]`, `add_headers`,
//! `location_rewrite`, the nginx variables and the `[[redirect]]`
//! conditions, each error with its line and key.

use std::path::Path;

use super::*;
use crate::config::model::{AuthLevel, HostPattern};

fn ok(text: &str) -> Config {
    match parse(Path::new("t.toml"), text) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}\n---\n{text}"),
    }
}

fn errs(text: &str) -> Vec<String> {
    match parse(Path::new("t.toml"), text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

fn route(extra: &str) -> String {
    format!("[[route]]\nname = \"app\"\npath = \"/app/\"\nupstream = \"http://127.0.0.1:9000/\"\n{extra}")
}

#[test]
fn test_groups_usable_everywhere_a_group_is() {
    let text = format!(
        "[groups]\nfamily = 5\n\n[plex]\nnew_user_group = \"family\"\n\n[sso.tautulli]\nmin_group = \"Family\"\n\n{}\n[[link]]\ntitle = \"Wiki\"\nurl = \"https://wiki.example.net/\"\nauth = \"family\"\n",
        route("auth = \"family\"\nhome_min_group = \"co-admin\"\n")
    );
    let c = ok(&text);
    assert_eq!(c.groups.name(5), "family");
    assert_eq!(c.plex.new_user_group, 5);
    assert_eq!(c.sso.tautulli.min_group, 5);
    assert_eq!(c.routes[0].auth, AuthLevel::Group(5));
    assert_eq!(c.routes[0].home_min_group, 1);
    assert_eq!(c.links[0].group, 5);
}

#[test]
fn test_unknown_group_lists_custom_names() {
    let e = errs(&format!(
        "[groups]\nfamily = 5\n{}",
        route("auth = \"friends\"\n")
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:7: route[0].auth: unknown group: expected admin, co-admin")
            && e[0].contains("guest, family or a number"),
        "{e:?}"
    );
}

#[test]
fn test_groups_errors_have_lines() {
    let e = errs("[groups]\nuser = 5\nkids = 1000\n");
    assert_eq!(
        e,
        [
            "t.toml:2: groups.user: is a built-in group name (5)",
            "t.toml:3: groups.kids: expected a custom group number from 5 to 997 (1000)",
        ]
    );
}

#[test]
fn test_route_host_patterns_and_lists() {
    let c = ok(&route(
        "host = [\"*.example.com\", \"sonarr.*\", \"A.test.\"]\n",
    ));
    let hosts: Vec<String> = c.routes[0].hosts.iter().map(ToString::to_string).collect();
    assert_eq!(hosts, ["*.example.com", "sonarr.*", "a.test"]);
    assert_eq!(c.routes[0].server_name, "*.example.com");
    let c = ok(&route("host = \"\"\n"));
    assert!(c.routes[0].hosts.is_empty());
    assert_eq!(c.routes[0].server_name, "127.0.0.1", "public_url's host");
    assert_eq!(
        ok(&route("host = \".example.com\"\n")).routes[0].hosts[0],
        HostPattern::Suffix {
            suffix: ".example.com".into(),
            bare: true
        }
    );
}

#[test]
fn test_route_host_errors_name_the_element() {
    let e = errs(&route(
        "host = [\n  \"ok.test\",\n  \"a*.test\",\n  \"~^x$\",\n  \"\",\n]\n",
    ));
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:7: route[0].host[1]: a wildcard must be the whole first label"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with(
            "t.toml:8: route[0].host[2]: regular-expression host names are not supported"
        ),
        "{e:?}"
    );
    assert!(
        e[2].starts_with("t.toml:9: route[0].host[3]: empty host name"),
        "{e:?}"
    );
}

#[test]
fn test_duplicate_place_considers_host_lists_and_exact() {
    let two = format!(
        "{}{}",
        route("host = [\"a.test\", \"b.test\"]\n"),
        "[[route]]\nname = \"b\"\npath = \"/app/\"\nupstream = \"http://127.0.0.1:9000/\"\nhost = \"b.test\"\n"
    );
    let e = errs(&two);
    assert!(
        e[0].starts_with("t.toml:8: route[1].path: same host and path as route \"app\""),
        "{e:?}"
    );
    let exact = format!(
        "{}{}",
        route(""),
        "[[route]]\nname = \"b\"\npath = \"/app/\"\nexact = true\nupstream = \"http://127.0.0.1:9000/\"\n"
    );
    assert!(ok(&exact).routes[1].exact);
}

#[test]
fn test_links_require_title_and_url() {
    let e = errs("[[link]]\ntitle = \"\"\n\n[[link]]\ntitle = \"x\"\nurl = \"ftp://x/\"\n");
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:1: link[0].url: required key is missing"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("t.toml:2: link[0].title: title must not be empty"),
        "{e:?}"
    );
    assert!(
        e[2].starts_with("t.toml:6: link[1].url: URL scheme must be http or https"),
        "{e:?}"
    );
    let c = ok("[[link]]\ntitle = \"Wiki\"\nurl = \"https://wiki.example.net/?a=1\"\n");
    assert_eq!(c.links[0].group, 999, "everyone by default");
}

#[test]
fn test_route_add_headers_and_location_rewrite() {
    let c = ok(&route(
        "add_headers = { \"Strict-Transport-Security\" = { value = \"max-age=63072000\", always = true } }\nlocation_rewrite = { \"http://127.0.0.1:9000/\" = \"/app/\" }\n",
    ));
    let p = &c.routes[0].proxy;
    assert!(p.add_headers[0].always);
    assert_eq!(p.location_rewrite[0].1, "/app/");
    assert!(c.proxy.add_headers.is_empty());
}

#[test]
fn test_set_headers_nginx_collection_variables_accepted() {
    ok("[proxy.set_headers]\nX-Forwarded-Method = \"$request_method\"\nX-Forwarded-Host = \"$server_name\"\nHost = \"$proxy_host\"\nX-Original-URL = \"$scheme://$http_host$request_uri\"\nConnection = \"$connection_upgrade\"\nEarly-Data = \"$ssl_early_data\"\n");
}

#[test]
fn test_redirect_conditions() {
    let c = ok("[[redirect]]\nhost = \"*.example.com\"\nscheme = \"http\"\nfrom = \"^/\"\nto = \"https://$host$request_uri\"\nstatus = 301\nkeep_query = false\n");
    let r = &c.redirects[0];
    assert_eq!(
        (r.scheme, r.status, r.keep_query),
        (Some("http"), 301, false)
    );
    assert_eq!(r.hosts.len(), 1);
    let e =
        errs("[[redirect]]\nscheme = \"ftp\"\nfrom = \"^/\"\nto = \"/$nope\"\nkeep_query = 1\n");
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:2: redirect[0].scheme: expected \"http\" or \"https\""),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("t.toml:4: redirect[0].to: unknown variable $nope"),
        "{e:?}"
    );
    assert!(
        e[2].starts_with("t.toml:5: redirect[0].keep_query: expected true or false"),
        "{e:?}"
    );
}
