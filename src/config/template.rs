//! `set_headers` values: literal text with nginx variables (`$host`,
//! `${server_port}`, `$http_upgrade`, `$cookie_session`, …), parsed once at
//! start into a [`HeaderTemplate`].
//!
//! As in nginx, variable names are matched case-insensitively, a `$name` ends
//! at the first character that is not a letter, digit or `_`, and an unknown
//! variable is an error rather than literal text.

use http::header::{HeaderName, HeaderValue};

use super::model::{HeaderTemplate, TemplatePart};

/// The variables `set_headers` understands, for messages.
pub const SUPPORTED: &str = "$host, $server_port, $remote_addr, $scheme, \
    $proxy_add_x_forwarded_for, $request_uri, $server_addr, $request_method, $server_name, \
    $proxy_host, $proxy_port, $http_host, $connection_upgrade, $ssl_early_data, $uri, $args, \
    $is_args, $https, $http_NAME, $cookie_NAME";

/// Parses a `set_headers` value. `""` gives the empty (removal) template.
pub fn parse_template(text: &str) -> Result<HeaderTemplate, String> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        literal.push_str(&rest[..dollar]);
        let (name, next) = split_variable(&rest[dollar + 1..])?;
        let part = variable(name)?;
        if !literal.is_empty() {
            parts.push(checked_literal(std::mem::take(&mut literal))?);
        }
        parts.push(part);
        rest = next;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(checked_literal(literal)?);
    }
    Ok(HeaderTemplate { parts })
}

/// Splits `name…rest` or `{name}rest` (the text after a `$`).
fn split_variable(after: &str) -> Result<(&str, &str), String> {
    let (name, next) = if let Some(inner) = after.strip_prefix('{') {
        let end = inner
            .find('}')
            .ok_or_else(|| "unterminated \"${\" in header value".to_owned())?;
        (&inner[..end], &inner[end + 1..])
    } else {
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        after.split_at(end)
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("\"$\" must be followed by a variable name".to_owned());
    }
    Ok((name, next))
}

/// The variable called `name` (without `$`).
fn variable(name: &str) -> Result<TemplatePart, String> {
    let lower = name.to_ascii_lowercase();
    let part = match lower.as_str() {
        "host" => TemplatePart::Host,
        "server_port" => TemplatePart::ServerPort,
        "remote_addr" => TemplatePart::RemoteAddr,
        "scheme" => TemplatePart::Scheme,
        "proxy_add_x_forwarded_for" => TemplatePart::ProxyAddXForwardedFor,
        "request_uri" => TemplatePart::RequestUri,
        "server_addr" => TemplatePart::ServerAddr,
        "request_method" => TemplatePart::RequestMethod,
        "server_name" => TemplatePart::ServerName,
        "proxy_host" => TemplatePart::ProxyHost,
        "proxy_port" => TemplatePart::ProxyPort,
        "http_host" => TemplatePart::HttpHost,
        "connection_upgrade" => TemplatePart::ConnectionUpgrade,
        "ssl_early_data" => TemplatePart::SslEarlyData,
        "uri" | "document_uri" => TemplatePart::Uri,
        "args" | "query_string" => TemplatePart::Args,
        "is_args" => TemplatePart::IsArgs,
        "https" => TemplatePart::Https,
        other => {
            if let Some(header) = other.strip_prefix("http_").filter(|h| !h.is_empty()) {
                let header = header.replace('_', "-");
                let header = HeaderName::from_bytes(header.as_bytes())
                    .map_err(|_| format!("${name} is not a valid header variable"))?;
                TemplatePart::HttpHeader(header)
            } else if other.starts_with("cookie_") && name.len() > "cookie_".len() {
                TemplatePart::Cookie(name["cookie_".len()..].to_owned())
            } else {
                return Err(format!("unknown variable ${name} (supported: {SUPPORTED})"));
            }
        }
    };
    Ok(part)
}

/// A literal part, refused when it cannot be sent in a header value.
fn checked_literal(text: String) -> Result<TemplatePart, String> {
    HeaderValue::from_bytes(text.as_bytes())
        .map_err(|_| "control characters are not allowed in a header value".to_owned())?;
    Ok(TemplatePart::Literal(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TemplatePart::*;

    fn parts(text: &str) -> Vec<TemplatePart> {
        parse_template(text).unwrap().parts
    }

    #[test]
    fn test_parse_template_literal() {
        assert_eq!(parts("https"), vec![Literal("https".into())]);
        assert_eq!(parse_template("https").unwrap().as_static(), Some("https"));
    }

    #[test]
    fn test_parse_template_empty_is_removal() {
        assert!(parse_template("").unwrap().is_removal());
    }

    #[test]
    fn test_parse_template_host_and_port() {
        assert_eq!(
            parts("$host:$server_port"),
            vec![Host, Literal(":".into()), ServerPort]
        );
    }

    #[test]
    fn test_parse_template_braces() {
        assert_eq!(
            parts("${scheme}://${host}x"),
            vec![Scheme, Literal("://".into()), Host, Literal("x".into())]
        );
    }

    #[test]
    fn test_parse_template_every_variable() {
        assert_eq!(
            parts("$remote_addr $proxy_add_x_forwarded_for $request_uri $server_addr"),
            vec![
                RemoteAddr,
                Literal(" ".into()),
                ProxyAddXForwardedFor,
                Literal(" ".into()),
                RequestUri,
                Literal(" ".into()),
                ServerAddr
            ]
        );
    }

    #[test]
    fn test_parse_template_nginx_collection_variables() {
        assert_eq!(
            parts("$request_method $server_name $proxy_host $http_host $connection_upgrade"),
            vec![
                RequestMethod,
                Literal(" ".into()),
                ServerName,
                Literal(" ".into()),
                ProxyHost,
                Literal(" ".into()),
                HttpHost,
                Literal(" ".into()),
                ConnectionUpgrade
            ]
        );
        assert_eq!(
            parts("$ssl_early_data$query_string$document_uri"),
            vec![SslEarlyData, Args, Uri]
        );
    }

    #[test]
    fn test_parse_template_http_header() {
        assert_eq!(
            parts("$http_upgrade"),
            vec![HttpHeader(HeaderName::from_static("upgrade"))]
        );
        assert_eq!(
            parts("$HTTP_X_Real_Thing"),
            vec![HttpHeader(HeaderName::from_static("x-real-thing"))]
        );
    }

    #[test]
    fn test_parse_template_cookie_keeps_case() {
        assert_eq!(parts("$cookie_Session"), vec![Cookie("Session".into())]);
    }

    #[test]
    fn test_parse_template_case_insensitive_names() {
        assert_eq!(parts("$HOST"), vec![Host]);
    }

    #[test]
    fn test_parse_template_unknown_variable() {
        let err = parse_template("$hostname").unwrap_err();
        assert!(err.contains("unknown variable $hostname"), "{err}");
        assert!(parse_template("$upstream_addr").is_err());
        assert!(parse_template("$http_").is_err());
        assert!(parse_template("$cookie_").is_err());
    }

    #[test]
    fn test_parse_template_bad_dollar() {
        assert!(parse_template("cost: $").is_err());
        assert!(parse_template("$ host").is_err());
        assert!(parse_template("${host").is_err());
        assert!(parse_template("${}").is_err());
        assert!(parse_template("${ho-st}").is_err());
    }

    #[test]
    fn test_parse_template_control_characters() {
        assert!(parse_template("a\nb").is_err());
        assert!(parse_template("a\u{0}b").is_err());
    }
}
