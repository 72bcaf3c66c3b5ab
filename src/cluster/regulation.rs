//! Login regulation shared through Redis: per user name and per address,
//! the failure times in a sorted set (`ZREMRANGEBYSCORE` + `ZADD` +
//! `ZCARD` + `EXPIRE` in one transaction) — the same sliding window one
//! node keeps, so failures split across nodes ban exactly at the count one
//! node would (a plain `INCR` counter would be a fixed window, which one
//! node does not use) — and bans as keys that expire with the ban. While
//! Redis is down every call answers `None` at once and
//! [`crate::auth::regulation::Regulation`] counts locally.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::keys::{ban_key, failures_key, ip_part, user_part, Event};
use super::link::Link;
use super::publish::Publisher;
use crate::auth::shared_regulation::SharedRegulation;

/// How long a sign-in waits for Redis's counters (then it counts locally).
pub const REGULATION_WAIT: Duration = Duration::from_millis(500);

/// [`SharedRegulation`] on Redis.
#[derive(Debug)]
pub struct RedisRegulation {
    link: Arc<Link>,
    publisher: Publisher,
    /// Makes each failure's member unique.
    seq: AtomicU64,
}

impl RedisRegulation {
    /// Regulation on `link`, telling bans through `publisher`.
    pub fn new(link: Arc<Link>, publisher: Publisher) -> RedisRegulation {
        RedisRegulation {
            link,
            publisher,
            seq: AtomicU64::new(0),
        }
    }

    fn count(&self, pipe: &mut redis::Pipeline, key: &str, t: u64, window: u64, member: &str) {
        let k = failures_key(key);
        // Failures at or before t - window have left the window (one node:
        // `t >= s + window` drops s).
        let oldest_out = t.saturating_sub(window);
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&k)
            .arg("-inf")
            .arg(oldest_out)
            .ignore()
            .cmd("ZADD")
            .arg(&k)
            .arg(t)
            .arg(member)
            .ignore()
            .cmd("ZCARD")
            .arg(&k)
            .cmd("EXPIRE")
            .arg(&k)
            .arg(window.max(1))
            .ignore();
    }
}

impl SharedRegulation for RedisRegulation {
    fn add_failure(&self, user: &str, ip: &str, t: u64, window: u64) -> Option<(usize, usize)> {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let member = format!("{t}:{}:{n}", self.link.instance);
        let mut pipe = redis::pipe();
        pipe.atomic();
        self.count(&mut pipe, &user_part(user), t, window, &member);
        self.count(&mut pipe, &ip_part(ip), t, window, &member);
        if window == 0 {
            // No window: nothing is ever counted twice.
            return Some((1, 1));
        }
        self.link
            .query_blocking::<(usize, usize)>(&pipe, REGULATION_WAIT)
    }

    fn ban(&self, user: &str, ip: &str, until: u64, t: u64) {
        let secs = until.saturating_sub(t).max(1);
        let mut pipe = redis::pipe();
        pipe.atomic();
        for part in [user_part(user), ip_part(ip)] {
            pipe.cmd("DEL").arg(failures_key(&part)).ignore();
            pipe.cmd("SET")
                .arg(ban_key(&part))
                .arg(until)
                .arg("EX")
                .arg(secs)
                .ignore();
        }
        // `()`: every reply ignored; `None` = Redis down, the ban holds here
        // and in the store.
        let _ = self.link.query_blocking::<()>(&pipe, REGULATION_WAIT);
        self.publisher.send(Event::Ban {
            until,
            ip: ip.to_owned(),
            user: user.to_owned(),
        });
    }

    fn banned(&self, user: &str, ip: &str, t: u64) -> Option<bool> {
        let mut pipe = redis::pipe();
        pipe.cmd("MGET")
            .arg(ban_key(&user_part(user)))
            .arg(ban_key(&ip_part(ip)));
        let (found,): (Vec<Option<u64>>,) = self.link.query_blocking(&pipe, REGULATION_WAIT)?;
        Some(found.into_iter().flatten().any(|until| t < until))
    }

    fn clear(&self, user: &str, ip: &str) {
        let link = self.link.clone();
        let keys = [failures_key(&user_part(user)), failures_key(&ip_part(ip))];
        self.link.spawn(async move {
            let mut pipe = redis::pipe();
            pipe.cmd("DEL").arg(&keys[..]).ignore();
            let _ = link.query::<()>(&pipe, REGULATION_WAIT).await;
        });
    }
}
