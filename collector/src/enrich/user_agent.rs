//! OS, browser and device category from the User-Agent header (woothee).

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
}

fn known(s: &str) -> Option<String> {
    (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_owned())
}

impl Device {
    /// Parses a User-Agent header; unknown parts stay `None`.
    pub fn from_user_agent(ua: &str) -> Device {
        let Some(r) = woothee::parser::Parser::new().parse(ua) else {
            return Device::default();
        };
        Device {
            os: known(r.os),
            os_version: known(&r.os_version),
            browser: known(r.name),
            browser_version: known(r.version),
            category: known(r.category),
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
        assert_eq!(Device::from_user_agent("\u{0}"), Device::default());
    }
}
