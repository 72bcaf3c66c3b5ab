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
    pub pins: Arc<Pins>,
    /// The first-admin token while no admin exists.
    pub setup: Arc<SetupToken>,
    /// WebAuthn relying party and ceremonies, TOTP secrets being enrolled.
    pub factors: Arc<FactorState>,
}

impl Portal {
    /// The portal over `app`, with no PIN pending and no setup token yet.
    pub fn new(app: Arc<App>) -> Portal {
        Portal {
            factors: Arc::new(FactorState::new(&app.config)),
            app,
            pins: Arc::default(),
            setup: Arc::default(),
        }
    }

    /// The portal over a reloaded `app`: PINs, setup token and
    /// second-factor state carry over (a reload keeps `public_url`, from
    /// which the passkeys' relying party comes).
    pub fn reloaded(&self, app: Arc<App>) -> Portal {
        Portal {
            app,
            pins: self.pins.clone(),
            setup: self.setup.clone(),
            factors: self.factors.clone(),
        }
    }
}
