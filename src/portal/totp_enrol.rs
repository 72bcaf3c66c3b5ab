//! Confirming a TOTP enrolment: the code from the secret shown on the page
//! must be right (±1 step) before the secret counts; then it is stored with
//! that step as used, ten new recovery codes replace any earlier ones, and
//! the codes are handed back to be shown once.

use crate::app::App;
use crate::auth::totp;

use super::factor_state::FactorState;
use super::request::PortalRequest;
use super::second_factor;

/// Confirms `user_id`'s shown secret with `code`: the recovery codes, or
/// `None` (wrong code, nothing shown, or the store refused). A wrong code
/// counts as a failed sign-in.
pub async fn confirm(
    app: &App,
    factors: &FactorState,
    req: &PortalRequest<'_>,
    user_id: i64,
    username: &str,
    code: &str,
) -> Option<Vec<String>> {
    let banned = app.regulation.is_banned(username, req.client_ip, req.now);
    let secret = factors.shown_secret(user_id, req.now)?;
    let step =
        totp::check(&secret, code, crate::clock::unix(req.now)).and_then(|s| i64::try_from(s).ok());
    let Some(step) = step.filter(|_| !banned) else {
        second_factor::record_failure(app, username, req).await;
        return None;
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    let b32 = secret.to_base32();
    let now = req.now;
    let stored = app
        .store
        .call(move |s| s.set_totp(user_id, &b32, step, &hashes, now))
        .await;
    app.store_health.record(&stored);
    match stored {
        Ok(()) => {
            factors.end_enrolment(user_id);
            tracing::info!(user = %username, "TOTP enrolled");
            Some(codes)
        }
        Err(e) => {
            tracing::error!(error = %e, "TOTP enrolment not stored");
            None
        }
    }
}

/// New recovery codes for a user (the old ones stop working).
pub async fn regenerate_recovery(app: &App, user_id: i64) -> Option<Vec<String>> {
    let codes = totp::new_recovery_codes();
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    let stored = app
        .store
        .call(move |s| s.replace_recovery_codes(user_id, &hashes))
        .await;
    app.store_health.record(&stored);
    stored.ok().map(|()| codes)
}
