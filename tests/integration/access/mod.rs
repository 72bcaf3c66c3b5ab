//! The access policy of docs/access.md through the real gateway: TOTP and
//! the second sign-in step, step-up, public paths, trusted networks and
//! machine clients (issue 14). Passkeys are tested in a real browser by
//! scripts/e2e.sh (tests/e2e/passkeys.mjs).

mod common;
mod lan;
mod machine;
mod metrics;
mod public_paths;
mod step_up;
mod totp;
