//! Visits and clicks, parsed from beacons and enriched before they reach the batch writer.
//!
//! A [`Visit`] is complete once parsed: attribution, channel, device and region are worked
//! out by [`Visit::parse`] from the beacon and the [`Sender`], and nothing is filled in after.

use std::net::IpAddr;

use chatrail_core::beacon::{self, ClickBeacon, VisitBeacon};
use chatrail_core::code::SessionCode;
use chatrail_core::links::{normalize_bot, LinkKind};
use chatrail_core::phone::normalize_number;
use url::Url;
use uuid::Uuid;

use super::page::page_key;
use super::provider::telegram_number;
use super::site::{Site, SiteId};
use crate::enrich::attribution::Attribution;
use crate::enrich::channel::{self, TrafficChannel};
use crate::enrich::filter::{self, Dropped};
use crate::enrich::geo::{GeoIp, Region};
use crate::enrich::user_agent::Device;

mod ads;

pub use ads::AdSignals;

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
    /// The page as reports count it ([`page_key`]).
    pub page_key: String,
    /// Referrer, when external to the site.
    pub referrer: Option<String>,
    /// Host of the referrer.
    pub referrer_domain: Option<String>,
    /// UTM parameters and click ids of the page URL.
    pub attribution: Attribution,
    /// Traffic channel.
    pub channel: TrafficChannel,
    /// Normalised traffic source (`google`, `facebook`, …); `None` for direct visits.
    pub source: Option<String>,
    /// Search keyword: `utm_term`, else the search engine's query when the referrer has it.
    pub keyword: Option<String>,
    /// OS, browser and device category.
    pub device: Device,
    /// Country, region and city of the visitor's IP address (the address is not kept).
    pub region: Region,
    /// Screen width in CSS pixels.
    pub screen_w: Option<i32>,
    /// Screen height in CSS pixels.
    pub screen_h: Option<i32>,
    /// Browser language.
    pub language: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// The visitor's GA4 and Metrica ids, and whether advertising consent is denied.
    pub ads: AdSignals,
    /// The client signal ([`crate::client_signal`]), set by the caller when known.
    pub client: Option<i64>,
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
    /// Tracked number the link opens (`@bot` for Telegram, see [`telegram_number`]; empty
    /// for links that name no number).
    pub number: String,
    /// Link form (`wa.me`, …).
    pub kind: LinkKind,
    /// Page of contact: the URL where the link was clicked.
    pub page_url: String,
    /// The page of contact as reports count it ([`page_key`]).
    pub page_key: String,
    /// Server receipt time.
    pub at_ms: i64,
    /// The visitor denies advertising consent (withdrawn since the session's last page
    /// view, say): the session is marked so (see `storage/ingest.rs`).
    pub ads_denied: bool,
    /// The client signal ([`crate::client_signal`]), set by the caller when known.
    pub client: Option<i64>,
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

/// What the request tells of whoever sent a beacon, besides the beacon: what enrichment
/// needs. The IP address is looked up and forgotten; only the region is kept.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The `User-Agent` header (empty when absent).
    pub user_agent: &'a str,
    /// The client's address, when known.
    pub ip: Option<IpAddr>,
    /// The GeoIP databases that place it.
    pub geo: &'a GeoIp,
}

impl<'a> Sender<'a> {
    /// A sender known by its user agent alone, whose region is unknown.
    pub fn user_agent(user_agent: &'a str) -> Sender<'a> {
        static NO_GEOIP: GeoIp = GeoIp::none();
        Sender {
            user_agent,
            ip: None,
            geo: &NO_GEOIP,
        }
    }

    fn region(&self) -> Region {
        self.ip.map(|ip| self.geo.lookup(ip)).unwrap_or_default()
    }
}

impl Visit {
    /// Validates a visit beacon for `site` and enriches it with what the request tells of its
    /// sender: device from the user agent, region from the address.
    pub fn parse(
        site: &Site,
        b: VisitBeacon,
        sender: Sender<'_>,
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
        let referrer = referrer.filter(|r| {
            r.host_str()
                .is_some_and(|h| !filter::is_own_host(&site.domains, h))
        });
        let referrer_domain = referrer.as_ref().and_then(channel::referrer_domain);
        let attribution = Attribution::from_url(&url);
        let class = channel::classify(&attribution, referrer.as_ref(), &site.channel_rules);
        let visitor_id = parse_uuid(beacon::field::VISITOR, &b.visitor)?;
        let session_id = parse_uuid(beacon::field::SESSION, &b.session)?;
        let code = parse_code(&b.code)?;
        let screen_w = screen(beacon::field::SCREEN_W, b.screen_w)?;
        let screen_h = screen(beacon::field::SCREEN_H, b.screen_h)?;
        let language = short(beacon::field::LANGUAGE, b.language)?;
        let timezone = short(beacon::field::TIMEZONE, b.timezone)?;
        let ads = AdSignals::parse(b.ga_client_id, b.ga_session_id, b.ym_client_id, b.ads)?;
        Ok(Visit {
            site_id: site.id,
            visitor_id,
            session_id,
            code,
            at_ms,
            page_key: page_key(url.as_str(), &site.domains),
            url: url.into(),
            referrer: referrer.map(String::from),
            referrer_domain,
            attribution,
            channel: class.channel,
            source: class.source,
            keyword: class.keyword,
            device: Device::from_user_agent(sender.user_agent),
            // Last, so an invalid beacon costs no lookup.
            region: sender.region(),
            screen_w,
            screen_h,
            language,
            timezone,
            ads,
            client: None,
        })
    }

