//! The settings nginx inherits from `http` to `server` to `location` (and
//! nested locations): one [`Level`] per block, merged as nginx merges.
//! Scalar directives inherit unless set; list directives
//! (`proxy_set_header`, `proxy_hide_header`, `add_header`,
//! `auth_request_set`, `proxy_redirect`, `error_page`) are inherited only
//! when the inner block has none of them.

use super::parser::{At, Directive};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set<T> {
    pub value: T,
    pub at: At,
}

/// One `add_header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddHeader {
    pub name: String,
    pub value: String,
    pub always: bool,
}

/// The inheritable settings of one block (`None` = not written here).
#[derive(Debug, Clone, Default)]
pub struct Level {
    pub set_headers: Option<Vec<Set<(String, String)>>>,
    pub hide_headers: Option<Vec<Set<String>>>,
    pub add_headers: Option<Vec<Set<AddHeader>>>,
    /// Each `proxy_redirect`'s arguments.
    pub redirects: Option<Vec<Set<Vec<String>>>>,
    pub error_pages: Option<Vec<Set<Vec<String>>>>,
    pub auth_request_set: Option<Vec<Set<(String, String)>>>,
    pub body_size: Option<Set<String>>,
    pub body_buffer: Option<Set<String>>,
    pub connect_timeout: Option<Set<String>>,
    pub read_timeout: Option<Set<String>>,
    pub send_timeout: Option<Set<String>>,
    pub client_send_timeout: Option<Set<String>>,
    pub next_upstream: Option<Set<Vec<String>>>,
    pub next_tries: Option<Set<String>>,
    /// `auth_request URI|off`.
    pub auth_request: Option<Set<String>>,
    /// `auth_basic "realm"|off`.
    pub auth_basic: Option<Set<String>>,
    pub ssl_certificate: Option<Set<String>>,
    pub ssl_certificate_key: Option<Set<String>>,
}

fn one(d: &Directive) -> Option<Set<String>> {
    Some(Set {
        value: d.arg(0).to_owned(),
        at: d.at.clone(),
    })
}

fn push<T>(list: &mut Option<Vec<Set<T>>>, value: T, at: &At) {
    list.get_or_insert_with(Vec::new).push(Set {
        value,
        at: at.clone(),
    });
}

impl Level {
    /// Reads the inheritable directives among `dirs` (one block's own,
    /// nested blocks excluded). Returns `false` for a directive it does
    /// not read, so the caller can handle it.
    pub fn read(&mut self, d: &Directive) -> bool {
        let args = d.texts();
        match d.name.as_str() {
            "proxy_set_header" if args.len() == 2 => push(
                &mut self.set_headers,
                (args[0].to_owned(), args[1].to_owned()),
                &d.at,
            ),
            "proxy_hide_header" => push(&mut self.hide_headers, d.arg(0).to_owned(), &d.at),
            "add_header" => {
                let h = AddHeader {
                    name: d.arg(0).to_owned(),
                    value: d.arg(1).to_owned(),
                    always: d.arg(2) == "always",
                };
                push(&mut self.add_headers, h, &d.at)
            }
            "proxy_redirect" => push(
                &mut self.redirects,
                args.iter().map(|s| s.to_string()).collect(),
                &d.at,
            ),
            "error_page" => push(
                &mut self.error_pages,
                args.iter().map(|s| s.to_string()).collect(),
                &d.at,
            ),
            "auth_request_set" => push(
                &mut self.auth_request_set,
                (
                    d.arg(0).trim_start_matches('$').to_owned(),
                    d.arg(1).to_owned(),
                ),
                &d.at,
            ),
            "client_max_body_size" => self.body_size = one(d),
            "client_body_buffer_size" => self.body_buffer = one(d),
            "proxy_connect_timeout" => self.connect_timeout = one(d),
            "proxy_read_timeout" => self.read_timeout = one(d),
            "proxy_send_timeout" => self.send_timeout = one(d),
            "send_timeout" => self.client_send_timeout = one(d),
            "proxy_next_upstream" => {
                self.next_upstream = Some(Set {
                    value: args.iter().map(|s| s.to_string()).collect(),
                    at: d.at.clone(),
                })
            }
            "proxy_next_upstream_tries" => self.next_tries = one(d),
            "auth_request" => self.auth_request = one(d),
            "auth_basic" => self.auth_basic = one(d),
            "ssl_certificate" => self.ssl_certificate = one(d),
            "ssl_certificate_key" => self.ssl_certificate_key = one(d),
            _ => return false,
        }
        true
    }

    /// This level over `parent`, as nginx merges configurations.
    pub fn over(&self, parent: &Level) -> Level {
        fn pick<T: Clone>(own: &Option<T>, parent: &Option<T>) -> Option<T> {
            own.clone().or_else(|| parent.clone())
        }
        Level {
            set_headers: pick(&self.set_headers, &parent.set_headers),
            hide_headers: pick(&self.hide_headers, &parent.hide_headers),
            add_headers: pick(&self.add_headers, &parent.add_headers),
            redirects: pick(&self.redirects, &parent.redirects),
            error_pages: pick(&self.error_pages, &parent.error_pages),
            auth_request_set: pick(&self.auth_request_set, &parent.auth_request_set),
            body_size: pick(&self.body_size, &parent.body_size),
            body_buffer: pick(&self.body_buffer, &parent.body_buffer),
            connect_timeout: pick(&self.connect_timeout, &parent.connect_timeout),
            read_timeout: pick(&self.read_timeout, &parent.read_timeout),
            send_timeout: pick(&self.send_timeout, &parent.send_timeout),
            client_send_timeout: pick(&self.client_send_timeout, &parent.client_send_timeout),
            next_upstream: pick(&self.next_upstream, &parent.next_upstream),
            next_tries: pick(&self.next_tries, &parent.next_tries),
            auth_request: pick(&self.auth_request, &parent.auth_request),
            auth_basic: pick(&self.auth_basic, &parent.auth_basic),
            ssl_certificate: pick(&self.ssl_certificate, &parent.ssl_certificate),
            ssl_certificate_key: pick(&self.ssl_certificate_key, &parent.ssl_certificate_key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::nginx::{lexer::tokenize, parser::parse};
    use std::rc::Rc;

    fn level(text: &str) -> Level {
        let file: Rc<str> = Rc::from("t.conf");
        let mut l = Level::default();
        for d in parse(&file, tokenize("t.conf", text.as_bytes()).unwrap()).unwrap() {
            assert!(l.read(&d), "{}", d.name);
        }
        l
    }

    #[test]
    fn test_lists_inherit_only_when_unset() {
        let server = level(
            "proxy_set_header Host $host;\nproxy_set_header X-A 1;\nproxy_read_timeout 240;\n",
        );
        let loc = level("proxy_set_header X-B 2;\n");
        let merged = loc.over(&server);
        let names: Vec<&str> = merged
            .set_headers
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| s.value.0.as_str())
            .collect();
        assert_eq!(
            names,
            ["X-B"],
            "the location's own list replaces the server's"
        );
        assert_eq!(merged.read_timeout.unwrap().value, "240", "scalars inherit");
        let bare = Level::default().over(&server);
        assert_eq!(bare.set_headers.unwrap().len(), 2);
    }
}
