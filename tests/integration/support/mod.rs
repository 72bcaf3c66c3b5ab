//! Test support: real upstreams and the gateway binary harness.
