//! Abuse limits on what anyone holding a public site key can send: beacons and `/go`
//! redirects, per client address and per site, answered `429` with `Retry-After` past them.
//!
//! Token buckets (GCRA, the `governor` crate): each client may send `client_rate` a second on
//! average, in bursts of up to five seconds' worth (a page load sends a few beacons at once);
//! each site takes `site_rate` a second from all its clients together, in bursts of ten
//! seconds' worth; and, when set, each site takes at most `daily_cap` in any 24 hours (the
//! cap refills evenly over the day). Clients are told apart by address (the one
//! `CHATRAIL_TRUSTED_PROXIES` allows to be believed), kept in memory only while they send
//! and never stored. A rate or cap of 0 turns its limit off. Every collector counts on its
//! own: behind a load balancer, the limits are per collector.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::domain::site::SiteId;

/// The period of the daily cap.
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How often buckets of clients and sites that went quiet are dropped.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// A request past a limit: when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany {
    /// Whose limit: the client's, the site's rate, or the site's daily cap.
    pub whose: &'static str,
    /// Whole seconds to wait (at least 1).
    pub retry_after_s: u64,
}

/// The per-client and per-site buckets.
#[derive(Debug)]
pub struct Limits {
    clients: Option<DefaultKeyedRateLimiter<IpAddr>>,
    sites: Option<DefaultKeyedRateLimiter<Uuid>>,
    daily: Option<DefaultKeyedRateLimiter<Uuid>>,
}

fn bucket<K: std::hash::Hash + Eq + Clone>(
    per_second: u32,
    burst_seconds: u32,
) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(per_second.saturating_mul(burst_seconds)).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

/// At most `cap` in any [`DAY`], refilled evenly.
fn daily_bucket(cap: u32) -> Option<DefaultKeyedRateLimiter<Uuid>> {
    let cap = NonZeroU32::new(cap)?;
    let quota = Quota::with_period(DAY / cap.get())?.allow_burst(cap);
    Some(RateLimiter::keyed(quota))
}

impl Limits {
    /// Limits of `client_rate` requests a second per client and `site_rate` per site, and
    /// `daily_cap` per site a day (0: none); a task drops quiet buckets every minute while
    /// the limits live.
    pub fn start(client_rate: u32, site_rate: u32, daily_cap: u32) -> Arc<Limits> {
        let limits = Arc::new(Limits {
            clients: bucket(client_rate, 5),
            sites: bucket(site_rate, 10),
            daily: daily_bucket(daily_cap),
        });
        if limits.clients.is_some() || limits.sites.is_some() || limits.daily.is_some() {
            tokio::spawn(forget_quiet(Arc::downgrade(&limits)));
        }
        limits
    }

    /// Takes one request of `client` (unknown: only the site's limit applies) for `site`.
    pub fn take(&self, client: Option<IpAddr>, site: SiteId) -> Result<(), TooMany> {
        let past = |whose, not_until: governor::NotUntil<_>| TooMany {
            whose,
            retry_after_s: not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1),
        };
        if let (Some(clients), Some(ip)) = (&self.clients, client) {
            clients.check_key(&ip).map_err(|n| past("client", n))?;
        }
        if let Some(sites) = &self.sites {
            sites.check_key(&site.0).map_err(|n| past("site", n))?;
        }
        if let Some(daily) = &self.daily {
            daily
                .check_key(&site.0)
                .map_err(|n| past("site today", n))?;
        }
        Ok(())
    }
}

async fn forget_quiet(limits: Weak<Limits>) {
    loop {
        tokio::time::sleep(FORGET_EVERY).await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        if let Some(c) = &limits.clients {
            c.retain_recent();
            c.shrink_to_fit();
        }
        for s in [&limits.sites, &limits.daily].into_iter().flatten() {
            s.retain_recent();
            s.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_past_its_burst_waits_and_others_do_not() {
        let limits = Limits::start(2, 0, 0);
        let site = SiteId(Uuid::nil());
        let (a, b) = ("192.0.2.1".parse().ok(), "192.0.2.2".parse().ok());
        for _ in 0..10 {
            assert_eq!(limits.take(a, site), Ok(()), "2/s in bursts of 10");
        }
        let refused = limits.take(a, site).unwrap_err();
        assert_eq!((refused.whose, refused.retry_after_s), ("client", 1));
        assert_eq!(limits.take(b, site), Ok(()), "another client is not held");
        assert_eq!(
            limits.take(None, site),
            Ok(()),
            "no client limit without an address"
        );
    }

    #[tokio::test]
    async fn a_site_is_limited_across_its_clients() {
        let limits = Limits::start(0, 1, 0);
        let site = SiteId(Uuid::nil());
        for i in 0..10u8 {
            let client = Some(IpAddr::from([198, 51, 100, i]));
            assert_eq!(limits.take(client, site), Ok(()));
        }
        assert_eq!(limits.take(None, site).unwrap_err().whose, "site");
        assert_eq!(limits.take(None, SiteId(Uuid::from_u128(1))), Ok(()));
    }

    #[tokio::test]
    async fn a_site_past_its_daily_cap_waits_for_the_day_to_refill_it() {
        let limits = Limits::start(0, 0, 3);
        let site = SiteId(Uuid::nil());
        for _ in 0..3 {
            assert_eq!(limits.take(None, site), Ok(()));
        }
        let refused = limits.take(None, site).unwrap_err();
        assert_eq!(refused.whose, "site today");
        // One more of 3 a day: in about 8 hours.
        assert!(
            (7 * 3600..=8 * 3600).contains(&refused.retry_after_s),
            "{refused:?}"
        );
        assert_eq!(limits.take(None, SiteId(Uuid::from_u128(1))), Ok(()));
    }
}
