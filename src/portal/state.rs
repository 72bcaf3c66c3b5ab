//! The portal's own state beside the gateway's [`App`]: pending "Sign in
//! with Plex" PINs, the one-time setup token, and the second-factor state.

use std::sync::Arc;

use crate::app::App;

use super::factor_state::FactorState;
use super::plex::Pins;
use super::setup::SetupToken;

/// Everything the portal's pages read.
#[derive(Debug)]
pub struct Portal {
    /// The gateway's shared state.
    pub app: Arc<App>,
    /// Pending "Sign in with Plex" PINs.
    pub pins: Pins,
    /// The first-admin token while no admin exists.
    pub setup: SetupToken,
    /// WebAuthn relying party and ceremonies, TOTP secrets being enrolled.
    pub factors: FactorState,
}

impl Portal {
    /// The portal over `app`, with no PIN pending and no setup token yet.
    pub fn new(app: Arc<App>) -> Portal {
        Portal {
            factors: FactorState::new(&app.config),
            app,
            pins: Pins::default(),
            setup: SetupToken::default(),
        }
    }
}
