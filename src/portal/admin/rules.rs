//! Who may do what on the admin pages, as plain functions: an admin
//! (group 0) manages everyone; a co-admin (group 1) manages users of group
//! 2 and above only and cannot grant group 0 or 1; nobody removes the last
//! admin (demote, lock or delete).

use crate::groups;

/// Why an admin action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The actor is not an admin or co-admin.
    NotAdmin,
    /// A co-admin acting on an admin or co-admin.
    TargetIsAdmin,
    /// A co-admin granting group 0 or 1.
    GrantsAdmin,
    /// The action would leave no admin.
    LastAdmin,
    /// Not a real group (998 member and 999 guest are levels, not groups).
    BadGroup,
}

impl Refusal {
    /// A short reason for the audit line and the page.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NotAdmin => "not an admin",
            Refusal::TargetIsAdmin => "co-admins manage users of group 2 and above only",
            Refusal::GrantsAdmin => "co-admins cannot grant group 0 or 1",
            Refusal::LastAdmin => "this is the last admin",
            Refusal::BadGroup => "not a group (0 to 997)",
        }
    }
}

/// Whether `group` may use the admin pages.
pub fn is_admin(group: u16) -> bool {
    group <= groups::CO_ADMIN
}

/// `actor` may change, lock, delete or sign out a user of `target` group.
pub fn may_manage(actor: u16, target: u16) -> Result<(), Refusal> {
    match actor {
        groups::ADMIN => Ok(()),
        groups::CO_ADMIN if target > groups::CO_ADMIN => Ok(()),
        groups::CO_ADMIN => Err(Refusal::TargetIsAdmin),
        _ => Err(Refusal::NotAdmin),
    }
}

/// `actor` may put a user (new or existing) into `group`.
pub fn may_grant(actor: u16, group: u16) -> Result<(), Refusal> {
    if group >= groups::MEMBER {
        return Err(Refusal::BadGroup);
    }
    match actor {
        groups::ADMIN => Ok(()),
        groups::CO_ADMIN if group > groups::CO_ADMIN => Ok(()),
        groups::CO_ADMIN => Err(Refusal::GrantsAdmin),
        _ => Err(Refusal::NotAdmin),
    }
}

/// An action on a user of `target` group that takes away admin rights
/// (demote, lock, delete) is refused when they are the only admin.
pub fn keeps_an_admin(target: u16, removes_admin: bool, admins: i64) -> Result<(), Refusal> {
    if target == groups::ADMIN && removes_admin && admins <= 1 {
        return Err(Refusal::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_co_admin_manages_group_two_and_above_only() {
        assert_eq!(may_manage(0, 0), Ok(()));
        assert_eq!(may_manage(0, 1), Ok(()));
        assert_eq!(may_manage(1, 0), Err(Refusal::TargetIsAdmin));
        assert_eq!(may_manage(1, 1), Err(Refusal::TargetIsAdmin));
        assert_eq!(may_manage(1, 2), Ok(()));
        assert_eq!(may_manage(1, 700), Ok(()));
        assert_eq!(may_manage(2, 4), Err(Refusal::NotAdmin));
    }

    #[test]
    fn test_co_admin_cannot_grant_admin_groups() {
        assert_eq!(may_grant(0, 0), Ok(()));
        assert_eq!(may_grant(1, 0), Err(Refusal::GrantsAdmin));
        assert_eq!(may_grant(1, 1), Err(Refusal::GrantsAdmin));
        assert_eq!(may_grant(1, 5), Ok(()));
        assert_eq!(may_grant(0, 998), Err(Refusal::BadGroup));
        assert_eq!(may_grant(0, 999), Err(Refusal::BadGroup));
        assert_eq!(may_grant(4, 4), Err(Refusal::NotAdmin));
    }

    #[test]
    fn test_last_admin_is_kept() {
        assert_eq!(keeps_an_admin(0, true, 1), Err(Refusal::LastAdmin));
        assert_eq!(keeps_an_admin(0, true, 2), Ok(()));
        assert_eq!(keeps_an_admin(0, false, 1), Ok(()));
        assert_eq!(keeps_an_admin(1, true, 1), Ok(()));
        assert!(is_admin(0) && is_admin(1) && !is_admin(2));
    }
}
