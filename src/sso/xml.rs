//! A tiny XML tag scanner: just enough to read plex.tv's attribute-only
//! replies (`/api/users`, `/pms/servers`).
//!
//! It yields start, self-closing and end tags with their attributes
//! (entity-unescaped), in document order, skipping text, comments, CDATA,
//! processing instructions and DOCTYPE. Attribute order and quote style do not
//! matter; `>` inside a quoted value is handled. Malformed input ends the scan
//! early instead of failing, so callers see every tag before the damage.

use std::borrow::Cow;

/// What kind of tag was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// `<User ...>`
    Open,
    /// `<Server .../>`
    SelfClosing,
    /// `</User>`
    Close,
}

/// One tag and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    pub name: &'a str,
    pub kind: TagKind,
    pub attrs: Vec<(&'a str, Cow<'a, str>)>,
}

impl Tag<'_> {
    /// The unescaped value of attribute `name` (exact, case-sensitive, as XML is).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether this tag opens an element (`Open` or `SelfClosing`).
    pub fn starts(&self) -> bool {
        self.kind != TagKind::Close
    }
}

/// Iterates over the tags of `xml`.
pub(crate) fn tags(xml: &str) -> Tags<'_> {
    Tags { rest: xml }
}

/// Iterator returned by [`tags`].
pub(crate) struct Tags<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        loop {
            let start = self.rest.find('<')?;
            let s = &self.rest[start..];
            let skip_to = |end: &str| s.find(end).map(|i| i + end.len());
            let skipped = if s.starts_with("<!--") {
                skip_to("-->")
            } else if s.starts_with("<![CDATA[") {
                skip_to("]]>")
            } else if s.starts_with("<?") {
                skip_to("?>")
            } else if s.starts_with("<!") {
                skip_to(">")
            } else {
                let (tag, used) = parse_tag(s)?;
                self.rest = &s[used..];
                return Some(tag);
            };
            self.rest = &s[skipped?..];
        }
    }
}

/// Parses one tag at the start of `s` (which begins with `<`); returns it and
/// the number of bytes consumed.
pub(crate) fn parse_tag(s: &str) -> Option<(Tag<'_>, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = &s[name_start..i];
    if name.is_empty() {
        return None;
    }
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i)? {
            b'>' => {
                let kind = if closing {
                    TagKind::Close
                } else {
                    TagKind::Open
                };
                return Some((Tag { name, kind, attrs }, i + 1));
            }
            b'/' if b.get(i + 1) == Some(&b'>') => {
                let tag = Tag {
                    name,
                    kind: TagKind::SelfClosing,
                    attrs,
                };
                return Some((tag, i + 2));
            }
            _ => {}
        }
        let an_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let attr_name = &s[an_start..i];
        if attr_name.is_empty() {
            return None;
        }
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let quote = *b.get(i)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let v_start = i + 1;
        let v_len = s[v_start..].find(quote as char)?;
        attrs.push((attr_name, unescape(&s[v_start..v_start + v_len])));
        i = v_start + v_len + 1;
    }
}

/// Replaces the five predefined entities and numeric character references.
/// Unknown or broken references are kept as written.
pub(crate) fn unescape(v: &str) -> Cow<'_, str> {
    if !v.contains('&') {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').and_then(|semi| {
            let ent = &after[1..semi];
            let ch = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => numeric(ent),
            };
            ch.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn numeric(ent: &str) -> Option<char> {
    let n = ent.strip_prefix('#')?;
    let code = match n.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => n.parse().ok()?,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_tags_attributes_any_order_and_quotes() {
        let xml = r#"<?xml version="1.0"?><!-- c <User x="1"/> -->
            <MediaContainer size="1"><User email='b@x.org' id="2" username="bob &amp; co">
            <Server name="a > b" machineIdentifier="m1"/></User></MediaContainer>"#;
        let t: Vec<Tag> = tags(xml).collect();
        assert_eq!(t.len(), 5);
        assert_eq!(t[0].name, "MediaContainer");
        assert_eq!(t[1].attr("username"), Some("bob & co"));
        assert_eq!(t[1].attr("email"), Some("b@x.org"));
        assert_eq!(t[1].kind, TagKind::Open);
        assert_eq!(t[2].attr("name"), Some("a > b"));
        assert_eq!(t[2].kind, TagKind::SelfClosing);
        assert_eq!(t[3].kind, TagKind::Close);
        assert_eq!(t[3].name, "User");
    }

    #[test]
    fn test_unescape_entities_and_numeric() {
        assert_eq!(unescape("a&lt;b&gt;&quot;&apos;&#65;&#x42;"), "a<b>\"'AB");
        assert_eq!(unescape("fish & chips &bogus;"), "fish & chips &bogus;");
        assert_eq!(unescape("&#xZZ;"), "&#xZZ;");
    }

    #[test]
    fn test_tags_malformed_input_stops_without_panic() {
        for bad in [
            "<",
            "<a b",
            "<a b=>",
            "<a b=\"x",
            "< >",
            "<a =\"1\">",
            "<!-- open",
        ] {
            let _ = tags(bad).count();
        }
        let t: Vec<Tag> = tags("<ok a=\"1\"/><broken x=").collect();
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn test_tags_skip_cdata_and_doctype() {
        let xml = "<!DOCTYPE x><r><![CDATA[<fake a=\"1\"/>]]><s k=\"v\"/></r>";
        let names: Vec<&str> = tags(xml).map(|t| t.name).collect();
        assert_eq!(names, ["r", "s", "r"]);
    }
}
