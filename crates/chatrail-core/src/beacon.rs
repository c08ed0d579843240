//! The wire format between the snippet and the collector.
//!
//! The snippet builds its JSON with the browser's `JSON.stringify` from the
//! [`field`] names (serde would cost it kilobytes); the collector
//! deserializes the structs here, with the `serde` feature on. Unknown
//! fields are ignored so an older collector accepts a newer snippet.

use crate::links::DEFAULT_TEMPLATE;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Largest beacon body the collector accepts.
pub const MAX_BEACON_BYTES: usize = 8 * 1024;

/// Longest URL (page or referrer) kept from a beacon.
pub const MAX_URL_LEN: usize = 2048;

/// Longest short string (language, time zone) kept from a beacon.
pub const MAX_SHORT_LEN: usize = 64;

/// Largest screen width or height, in CSS pixels, kept from a beacon (the
/// smallest is 1).
pub const MAX_SCREEN_PX: u32 = 100_000;

/// Bytes of a visitor, session or click id; on the wire, twice as many hex
/// characters (see [`format_id`]).
pub const ID_BYTES: usize = 16;

/// What the snippet as built loads its wasm from; the collector replaces it
/// with the content-hashed path it serves the wasm at.
pub const WASM_PATH_PLACEHOLDER: &str = "__CHATRAIL_WASM_PATH__";

/// The JS string literal (this text in double quotes) that the snippet as
/// built parses as JSON for what it starts with; the collector replaces it
/// with a literal of `[site key, site config as JSON text]` for
/// `t.js?site=<key>` (`[site key]` for an unknown site), or of `[]`.
pub const CONFIG_PLACEHOLDER: &str = "__CHATRAIL_CONFIG__";

/// Inactivity after which the snippet starts a new session, in ms (an
/// `f64` because the browser's clock is).
pub const SESSION_IDLE_MS: f64 = 30.0 * 60.0 * 1000.0;

/// Absence after which the snippet forgets a visitor id, in ms (a year).
pub const VISITOR_IDLE_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

/// Most digits in each dot-separated part of an analytics id the snippet reads from a
/// cookie (GA4's client and session ids, Metrica's ClientID); the snippet's regexes in
/// `tracker-wasm/js/beacons.js` spell the same bound.
pub const MAX_ID_DIGITS: usize = 20;

/// Click-id query parameters of ad networks: the collector stores them as
/// the session's click ids, and the snippet starts a new session when one
/// arrives.
pub const CLICK_ID_PARAMS: &[&str] = &[
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "yclid",
    "ysclid",
    "fbclid",
    "msclkid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "epik",
    "ctwa_clid",
];

/// The UTM parameters that name a campaign.
pub const UTM_PARAMS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
];

/// JSON field names shared by the snippet and the collector: the beacons'
/// and the site config's.
pub mod field {
    /// The site key from the script tag.
    pub const SITE: &str = "site";
    /// Visitor id, 32 hex characters.
    pub const VISITOR: &str = "visitor";
    /// Session id, 32 hex characters.
    pub const SESSION: &str = "session";
    /// The session code.
    pub const CODE: &str = "code";
    /// The page URL.
    pub const URL: &str = "url";
    /// `document.referrer`.
    pub const REFERRER: &str = "referrer";
    /// Screen width in CSS pixels.
    pub const SCREEN_W: &str = "screen_w";
    /// Screen height in CSS pixels.
    pub const SCREEN_H: &str = "screen_h";
    /// `navigator.language`.
    pub const LANGUAGE: &str = "language";
    /// The IANA time zone name.
    pub const TIMEZONE: &str = "timezone";
    /// The page a link was clicked on.
    pub const PAGE: &str = "page";
    /// The normalised number (or Telegram bot) of a clicked link.
    pub const NUMBER: &str = "number";
    /// The clicked link's form, as `LinkKind::as_str`.
    pub const KIND: &str = "kind";
    /// A click's own id, 32 hex characters: a click sent again is stored once.
    pub const ID: &str = "id";
    /// The GA4 client id, from the `_ga` cookie.
    pub const GA_CLIENT_ID: &str = "ga_client_id";
    /// The GA4 session id, from a `_ga_<container>` cookie.
    pub const GA_SESSION_ID: &str = "ga_session_id";
    /// Yandex Metrica's ClientID, from the `_ym_uid` cookie.
    pub const YM_CLIENT_ID: &str = "ym_client_id";
    /// `false` when the visitor denies advertising consent; absent when granted.
    pub const ADS: &str = "ads";
    /// The site config's tracked numbers.
    pub const NUMBERS: &str = "numbers";
    /// The message template, of the site config and of a page rule.
    pub const TEMPLATE: &str = "template";
    /// The site config's Telegram bots.
    pub const BOTS: &str = "bots";
    /// The site config's own domains.
    pub const DOMAINS: &str = "domains";
    /// The site config's page rules.
    pub const PAGES: &str = "pages";
    /// A page rule's path pattern.
    pub const PATH: &str = "path";
    /// A page rule's starter text.
    pub const TEXT: &str = "text";
}