    /// Why the visit must not be stored (a robot, referrer spam), if it must not.
    pub fn dropped(&self) -> Option<Dropped> {
        filter::screen_visit(self.device.robot, self.referrer_domain.as_deref())
    }
}

impl Click {
    /// Validates a click beacon for `site`: the number must be one the site tracks (a bot of
    /// the site for Telegram links; none for `wa.me/message` links, which name no number).
    pub fn parse(site: &Site, b: ClickBeacon, at_ms: i64) -> Result<Click, BeaconError> {
        let kind = LinkKind::parse(&b.kind)
            .ok_or_else(|| invalid(beacon::field::KIND, "not a known link kind"))?;
        let number = match kind {
            LinkKind::WaMeMessage => Some(String::new()),
            k if k.is_telegram() => normalize_bot(&b.number)
                .filter(|n| site.bots.contains(n))
                .map(|bot| telegram_number(&bot)),
            _ => {
                normalize_number(&b.number).filter(|n| site.numbers.iter().any(|t| &t.number == n))
            }
        }
        .ok_or_else(|| invalid(beacon::field::NUMBER, "not a tracked number of this site"))?;
        let page = parse_page_url(beacon::field::PAGE, &b.page)?;
        Ok(Click {
            page_key: page_key(page.as_str(), &site.domains),
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
            page_url: page.into(),
            at_ms,
            ads_denied: ads::ads_denied(b.ads),
            client: None,
        })
    }
}

#[cfg(test)]
mod channel_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::site::TrackedNumber;

    fn click(kind: &str, number: &str) -> Result<Click, BeaconError> {
        let mut site = channel_tests::site(&[]);
        site.numbers = vec![TrackedNumber {
            number: "79001234567".into(),
            wa_phone_number_id: None,
        }];
        site.bots = vec!["oak_bot".into()];
        let b = ClickBeacon {
            site: "shop".into(),
            visitor: "0".repeat(32),
            session: "1".repeat(32),
            code: "K7Q2M9VA".into(),
            page: "https://shop.test/oak".into(),
            number: number.into(),
            kind: kind.into(),
            id: None,
            ..ClickBeacon::default()
        };
        Click::parse(&site, b, 0)
    }

    #[test]
    fn clicks_carry_a_known_link_kind() {
        for k in LinkKind::ALL {
            let number = match k {
                LinkKind::WaMeMessage => "",
                k if k.is_telegram() => "oak_bot",
                _ => "+7 900 123-45-67",
            };
            assert_eq!(click(k.as_str(), number).map(|c| c.kind), Ok(k));
        }
        for unknown in ["", "WA.ME", "viber"] {
            assert_eq!(
                click(unknown, "79001234567").unwrap_err(),
                invalid(beacon::field::KIND, "not a known link kind")
            );
        }
    }

    #[test]
    fn a_bot_is_spelled_as_dialogs_spell_it() {
        for spelled in ["oak_bot", "@Oak_Bot", " oak_bot "] {
            let c = click("t.me", spelled).unwrap();
            assert_eq!(c.number, "@oak_bot", "{spelled:?}");
        }
        assert!(click("tg", "other_bot").is_err(), "not a bot of the site");
    }

    #[test]
    fn a_visit_without_an_address_has_no_region() {
        let site = channel_tests::site(&[]);
        let b = VisitBeacon {
            site: "shop".into(),
            visitor: "0".repeat(32),
            session: "1".repeat(32),
            code: "K7Q2M9VA".into(),
            url: "https://shop.test/".into(),
            ..VisitBeacon::default()
        };
        let v = Visit::parse(&site, b, Sender::user_agent("curl/8.0"), 0).unwrap();
        assert!(v.region.is_unknown());
        assert!(v.dropped().is_some(), "curl is a crawler");
    }
}
