//! The open-files limit: one descriptor per client connection, upstream
//! connection, listener and file. The soft limit a service manager hands out
//! is often 1,024 (systemd's default) with a far higher hard limit; nginx
//! users raise it with `worker_rlimit_nofile`, and Go servers such as Caddy
//! raise it to the hard limit by themselves. The gateway does the same at
//! start, so thousands of idle keep-alive connections do not run it out of
//! descriptors.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit. Returns the soft limit
/// in force afterwards, or the error that left it as it was.
pub fn raise_to_hard() -> Result<u64, String> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| e.to_string())?;
    if soft >= hard {
        return Ok(soft);
    }
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(|e| e.to_string())?;
    Ok(hard)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::resource::{getrlimit, Resource};

    #[test]
    fn raises_the_soft_limit_to_the_hard_one() {
        let limit = raise_to_hard().unwrap();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        assert_eq!(soft, hard);
        assert_eq!(limit, soft);
    }
}
