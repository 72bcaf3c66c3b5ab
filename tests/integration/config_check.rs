//! (tests under construction)
