//! Visits and clicks, parsed from beacons and enriched before they reach the batch writer.

use chatrail_core::beacon::{self, ClickBeacon, VisitBeacon};
use chatrail_core::code::SessionCode;
use chatrail_core::links::{normalize_bot, LinkKind};
use chatrail_core::phone::normalize_number;
use url::Url;
use uuid::Uuid;

use super::site::{Site, SiteId};
use crate::enrich::attribution::Attribution;
use crate::enrich::channel;
use crate::enrich::geo::Region;
use crate::enrich::user_agent::Device;

/// A page view: opens a session on its first occurrence, extends it after.
#[derive(Debug, Clone)]
pub struct Visit {
    /// Owner site.
    pub site_id: SiteId,
    /// Browser-made visitor id.
    pub visitor_id: Uuid,
    /// Browser-made session id.
    pub session_id: Uuid,
    /// The session code carried by rewritten links.
    pub code: SessionCode,
    /// Server receipt time.
    pub at_ms: i64,
    /// Page URL.
    pub url: String,
    /// Referrer, when external to the site.
    pub referrer: Option<String>,
    /// Host of the referrer.
    pub referrer_domain: Option<String>,
    /// UTM parameters and click ids of the page URL.
    pub attribution: Attribution,
    /// Traffic channel.
    pub channel: String,
    /// Normalised traffic source (`google`, `facebook`, …); `None` for direct visits.
    pub source: Option<String>,
    /// Search keyword: `utm_term`, else the search engine's query when the referrer has it.
    pub keyword: Option<String>,
    /// OS, browser and device category.
    pub device: Device,
    /// Country, region and city of the visitor's IP address (the address is not kept);
    /// filled in by the handler after parsing.
    pub region: Region,
    /// Screen width in CSS pixels.
    pub screen_w: Option<i32>,
    /// Screen height in CSS pixels.
    pub screen_h: Option<i32>,
    /// Browser language.
    pub language: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
}

/// A click on a tracked chat link.
#[derive(Debug, Clone)]
pub struct Click {
    /// Owner site.
    pub site_id: SiteId,
    /// Server-made id.
    pub click_id: Uuid,
    /// Browser-made visitor id.
    pub visitor_id: Uuid,
    /// Browser-made session id.
    pub session_id: Uuid,
    /// Session code put into the link.
    pub code: SessionCode,
    /// Tracked number the link opens (a bot username for Telegram, empty for links that
    /// name no number).
    pub number: String,
    /// Link form (`wa.me`, …).
    pub kind: String,
    /// Page of contact: the URL where the link was clicked.
    pub page_url: String,
    /// Server receipt time.
    pub at_ms: i64,
}

/// Why a beacon was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BeaconError {
    /// A field failed validation.
    #[error("invalid field `{field}`: {reason}")]
    Invalid {
        /// Field name on the wire.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn invalid(field: &'static str, reason: &'static str) -> BeaconError {
    BeaconError::Invalid { field, reason }
}

fn parse_uuid(field: &'static str, s: &str) -> Result<Uuid, BeaconError> {
    beacon::parse_id(s)
        .map(Uuid::from_bytes)
        .ok_or_else(|| invalid(field, "expected 32 hex characters"))
}

fn parse_code(s: &str) -> Result<SessionCode, BeaconError> {
    SessionCode::parse(s).map_err(|_| invalid(beacon::field::CODE, "not a valid session code"))
}

/// Parses a referrer: a page URL, or an Android app (`android-app://com.google.android.gm/`),
/// which is what Chrome on Android reports for links opened from apps.
fn parse_referrer(s: &str) -> Result<Url, BeaconError> {
    match Url::parse(s) {
        Ok(url) if url.scheme() == "android-app" && url.host_str().is_some() => Ok(url),
        _ => parse_page_url(beacon::field::REFERRER, s),
    }
}

