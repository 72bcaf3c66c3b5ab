//! The one integration-test binary: every test starts the real `gatehouse`.

mod support;
