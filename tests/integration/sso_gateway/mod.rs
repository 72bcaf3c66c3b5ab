//! Plex sign-in and SSO through the real gateway, against the fakes (issue 4).
