//! `[groups]`: names for Organizr's custom groups (`family = 5`), usable
//! wherever a group is written (`auth = "family"`, `new_user_group`,
//! `min_group`) and shown instead of `group-5` on pages and in the
//! `group_name` identity header.

use std::borrow::Cow;

use http::HeaderValue;

use crate::groups;

/// The lowest number a custom group may have (0–4 are Organizr's own).
pub const CUSTOM_MIN: u16 = 5;
/// The highest (998 is "member", 999 "guest").
pub const CUSTOM_MAX: u16 = 997;

/// The custom group names of a configuration, with prebuilt header values.
#[derive(Debug, Clone, Default)]
pub struct GroupNames {
    /// `(name, number, name as a header value)`, in file order.
    pub(super) custom: Vec<(String, u16, HeaderValue)>,
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
