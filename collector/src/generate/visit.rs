//! A synthetic session as a beacon would have made it: a landing URL with the source's tags
//! and click id, a referrer, both classified by the collector's own classifier; a device
//! named by its user-agent parser, a screen, a place; and a real session code.

use std::collections::HashMap;

use chatrail_core::code::SessionCode;
use rand::rngs::StdRng;
use rand::Rng;
use url::Url;

use super::mix::{ClickId, Source, PAGES, SOURCES};
use super::people::{agents, Agent, Place, PLACES, UNKNOWN_PLACE};
use super::rows::SyntheticSession;
use super::{cumulative, pick, uuid};
use crate::domain::page::page_key;
use crate::domain::site::Site;
use crate::enrich::attribution::Attribution;
use crate::enrich::channel::{classify, referrer_domain, Classification};

/// What a drawn visit came from, for the generator's chat decisions.
pub(super) struct Drawn {
    pub(super) session: SyntheticSession,
    /// Its landing page (index into [`PAGES`]).
    pub(super) landing: usize,
    /// Relative chance of a chat-link click.
    pub(super) clicky: f64,
    /// Whether its campaign leads to chats at all.
    pub(super) chats: bool,
    /// Where the visitor is.
    pub(super) place: Option<&'static Place>,
}

/// The draws, set up once per run.
pub(super) struct Visits<'a> {
    site: &'a Site,
    /// The site's own host (its first domain).
    host: String,
    source_cum: Vec<f64>,
    page_cum: Vec<f64>,
    place_cum: Vec<f64>,
    agents: Vec<Agent>,
    agent_cum: Vec<f64>,
    /// Percent-encoded paths, as browsers send them.
    paths: Vec<String>,
    /// Classification per (source, campaign, ad, keyword, referrer): click id values change
    /// nothing, so the classifier runs once per combination.
    classified: HashMap<[usize; 5], (Classification, Option<String>)>,
    /// Session codes come from distinct 30-bit values: odd multiples of a counter are a
    /// permutation, so no two sessions of a run share a code.
    code_counter: u32,
}

