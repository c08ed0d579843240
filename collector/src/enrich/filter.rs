//! What never reaches storage: crawlers, headless browsers, referrer spam, and beacons a
//! browser sent from a page off the site. Such beacons are answered like any other (a
//! robot learns nothing from a refusal) and counted.

use std::sync::atomic::{AtomicU64, Ordering};

use super::channel::lists;
use super::user_agent::Robot;

/// Why a beacon was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// The user agent is a crawler, monitor or HTTP library.
    Crawler,
    /// The user agent is a headless browser.
    Headless,
    /// The referrer is on the referrer-spam list.
    ReferrerSpam,
    /// The browser sent it from a page on none of the site's domains.
    ForeignOrigin,
}

impl Dropped {
    /// The reason as shown in responses and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::Crawler => "crawler",
            Dropped::Headless => "headless",
            Dropped::ReferrerSpam => "referrer_spam",
            Dropped::ForeignOrigin => "foreign_origin",
        }
    }
}

impl From<Robot> for Dropped {
    fn from(r: Robot) -> Dropped {
        match r {
            Robot::Crawler => Dropped::Crawler,
            Robot::Headless => Dropped::Headless,
        }
    }
}

/// Counters of dropped beacons, readable at `/health`.
#[derive(Debug, Default)]
pub struct FilterStats {
    /// Beacons from crawlers.
    pub crawler: AtomicU64,
    /// Beacons from headless browsers.
    pub headless: AtomicU64,
    /// Visits with a spam referrer.
    pub referrer_spam: AtomicU64,
    /// Beacons from pages off the site.
    pub foreign_origin: AtomicU64,
}

impl FilterStats {
    /// Counts one dropped beacon.
    pub fn count(&self, why: Dropped) {
        let counter = match why {
            Dropped::Crawler => &self.crawler,
            Dropped::Headless => &self.headless,
            Dropped::ReferrerSpam => &self.referrer_spam,
            Dropped::ForeignOrigin => &self.foreign_origin,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "crawler": self.crawler.load(Ordering::Relaxed),
            "headless": self.headless.load(Ordering::Relaxed),
            "referrer_spam": self.referrer_spam.load(Ordering::Relaxed),
            "foreign_origin": self.foreign_origin.load(Ordering::Relaxed),
        })
    }
}

/// Why a visit from `robot` (as its user agent tells) and `referrer_domain` must not be
/// stored, if it must not.
pub fn screen_visit(robot: Option<Robot>, referrer_domain: Option<&str>) -> Option<Dropped> {
    if let Some(robot) = robot {
        return Some(robot.into());
    }
    referrer_domain
        .filter(|d| lists::is_referrer_spam(d))
        .map(|_| Dropped::ReferrerSpam)
}

/// Whether a beacon whose request came with the `Origin` header `origin` must be dropped:
/// when the site lists its `domains`, a browser's beacon from a page on none of them (another
/// site embedding this one's key, a proxy, a sandboxed frame's `null`). Pages on loopback
/// hosts (a developer's machine) pass, and so does a request without `Origin`: browsers
/// always send one with a cross-origin POST, and a script can send any, so this keeps
/// other sites' visitors out, not a determined forger.
pub fn screen_origin(domains: &[String], origin: Option<&[u8]>) -> Option<Dropped> {
    let origin = origin?;
    if domains.is_empty() {
        return None;
    }
    let host = std::str::from_utf8(origin)
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
        });
    let own = host.is_some_and(|h| {
        is_own_host(domains, &h)
            || h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    (!own).then_some(Dropped::ForeignOrigin)
}

/// Whether `host` is one of `domains` (a site's own) or a subdomain of one.
pub fn is_own_host(domains: &[String], host: &str) -> bool {
    domains.iter().any(|d| {
        host == d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|p| p.ends_with('.'))
    })
}

/// Why a click from `user_agent` must not be stored, if it must not.
pub fn screen_click(user_agent: &str) -> Option<Dropped> {
    Robot::from_user_agent(user_agent).map(Dropped::from)
}
