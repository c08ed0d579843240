//! What never reaches storage: crawlers, headless browsers and referrer spam. Such beacons
//! are answered like any other (a robot learns nothing from a refusal) and counted.

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
}

impl Dropped {
    /// The reason as shown in responses and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::Crawler => "crawler",
            Dropped::Headless => "headless",
            Dropped::ReferrerSpam => "referrer_spam",
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
}

impl FilterStats {
    /// Counts one dropped beacon.
    pub fn count(&self, why: Dropped) {
        let counter = match why {
            Dropped::Crawler => &self.crawler,
            Dropped::Headless => &self.headless,
            Dropped::ReferrerSpam => &self.referrer_spam,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "crawler": self.crawler.load(Ordering::Relaxed),
            "headless": self.headless.load(Ordering::Relaxed),
            "referrer_spam": self.referrer_spam.load(Ordering::Relaxed),
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

/// Why a click from `user_agent` must not be stored, if it must not.
pub fn screen_click(user_agent: &str) -> Option<Dropped> {
    Robot::from_user_agent(user_agent).map(Dropped::from)
}
