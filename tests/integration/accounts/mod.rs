//! Accounts, sessions and inline group auth through the real gateway (issue 3).