fn parse_page_url(field: &'static str, s: &str) -> Result<Url, BeaconError> {
    if s.len() > beacon::MAX_URL_LEN {
        return Err(invalid(field, "longer than 2048 bytes"));
    }
    let url = Url::parse(s).map_err(|_| invalid(field, "not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(field, "not an http(s) URL"));
    }
    Ok(url)
}

fn short(field: &'static str, s: Option<String>) -> Result<Option<String>, BeaconError> {
    match s {
        Some(s) if s.len() > beacon::MAX_SHORT_LEN => Err(invalid(field, "longer than 64 bytes")),
        Some(s) if s.is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn screen(field: &'static str, v: Option<u32>) -> Result<Option<i32>, BeaconError> {
    match v {
        Some(v) if v == 0 || v > beacon::MAX_SCREEN_PX => Err(invalid(field, "out of range")),
        Some(v) => Ok(Some(v as i32)),
        None => Ok(None),
    }
}

/// Whether `host` is one of the site's own domains or a subdomain of one.
fn is_internal(site: &Site, host: &str) -> bool {
    site.domains.iter().any(|d| {
        host == d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|p| p.ends_with('.'))
    })
}

impl Visit {
    /// Validates a visit beacon for `site` and enriches it with the request's user agent.
    pub fn parse(
        site: &Site,
        b: VisitBeacon,
        user_agent: &str,
        at_ms: i64,
    ) -> Result<Visit, BeaconError> {
        let url = parse_page_url(beacon::field::URL, &b.url)?;
        let referrer = match b.referrer.filter(|r| !r.is_empty()) {
            Some(r) if r.len() > beacon::MAX_URL_LEN => {
                return Err(invalid(beacon::field::REFERRER, "longer than 2048 bytes"))
            }
            Some(r) => Some(parse_referrer(&r)?),
            None => None,
        };
        // Navigation inside the site is not a traffic source.
        let referrer = referrer.filter(|r| r.host_str().is_some_and(|h| !is_internal(site, h)));
        let referrer_domain = referrer.as_ref().and_then(channel::referrer_domain);
        let attribution = Attribution::from_url(&url);
        let class = channel::classify(&attribution, referrer.as_ref(), &site.channel_rules);
        Ok(Visit {
            site_id: site.id,
            visitor_id: parse_uuid(beacon::field::VISITOR, &b.visitor)?,
            session_id: parse_uuid(beacon::field::SESSION, &b.session)?,
            code: parse_code(&b.code)?,
            at_ms,
            url: url.into(),
            referrer: referrer.map(String::from),
            referrer_domain,
            attribution,
            channel: class.channel,
            source: class.source,
            keyword: class.keyword,
            device: Device::from_user_agent(user_agent),
            region: Region::default(),
            screen_w: screen(beacon::field::SCREEN_W, b.screen_w)?,
            screen_h: screen(beacon::field::SCREEN_H, b.screen_h)?,
            language: short(beacon::field::LANGUAGE, b.language)?,
            timezone: short(beacon::field::TIMEZONE, b.timezone)?,
        })
    }
}

impl Click {
    /// Validates a click beacon for `site`: the number must be one the site tracks (a bot of
    /// the site for Telegram links; none for `wa.me/message` links, which name no number).
    pub fn parse(site: &Site, b: ClickBeacon, at_ms: i64) -> Result<Click, BeaconError> {
        let number = match LinkKind::parse(&b.kind) {
            Some(LinkKind::WaMeMessage) => Some(String::new()),
            Some(k) if k.is_telegram() => {
                normalize_bot(&b.number).filter(|n| site.bots.contains(n))
            }
            _ => {
                normalize_number(&b.number).filter(|n| site.numbers.iter().any(|t| &t.number == n))
            }
        }
        .ok_or_else(|| invalid(beacon::field::NUMBER, "not a tracked number of this site"))?;
        let kind = short(beacon::field::KIND, Some(b.kind))?
            .ok_or_else(|| invalid(beacon::field::KIND, "missing"))?;
        Ok(Click {
            site_id: site.id,
            click_id: match b.id {
                Some(id) => parse_uuid(beacon::field::ID, &id)?,
                None => Uuid::now_v7(),
            },
            visitor_id: parse_uuid(beacon::field::VISITOR, &b.visitor)?,
            session_id: parse_uuid(beacon::field::SESSION, &b.session)?,
            code: parse_code(&b.code)?,
            number,
            kind,
            page_url: parse_page_url(beacon::field::PAGE, &b.page)?.into(),
            at_ms,
        })
    }
}
