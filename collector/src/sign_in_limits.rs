//! Sign-in attempts, limited per e-mail address (guessing one person's password) and per
//! client address (trying many people's): `attempts` per e-mail address in any 15 minutes
//! (refilled evenly), five times as many per client address. Every attempt counts, right or
//! wrong, so the limit says nothing about whether an address has an account. Kept in memory
//! per collector, like the beacons' limits.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The period in which `attempts` are allowed.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// A client address gets this many times an e-mail address's attempts (an office behind
/// one address signs several people in).
const CLIENT_FACTOR: u32 = 5;

/// The buckets of sign-in attempts.
#[derive(Debug)]
pub struct SignInLimits {
    emails: Option<DefaultKeyedRateLimiter<String>>,
    clients: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

fn bucket<K: std::hash::Hash + Eq + Clone>(attempts: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let n = NonZeroU32::new(attempts)?;
    let quota = Quota::with_period(WINDOW / n.get())?.allow_burst(n);
    Some(RateLimiter::keyed(quota))
}

impl SignInLimits {
    /// `attempts` per e-mail address in 15 minutes (0: no limit); inside a Tokio runtime, a
    /// task forgets quiet buckets while the limits live.
    pub fn start(attempts: u32) -> Arc<SignInLimits> {
        let limits = Arc::new(SignInLimits {
            emails: bucket(attempts),
            clients: bucket(attempts.saturating_mul(CLIENT_FACTOR)),
        });
        if limits.emails.is_some() {
            tokio::spawn(forget_quiet(Arc::downgrade(&limits)));
        }
        limits
    }

    /// Takes one attempt for `email` (folded) from `client`; when past a limit, the whole
    /// seconds to wait.
    pub fn take(&self, email: &str, client: Option<IpAddr>) -> Result<(), u64> {
        let wait = |n: governor::NotUntil<_>| {
            n.wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        };
        if let (Some(clients), Some(ip)) = (&self.clients, client) {
            clients.check_key(&ip).map_err(wait)?;
        }
        if let Some(emails) = &self.emails {
            emails.check_key(&email.to_owned()).map_err(wait)?;
        }
        Ok(())
    }
}

async fn forget_quiet(limits: Weak<SignInLimits>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        if let Some(e) = &limits.emails {
            e.retain_recent();
            e.shrink_to_fit();
        }
        if let Some(c) = &limits.clients {
            c.retain_recent();
            c.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_address_past_its_attempts_waits_and_others_do_not() {
        let limits = SignInLimits::start(3);
        let ip = "192.0.2.1".parse().ok();
        for _ in 0..3 {
            assert_eq!(limits.take("a@x.io", ip), Ok(()));
        }
        let wait = limits.take("a@x.io", ip).unwrap_err();
        assert!((200..=300).contains(&wait), "one of 3 per 15 min: {wait}");
        assert_eq!(limits.take("b@x.io", ip), Ok(()));
        // The client's 15 (3 × 5) run out across addresses.
        for i in 0..10 {
            assert_eq!(limits.take(&format!("{i}@x.io"), ip), Ok(()));
        }
        assert!(limits.take("c@x.io", ip).is_err());
        assert_eq!(limits.take("c@x.io", "192.0.2.2".parse().ok()), Ok(()));
        assert!(SignInLimits::start(0).take("a@x.io", ip).is_ok());
    }
}