/// Sent when a page is viewed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitBeacon {
    /// The site key.
    pub site: String,
    /// Visitor id (see [`format_id`]).
    pub visitor: String,
    /// Session id (see [`format_id`]).
    pub session: String,
    /// The session's code.
    pub code: String,
    /// The page URL, UTM tags and click ids included.
    pub url: String,
    /// The referrer, when the browser gives one.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub referrer: Option<String>,
    /// Screen width in CSS pixels.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub screen_w: Option<u32>,
    /// Screen height in CSS pixels.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub screen_h: Option<u32>,
    /// `navigator.language`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub language: Option<String>,
    /// The IANA time zone name.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub timezone: Option<String>,
    /// The GA4 client id (`<random>.<timestamp>`, the last two fields of `_ga`).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ga_client_id: Option<String>,
    /// The GA4 session id (digits, from a `_ga_<container>` cookie).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ga_session_id: Option<String>,
    /// Yandex Metrica's ClientID (digits, the `_ym_uid` cookie).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ym_client_id: Option<String>,
    /// `Some(false)` when the visitor denies advertising consent; the snippet leaves it
    /// out when consent is granted.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ads: Option<bool>,
}

/// Sent when a rewritten chat link is clicked.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClickBeacon {
    /// The site key.
    pub site: String,
    /// Visitor id.
    pub visitor: String,
    /// Session id.
    pub session: String,
    /// The code the link carried.
    pub code: String,
    /// The page the link was clicked on.
    pub page: String,
    /// The link's normalised number, the Telegram bot's username, or empty
    /// for a link that names no chat (`wa.me/message/…`).
    pub number: String,
    /// The link's form, as `LinkKind::as_str`.
    pub kind: String,
    /// The click's id (32 hex characters), made by the snippet, which may send a click
    /// again when it cannot tell whether the collector got it: the collector stores one
    /// click per id. Without one, each beacon is a new click.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub id: Option<String>,
    /// `Some(false)` when the visitor denies advertising consent (withdrawn since the page
    /// view, say); the snippet leaves it out when consent is granted.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub ads: Option<bool>,
}

/// What the collector serves the snippet for one site.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteConfig {
    /// Normalised numbers whose links are rewritten.
    #[cfg_attr(feature = "serde", serde(default))]
    pub numbers: Vec<String>,
    /// Message template with `{text}` and `{code}`.
    #[cfg_attr(feature = "serde", serde(default = "default_template"))]
    pub template: String,
    /// Telegram bot usernames whose `t.me` links get the code.
    #[cfg_attr(feature = "serde", serde(default))]
    pub bots: Vec<String>,
    /// The site's own domains: referrers from them are not a new source.
    #[cfg_attr(feature = "serde", serde(default))]
    pub domains: Vec<String>,
    /// Starter phrases per page, first match wins.
    #[cfg_attr(feature = "serde", serde(default))]
    pub pages: Vec<PageRule>,
}

/// A starter phrase, and optionally a template (e.g. in the page's
/// language), for the pages whose path matches `path`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageRule {
    /// `/prices` matches that path (with or without a trailing `/`);
    /// a trailing `*` matches every path that starts with what precedes it.
    pub path: String,
    /// The text links on those pages prefill when they have none.
    #[cfg_attr(feature = "serde", serde(default))]
    pub text: String,
    /// A template replacing the site's on those pages.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub template: Option<String>,
}

impl PageRule {
    /// Whether the rule applies to a page with this URL path.
    pub fn matches(&self, path: &str) -> bool {
        match self.path.strip_suffix("*") {
            Some(prefix) => path.starts_with(prefix),
            None => {
                let trim = |p: &'_ str| -> usize { p.len() - usize::from(p.ends_with("/")) };
                let (a, b) = (self.path.as_str(), path);
                a.get(..trim(a)) == b.get(..trim(b))
            }
        }
    }
}

impl SiteConfig {
    /// The first page rule for a URL path.
    pub fn page(&self, path: &str) -> Option<&PageRule> {
        self.pages.iter().find(|r| r.matches(path))
    }

    /// Whether `host` is one of the site's domains or a subdomain of one.
    pub fn is_own_host(&self, host: &str) -> bool {
        let host = host.strip_prefix("www.").unwrap_or(host);
        self.domains.iter().any(|d| {
            host.eq_ignore_ascii_case(d)
                || host.len() > d.len()
                    && host
                        .get(host.len() - d.len()..)
                        .is_some_and(|tail| tail.eq_ignore_ascii_case(d))
                    && host.as_bytes().get(host.len() - d.len() - 1) == Some(&b'.')
        })
    }
}

#[cfg(feature = "serde")]
fn default_template() -> String {
    DEFAULT_TEMPLATE.to_owned()
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            numbers: Vec::new(),
            template: DEFAULT_TEMPLATE.to_owned(),
            bots: Vec::new(),
            domains: Vec::new(),
            pages: Vec::new(),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// An id as lowercase hex, two characters a byte.
pub fn format_id(bytes: [u8; ID_BYTES]) -> String {
    let mut out = String::with_capacity(2 * ID_BYTES);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The id in exactly `2 * ID_BYTES` hex characters of either case, else `None`.
pub fn parse_id(s: &str) -> Option<[u8; ID_BYTES]> {
    let hex = s.as_bytes();
    if hex.len() != 2 * ID_BYTES {
        return None;
    }
    let mut out = [0u8; ID_BYTES];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = (high << 4 | low) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests;
