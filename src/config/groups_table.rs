//! Reads the `[groups]` table into [`GroupNames`]: `name = number`, numbers
//! 5–997, names and numbers unique, no built-in names.

use http::HeaderValue;

use super::file::{Cx, Section};
use super::groups::{normalize, GroupNames, CUSTOM_MAX, CUSTOM_MIN};
use crate::groups;

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
