//! OS, browser and device category from the User-Agent header (woothee), and whether the
//! agent is a robot rather than a person's browser.

/// What the user agent says about the visitor's device.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// Operating system name, e.g. `Android`.
    pub os: Option<String>,
    /// Operating system version.
    pub os_version: Option<String>,
    /// Browser name.
    pub browser: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// `pc`, `smartphone`, `mobilephone`, `crawler`, `appliance` or `misc`.
    pub category: Option<String>,
    /// Set when the agent is not a person's browser; such visits are dropped, not stored.
    #[serde(skip)]
    pub robot: Option<Robot>,
}

/// Why a user agent is not counted as a visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Robot {
    /// A search-engine crawler, monitor, HTTP library or an empty User-Agent.
    Crawler,
    /// A browser driven without a screen (HeadlessChrome, PhantomJS, …).
    Headless,
}

/// Markers of automated browsers woothee reports as ordinary ones.
const HEADLESS_MARKERS: &[&str] = &[
    "headlesschrome",
    "headless",
    "phantomjs",
    "slimerjs",
    "htmlunit",
    "jsdom/",
    "chrome-lighthouse",
];

/// HTTP libraries and tools woothee does not list as crawlers; no browser sends these.
const CLIENT_LIBRARY_MARKERS: &[&str] = &[
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp/",
    "curl/",
    "wget/",
    "go-http-client",
    "okhttp/",
    "axios/",
    "node-fetch",
    "undici",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "scrapy",
    "httpie/",
    "postmanruntime",
    "insomnia/",
];

impl Robot {
    /// Classifies a User-Agent header from its text and woothee's category.
    fn detect(ua: &str, category: Option<&str>) -> Option<Robot> {
        let lower = ua.trim().to_ascii_lowercase();
        if lower.is_empty() || category == Some("crawler") {
            return Some(Robot::Crawler);
        }
        if HEADLESS_MARKERS.iter().any(|m| lower.contains(m)) {
            return Some(Robot::Headless);
        }
        if CLIENT_LIBRARY_MARKERS.iter().any(|m| lower.contains(m)) {
            return Some(Robot::Crawler);
        }
        None
    }

    /// The robot kind of a User-Agent header, if it is one.
    pub fn from_user_agent(ua: &str) -> Option<Robot> {
        let category = woothee::parser::Parser::new().parse(ua).map(|r| r.category);
        Robot::detect(ua, category)
    }
}

fn known(s: &str) -> Option<String> {
    (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned())
}

impl Device {
    /// Parses a User-Agent header; unknown parts stay `None`.
    pub fn from_user_agent(ua: &str) -> Device {
        let Some(r) = woothee::parser::Parser::new().parse(ua) else {
            return Device {
                robot: Robot::detect(ua, None),
                ..Device::default()
            };
        };
        Device {
            os: known(r.os),
            os_version: known(&r.os_version),
            browser: known(r.name),
            browser_version: known(r.version),
            category: known(r.category),
            robot: Robot::detect(ua, Some(r.category)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_mobile_chrome() {
        let d = Device::from_user_agent(
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
        );
        assert_eq!(d.os.as_deref(), Some("Android"));
        assert_eq!(d.browser.as_deref(), Some("Chrome"));
        assert_eq!(d.category.as_deref(), Some("smartphone"));
    }

    #[test]
    fn garbage_gives_unknown() {
        let d = Device::from_user_agent("\u{0}");
        assert_eq!(d.os, None);
        assert_eq!(d.browser, None);
        assert_eq!(d.robot, None);
    }

    #[test]
    fn people_and_robots_are_told_apart() {
        let cases: &[(&str, Option<Robot>)] = &[
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", None),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.0.0.28.112", None),
            ("Mozilla/5.0 (Linux; Android 12; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36", None),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Some(Robot::Crawler)),
            ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", Some(Robot::Crawler)),
            ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", Some(Robot::Crawler)),
            ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", Some(Robot::Crawler)),
            ("python-requests/2.31.0", Some(Robot::Crawler)),
            ("curl/8.4.0", Some(Robot::Crawler)),
            ("", Some(Robot::Crawler)),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36", Some(Robot::Headless)),
            ("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", Some(Robot::Headless)),
        ];
        for (ua, want) in cases {
            assert_eq!(Device::from_user_agent(ua).robot, *want, "{ua}");
            assert_eq!(Robot::from_user_agent(ua), *want, "{ua}");
        }
    }
}
