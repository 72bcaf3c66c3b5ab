//! `[groups]`: names for Organizr's custom groups (`family = 5`), usable
//! wherever a group is written (`auth = "family"`, `new_user_group`,
//! `min_group`) and shown instead of `group-5` on pages and in the
//! `group_name` identity header.

use std::borrow::Cow;

use http::HeaderValue;

use super::file::{Cx, Section};
use crate::auth::groups;

/// The lowest number a custom group may have (0–4 are Organizr's own).
pub const CUSTOM_MIN: u16 = 5;
/// The highest (998 is "member", 999 "guest").
pub const CUSTOM_MAX: u16 = 997;

/// The custom group names of a configuration, with prebuilt header values.
#[derive(Debug, Clone, Default)]
pub struct GroupNames {
    /// `(name, number, name as a header value)`, in file order.
    custom: Vec<(String, u16, HeaderValue)>,
}

/// A group name as written, normalized the way built-in names are
/// (`Power User` → `power-user`).
pub fn normalize(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl GroupNames {
    /// A group by built-in name, custom name or number (0–999).
    pub fn parse(&self, text: &str) -> Option<u16> {
        groups::parse(text).or_else(|| {
            let norm = normalize(text);
            self.custom
                .iter()
                .find(|(n, _, _)| *n == norm)
                .map(|&(_, g, _)| g)
        })
    }

    /// The display name of a group: a custom name, else the built-in name
    /// (`group-N` for unnamed custom groups).
    pub fn name(&self, group: u16) -> Cow<'_, str> {
        match self.custom.iter().find(|&&(_, g, _)| g == group) {
            Some((n, _, _)) => Cow::Borrowed(n.as_str()),
            None => groups::name(group),
        }
    }

    /// The custom name of `group` as a header value (no allocation), if it
    /// has one.
    pub fn header_value(&self, group: u16) -> Option<&HeaderValue> {
        self.custom
            .iter()
            .find(|&&(_, g, _)| g == group)
            .map(|(_, _, v)| v)
    }

    /// Every custom group, `(name, number)`, in file order.
    pub fn custom(&self) -> impl Iterator<Item = (&str, u16)> {
        self.custom.iter().map(|(n, g, _)| (n.as_str(), *g))
    }

    /// Every name a group may be written as, for messages.
    pub fn all_names(&self) -> Vec<String> {
        groups::names()
            .map(str::to_owned)
            .chain(self.custom.iter().map(|(n, _, _)| n.clone()))
            .collect()
    }
}

/// Reads `[groups]`: `name = number`, numbers 5–997, names and numbers unique.
pub fn read_groups(cx: &mut Cx<'_>, mut sec: Section<'_>) -> GroupNames {
    let mut out = GroupNames::default();
    for (key, spot, value) in sec.entries(cx) {
        let name = normalize(&key);
        let valid_name = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && name.parse::<u16>().is_err();
        if !valid_name {
            cx.report(&spot, "group name must be letters, digits and -");
            continue;
        }
        if groups::parse(&name).is_some() {
            cx.report(&spot, "is a built-in group name");
            continue;
        }
        let number = value
            .as_integer()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (CUSTOM_MIN..=CUSTOM_MAX).contains(n));
        let Some(number) = number else {
            cx.report(
                &spot,
                format!("expected a custom group number from {CUSTOM_MIN} to {CUSTOM_MAX}"),
            );
            continue;
        };
        if out.custom.iter().any(|(n, _, _)| *n == name) {
            cx.report(&spot, "duplicate group name (names are case-insensitive)");
            continue;
        }
        if let Some((other, _, _)) = out.custom.iter().find(|&&(_, g, _)| g == number) {
            cx.report(&spot, format!("group {number} is already named {other:?}"));
            continue;
        }
        match HeaderValue::from_str(&name) {
            Ok(v) => out.custom.push((name, number, v)),
            Err(_) => cx.report(&spot, "group name must be letters, digits and -"),
        }
    }
    sec.finish(cx);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::locate::Source;
    use std::path::Path;
    use toml_edit::{ImDocument, TableLike};

    fn read(text: &str) -> (GroupNames, Vec<String>) {
        let doc = ImDocument::parse(text).unwrap();
        let mut cx = Cx::new(Source::new(Path::new("g.toml"), text));
        let sec = Section::new("groups", Some(doc.as_table() as &dyn TableLike), 1);
        let g = read_groups(&mut cx, sec);
        (g, cx.errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn test_read_groups_names_and_numbers() {
        let (g, errs) = read("family = 5\n\"Media Fans\" = 12\n");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(g.parse("family"), Some(5));
        assert_eq!(g.parse("Media_Fans"), Some(12));
        assert_eq!(g.parse("user"), Some(4));
        assert_eq!(g.name(5), "family");
        assert_eq!(g.name(6), "group-6");
        assert_eq!(g.name(0), "admin");
        assert_eq!(g.header_value(12).unwrap(), "media-fans");
        assert!(g.header_value(4).is_none());
    }

    #[test]
    fn test_read_groups_errors_have_lines() {
        let (_, errs) =
            read("admin = 5\nfam = 4\nx = 998\nfam2 = 5\nfamily = 7\nFamily = 8\nkids = 7\n");
        assert_eq!(
            errs,
            [
                "g.toml:1: groups.admin: is a built-in group name (5)",
                "g.toml:2: groups.fam: expected a custom group number from 5 to 997 (4)",
                "g.toml:3: groups.x: expected a custom group number from 5 to 997 (998)",
                "g.toml:6: groups.Family: duplicate group name (names are case-insensitive) (8)",
                "g.toml:7: groups.kids: group 7 is already named \"family\" (7)",
            ]
        );
    }
}
