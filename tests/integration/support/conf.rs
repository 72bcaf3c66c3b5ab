//! Small builders for the TOML the proxy tests feed the gateway (docs/configuration.md).

/// A public (`auth = "none"`) `[[route]]` table. Extra `key = value` lines
/// appended to the returned string still belong to this route.
pub fn route(name: &str, path: &str, upstreams: &[String]) -> String {
    let list: Vec<String> = upstreams.iter().map(|u| format!("{u:?}")).collect();
    format!(
        "[[route]]\nname = {name:?}\npath = {path:?}\nupstream = [{}]\nauth = \"none\"\n",
        list.join(", ")
    )
}

/// The seed's Plex Referer redirect as a `[[redirect]]` table.
pub const PLEX_REFERER_REDIRECT: &str = r#"
[[redirect]]
if_referer = "/plex/"
from = "^/web/(.*)"
to = "/plex/web/$1"
status = 302
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_route_renders_toml() {
        let t = route(
            "app",
            "/app/",
            &["http://127.0.0.1:1/".into(), "http://127.0.0.1:2".into()],
        );
        assert_eq!(
            t,
            "[[route]]\nname = \"app\"\npath = \"/app/\"\nupstream = [\"http://127.0.0.1:1/\", \"http://127.0.0.1:2\"]\nauth = \"none\"\n"
        );
    }
}
