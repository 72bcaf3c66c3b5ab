//! Organizr's group numbers and names.
//!
//! Lower number = more privilege. A route with level N admits a user whose
//! group number is <= N; not being signed in counts as [`GUEST`] (999).

/// Group 0.
pub const ADMIN: u16 = 0;
/// Group 1.
pub const CO_ADMIN: u16 = 1;
/// Group 2.
pub const SUPER_USER: u16 = 2;
/// Group 3.
pub const POWER_USER: u16 = 3;
/// Group 4, the default for new users.
pub const USER: u16 = 4;
/// 998: "any signed-in user" (every real group is <= 997).
pub const MEMBER: u16 = 998;
/// 999: everyone, guests included.
pub const GUEST: u16 = 999;
/// The highest number a configured level may have.
pub const MAX: u16 = 999;

const NAMED: [(&str, u16); 7] = [
    ("admin", ADMIN),
    ("co-admin", CO_ADMIN),
    ("super-user", SUPER_USER),
    ("power-user", POWER_USER),
    ("user", USER),
    ("member", MEMBER),
    ("guest", GUEST),
];

/// Parses a group given by name (`"power-user"`, case-insensitive, `_` or
/// space accepted for `-`) or by number (`"3"`, 0..=999).
pub fn parse(text: &str) -> Option<u16> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u16>() {
        return (n <= MAX).then_some(n);
    }
    let norm: String = t
        .chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    NAMED.iter().find(|(n, _)| *n == norm).map(|&(_, g)| g)
}

/// The display name of a group number: `admin` … `user`, `member`, `guest`,
/// or `group-N` for custom groups 5–997.
pub fn name(group: u16) -> std::borrow::Cow<'static, str> {
    match NAMED.iter().find(|&&(_, g)| g == group) {
        Some(&(n, _)) => std::borrow::Cow::Borrowed(n),
        None => std::borrow::Cow::Owned(format!("group-{group}")),
    }
}

/// Every named group, for help texts and messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    NAMED.iter().map(|&(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_names_and_numbers() {
        assert_eq!(parse("admin"), Some(0));
        assert_eq!(parse("Co-Admin"), Some(1));
        assert_eq!(parse("super_user"), Some(2));
        assert_eq!(parse("power user"), Some(3));
        assert_eq!(parse("user"), Some(4));
        assert_eq!(parse("member"), Some(998));
        assert_eq!(parse("guest"), Some(999));
        assert_eq!(parse("7"), Some(7));
        assert_eq!(parse("1000"), None);
        assert_eq!(parse("wizard"), None);
    }

    #[test]
    fn test_name_custom_group() {
        assert_eq!(name(3), "power-user");
        assert_eq!(name(7), "group-7");
    }
}