/// A random `len` characters of `alphabet`.
pub(super) fn token(rng: &mut StdRng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

pub(super) const BASE64URL: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A click id value shaped like the platform's.
fn click_id_value(rng: &mut StdRng, kind: ClickId) -> String {
    match kind {
        ClickId::Gclid => format!("Cj0KCQjw{}", token(rng, BASE64URL, 48)),
        ClickId::Yclid => format!(
            "{}",
            rng.random_range(1_000_000_000_000_000_000u64..u64::MAX)
        ),
        ClickId::Fbclid => format!("IwAR{}", token(rng, BASE64URL, 52)),
        ClickId::None => String::new(),
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl<'a> Visits<'a> {
    pub(super) fn new(site: &'a Site, rng: &mut StdRng) -> Visits<'a> {
        let (agents, agent_cum) = agents();
        let host = site
            .domains
            .first()
            .map_or("shop.example", |d| d.as_str())
            .to_owned();
        let paths = PAGES
            .iter()
            .map(|p| {
                Url::parse(&format!("https://{host}{p}"))
                    .map(|u| u.path().to_owned())
                    .unwrap_or_else(|_| (*p).to_owned())
            })
            .collect();
        Visits {
            site,
            host,
            source_cum: cumulative(SOURCES.iter().map(|s| s.share)),
            page_cum: cumulative((0..PAGES.len()).map(|i| 1.0 / (i as f64 + 1.0))),
            place_cum: cumulative(PLACES.iter().map(|p| p.share)),
            agents,
            agent_cum,
            paths,
            classified: HashMap::new(),
            code_counter: rng.random(),
        }
    }

    /// A page of the site, by popularity: its index and URL.
    pub(super) fn page(&self, rng: &mut StdRng) -> (usize, String) {
        let i = pick(rng, &self.page_cum);
        (i, self.page_url(i))
    }

    /// The URL of page `i`.
    pub(super) fn page_url(&self, i: usize) -> String {
        format!("https://{}{}", self.host, self.paths[i])
    }

    /// The page key of a URL of this site.
    pub(super) fn key(&self, url: &str) -> String {
        page_key(url, &self.site.domains)
    }

    /// A fresh session code, distinct from every other of this run.
    fn code(&mut self) -> String {
        loop {
            self.code_counter = self.code_counter.wrapping_add(1);
            let bits = self.code_counter.wrapping_mul(0x2C1B_3C6D) & ((1 << 30) - 1);
            if let Some(code) = SessionCode::from_bits(bits) {
                return code.as_str().to_owned();
            }
        }
    }

    /// One visit starting at `started_at`.
    pub(super) fn draw(&mut self, rng: &mut StdRng, started_at: i64) -> Drawn {
        let si = pick(rng, &self.source_cum);
        let src: &Source = &SOURCES[si];
        let ci = (!src.campaigns.is_empty()).then(|| rng.random_range(0..src.campaigns.len()));
        let camp = ci.map(|i| &src.campaigns[i]);
        let ai = camp
            .filter(|c| !c.ads.is_empty())
            .map(|c| rng.random_range(0..c.ads.len()));
        let ki = camp
            .filter(|c| !c.keywords.is_empty())
            .map(|c| rng.random_range(0..c.keywords.len()));
        let ri = (!src.referrers.is_empty()).then(|| rng.random_range(0..src.referrers.len()));
        let (landing, mut url) = self.page(rng);
        let mut query: Vec<String> = Vec::new();
        if let (Some((source, medium)), Some(c)) = (src.tags, camp) {
            query.push(format!("utm_source={source}&utm_medium={medium}"));
            query.push(format!("utm_campaign={}", encode(c.name)));
            if let Some(ad) = ai.map(|i| c.ads[i]) {
                query.push(format!("utm_content={}", encode(ad)));
            }
            if let Some(kw) = ki.map(|i| c.keywords[i]) {
                query.push(format!("utm_term={}", encode(kw)));
            }
        }
        let click_ids = src.click_id.param().map(|param| {
            let value = click_id_value(rng, src.click_id);
            query.push(format!("{param}={value}"));
            format!(r#"{{"{param}":"{value}"}}"#)
        });
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        let referrer = ri.map(|i| src.referrers[i]);
        let key = [
            si,
            ci.map_or(0, |i| i + 1),
            ai.map_or(0, |i| i + 1),
            ki.map_or(0, |i| i + 1),
            ri.map_or(0, |i| i + 1),
        ];
        let rules = &self.site.channel_rules;
        let (class, domain) = self
            .classified
            .entry(key)
            .or_insert_with(|| {
                let page = Url::parse(&url).ok();
                let attribution = page.as_ref().map(Attribution::from_url).unwrap_or_default();
                let referrer = referrer.and_then(|r| Url::parse(r).ok());
                let domain = referrer.as_ref().and_then(referrer_domain);
                (classify(&attribution, referrer.as_ref(), rules), domain)
            })
            .clone();
        let code = self.code();
        let agent = &self.agents[pick(rng, &self.agent_cum)];
        let screen = agent.screens[rng.random_range(0..agent.screens.len())];
        let place =
            (rng.random::<f64>() >= UNKNOWN_PLACE).then(|| &PLACES[pick(rng, &self.place_cum)]);
        let d = &agent.device;
        let camp_tags = camp.filter(|_| src.tags.is_some());
        let session = SyntheticSession {
            session_id: uuid(rng),
            visitor_id: uuid(rng),
            code,
            started_at,
            pageviews: rng.random_range(1..8),
            landing_key: self.key(&url),
            landing_page: url,
            referrer: referrer.map(Into::into),
            referring_domain: domain,
            utm_source: camp_tags.and(src.tags).map(|t| t.0.into()),
            utm_medium: camp_tags.and(src.tags).map(|t| t.1.into()),
            utm_campaign: camp_tags.map(|c| c.name.into()),
            utm_content: camp_tags
                .and(ai)
                .and_then(|i| camp.map(|c| c.ads[i].into())),
            utm_term: camp_tags
                .and(ki)
                .and_then(|i| camp.map(|c| c.keywords[i].into())),
            click_ids,
            channel: class.channel.as_str().to_owned(),
            source: class.source,
            keyword: class.keyword,
            device: d.category.clone(),
            os: d.os.clone(),
            os_version: d.os_version.clone(),
            browser: d.browser.clone(),
            browser_version: d.browser_version.clone(),
            screen_w: Some(screen.0),
            screen_h: Some(screen.1),
            language: Some(place.map_or("ru-RU", |p| p.language).into()),
            timezone: Some(place.map_or("Europe/Moscow", |p| p.timezone).into()),
            country: place.map(|p| p.country.into()),
            region: place.map(|p| p.region.into()),
            city: place.map(|p| p.city.into()),
        };
        Drawn {
            session,
            landing,
            clicky: src.clicky,
            chats: camp.is_none_or(|c| c.chats),
            place,
        }
    }
}
