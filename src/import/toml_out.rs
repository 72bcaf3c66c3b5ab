//! Small TOML writers for generated configuration: strings, keys, arrays,
//! inline tables and comments, always valid and deterministic.

/// A TOML basic string.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: bare when it can be, quoted otherwise.
pub fn key(s: &str) -> String {
    let bare = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        s.to_owned()
    } else {
        string(s)
    }
}

/// An array of already-rendered values.
pub fn array(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// An array of strings.
pub fn strings(items: &[String]) -> String {
    array(&items.iter().map(|s| string(s)).collect::<Vec<_>>())
}

/// An inline table of `key = rendered value` pairs.
pub fn inline_table(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return "{}".to_owned();
    }
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{} = {v}", key(k)))
        .collect();
    format!("{{ {} }}", items.join(", "))
}

/// `text` as `# ` comment lines.
pub fn comment(text: &str) -> String {
    text.lines().map(|l| format!("# {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_values_parse_back() {
        let doc = format!(
            "a = {}\n{} = 1\nt = {}\nl = {}\n",
            string("q\"\\\n\u{1}x"),
            key("X-Forwarded-For"),
            inline_table(&[("http://a/".into(), string("/b/"))]),
            strings(&["x".into(), "y".into()])
        );
        let parsed: toml_edit::DocumentMut = doc.parse().unwrap();
        assert_eq!(parsed["a"].as_str(), Some("q\"\\\n\u{1}x"));
        assert_eq!(parsed["X-Forwarded-For"].as_integer(), Some(1));
        assert_eq!(parsed["t"]["http://a/"].as_str(), Some("/b/"));
        assert_eq!(parsed["l"].as_array().unwrap().len(), 2);
        assert_eq!(comment("a\nb"), "# a\n# b\n");
    }
}
