//! Single sign-on into Plex, Ombi and Tautulli: token fetch at login, cookies, injection.

pub mod tokens;
