//! Ingest traffic shaped like the real thing, as HTTP requests: the snippet's visit and click
//! beacons (`text/plain` JSON, browser user agents, landing pages with click ids, UTM tags and
//! Cyrillic paths, sessions of several page views) and Meta's signed Cloud API webhooks.
//!
//! Each request carries the [`Promise`] its acknowledgement makes (this page view, this click,
//! this message is stored), so the crash test can check every acknowledged one. Generators are
//! deterministic for a seed and cheap to run: the benchmark's load generator makes a request
//! per send, so what it costs is part of what the load generator costs.

use std::sync::Arc;

use chatrail_collector::providers::signature::hub_signature;
use chatrail_core::beacon::{format_id, ClickBeacon, VisitBeacon};
use chatrail_core::code::SessionCode;
use serde_json::json;

use crate::app::{APP_SECRET, PHONE_NUMBER_ID, TRACKED_DIGITS};

/// A small deterministic generator (xorshift64), so runs are comparable.
#[derive(Debug, Clone)]
pub struct XorShift(pub u64);

impl XorShift {
    /// A generator whose sequence depends on every bit of `seed` (splitmix64 first), so
    /// neighbouring seeds give unrelated sequences.
    pub fn seeded(seed: u64) -> XorShift {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        XorShift((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A new id in the beacons' format, made as the snippet makes it: a UUIDv7 (the time
    /// first, then random bits).
    pub fn id(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let random = u128::from(a) << 64 | u128::from(b);
        let id = uuid::Builder::from_unix_timestamp_millis(
            chatrail_collector::domain::now_ms() as u64,
            &random.to_be_bytes()[..10].try_into().expect("10 bytes"),
        );
        format_id(*id.as_uuid().as_bytes())
    }

    /// A fresh session code.
    pub fn code(&mut self) -> String {
        SessionCode::generate(|| self.next_u64() as u32).to_string()
    }
}

/// Landing pages of real ad traffic: click ids, UTM tags, Cyrillic paths (a click id is
/// appended).
pub const LANDINGS: [&str; 4] = [
    "https://shop.test/kids/?utm_source=google&utm_medium=cpc&utm_campaign=winter&gclid=",
    "https://shop.test/%D0%B4%D0%B5%D1%82%D1%8F%D0%BC/?utm_source=yandex&utm_medium=cpc&yclid=",
    "https://shop.test/sale?utm_source=facebook&utm_medium=paid_social&fbclid=",
    "https://shop.test/?utm_source=loadtest&utm_medium=cpc&ref=",
];

/// Pages a visitor moves on to after landing (distinct, so a session's page views are).
const PAGES: [&str; 6] = [
    "https://shop.test/catalog/tables/oak-table-180",
    "https://shop.test/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3/%D1%81%D1%82%D0%BE%D0%BB%D1%8B",
    "https://shop.test/delivery",
    "https://shop.test/prices?sort=price_asc",
    "https://shop.test/%D0%BA%D0%BE%D0%BD%D1%82%D0%B0%D0%BA%D1%82%D1%8B",
    "https://shop.test/kids/beds/",
];

/// Referrers of landings, `None` for direct traffic.
const REFERRERS: [Option<&str>; 4] = [
    Some("https://www.google.com/"),
    Some("https://yandex.ru/"),
    Some("http://m.facebook.com/"),
    None,
];

/// User agents of real browsers (none a robot: a robot's beacon is dropped, not stored).
pub const USER_AGENTS: [&str; 5] = [
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 YaBrowser/24.6.0.0 Safari/537.36",
];

/// Screen sizes (CSS pixels), phones first.
const SCREENS: [(u32, u32); 3] = [(390, 844), (412, 915), (1920, 1080)];

/// What an acknowledgement of a request promises is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Promise {
    /// A page view: the session (its id, in the beacons' hex) and the page's URL.
    PageView {
        /// Session id.
        session: String,
        /// The page URL.
        url: String,
        /// The session's code, which a message may carry.
        code: String,
    },
    /// A click, by its id.
    Click(String),
    /// A Cloud API message, by its `wamid`.
    Message(String),
}

/// One HTTP request of the traffic.
#[derive(Debug, Clone)]
pub struct Request {
    /// `/collect/visit`, `/collect/click` or `/webhooks/whatsapp`.
    pub path: &'static str,
    /// The body's content type, as the sender sets it.
    pub content_type: &'static str,
    /// The sender's user agent.
    pub user_agent: &'static str,
    /// `X-Hub-Signature-256`, for webhooks.
    pub signature: Option<String>,
    /// The body.
    pub body: String,
    /// What an acknowledgement promises.
    pub promise: Promise,
}

/// A source of requests, one per connection.
pub trait Traffic: Send + 'static {
    /// The next request.
    fn next_request(&mut self) -> Request;
}

/// The content type `navigator.sendBeacon` gives a string body.
const BEACON_TYPE: &str = "text/plain;charset=UTF-8";

/// The open session of a [`Visits`] generator.
struct Session {
    visitor: String,
    session: String,
    code: String,
    user_agent: &'static str,
    screen: (u32, u32),
    views_left: usize,
    last_url: String,
}

/// Visit beacons of visitors browsing the site: sessions of one to four page views, the
/// first on an ad landing page, the next on distinct pages of the site; or, made with
/// [`Visits::clicking`], sessions of one page view and a click on the tracked number there.
pub struct Visits {
    rng: XorShift,
    site: String,
    open: Option<Session>,
    clicking: bool,
    click_due: bool,
}

impl Visits {
    /// Visits to `site`, from `seed`.
    pub fn new(site: &str, seed: u64) -> Visits {
        Visits {
            rng: XorShift::seeded(seed),
            site: site.to_owned(),
            open: None,
            clicking: false,
            click_due: false,
        }
    }

    /// Sessions of one page view each, followed by a click on the tracked number on that
    /// page: clicks a probable match may count (it counts a click only with its visit).
    pub fn clicking(site: &str, seed: u64) -> Visits {
        Visits {
            clicking: true,
            ..Visits::new(site, seed)
        }
    }
}

impl Traffic for Visits {
    fn next_request(&mut self) -> Request {
        if std::mem::take(&mut self.click_due) {
            let s = self.open.as_ref().expect("a clicking session is open");
            let ids = (s.visitor.clone(), s.session.clone(), s.code.clone());
            return click(&self.site, &mut self.rng, ids, &s.last_url, s.user_agent);
        }
        self.click_due = self.clicking;
        let rng = &mut self.rng;
        let (url, referrer) = match &mut self.open {
            Some(s) if s.views_left > 0 => {
                s.views_left -= 1;
                let url = PAGES[s.views_left % PAGES.len()].to_owned();
                (url, Some(std::mem::take(&mut s.last_url)))
            }
            _ => {
                let landing = rng.below(LANDINGS.len());
                self.open = Some(Session {
                    visitor: rng.id(),
                    session: rng.id(),
                    code: rng.code(),
                    user_agent: USER_AGENTS[rng.below(USER_AGENTS.len())],
                    screen: SCREENS[rng.below(SCREENS.len())],
                    views_left: if self.clicking { 0 } else { rng.below(4) },
                    last_url: String::new(),
                });
                let url = format!("{}{}", LANDINGS[landing], rng.id());
                (url, REFERRERS[landing].map(str::to_owned))
            }
        };
        let s = self.open.as_mut().expect("a session is open");
        s.last_url.clone_from(&url);
        let beacon = VisitBeacon {
            site: self.site.clone(),
            visitor: s.visitor.clone(),
            session: s.session.clone(),
            code: s.code.clone(),
            url: url.clone(),
            referrer,
            screen_w: Some(s.screen.0),
            screen_h: Some(s.screen.1),
            language: Some("ru-RU".into()),
            timezone: Some("Europe/Moscow".into()),
            ..VisitBeacon::default()
        };
        Request {
            path: "/collect/visit",
            content_type: BEACON_TYPE,
            user_agent: s.user_agent,
            signature: None,
            body: serde_json::to_string(&beacon).expect("a beacon serializes"),
            promise: Promise::PageView {
                session: s.session.clone(),
                url,
                code: s.code.clone(),
            },
        }
    }
}

/// Click beacons on the site's tracked WhatsApp number, each from another session, each with
/// its own click id.
pub struct Clicks {
    rng: XorShift,
    site: String,
}

impl Clicks {
    /// Clicks on `site`'s tracked number, from `seed`.
    pub fn new(site: &str, seed: u64) -> Clicks {
        Clicks {
            rng: XorShift::seeded(seed),
            site: site.to_owned(),
        }
    }
}

impl Traffic for Clicks {
    fn next_request(&mut self) -> Request {
        let rng = &mut self.rng;
        let ids = (rng.id(), rng.id(), rng.code());
        let page = PAGES[rng.below(PAGES.len())];
        let user_agent = USER_AGENTS[rng.below(USER_AGENTS.len())];
        click(&self.site, rng, ids, page, user_agent)
    }
}

/// A click beacon on the tracked number from the session `(visitor, session, code)`.
fn click(
    site: &str,
    rng: &mut XorShift,
    (visitor, session, code): (String, String, String),
    page: &str,
    user_agent: &'static str,
) -> Request {
    let id = rng.id();
    let beacon = ClickBeacon {
        site: site.to_owned(),
        visitor,
        session,
        code,
        page: page.to_owned(),
        number: TRACKED_DIGITS.to_owned(),
        kind: ["wa.me", "api.whatsapp.com", "whatsapp"][rng.below(3)].to_owned(),
        id: Some(id.clone()),
        ..ClickBeacon::default()
    };
    Request {
        path: "/collect/click",
        content_type: BEACON_TYPE,
        user_agent,
        signature: None,
        body: serde_json::to_string(&beacon).expect("a beacon serializes"),
        promise: Promise::Click(id),
    }
}

/// Messages each contact of [`Webhooks`] writes.
const PER_CONTACT: u64 = 3;

/// Meta's Cloud API webhooks, one text message each, signed with the test app secret, to the
/// tracked number's phone number id: each contact writes three messages, and a third of the
/// contacts' first messages carry one of `codes` (sessions the collector has).
pub struct Webhooks {
    rng: XorShift,
    codes: Arc<Vec<String>>,
    sent: u64,
    phone: String,
}

impl Webhooks {
    /// Webhooks from `seed`, whose first messages may carry `codes`.
    pub fn new(seed: u64, codes: Arc<Vec<String>>) -> Webhooks {
        Webhooks {
            rng: XorShift::seeded(seed),
            codes,
            sent: 0,
            phone: String::new(),
        }
    }
}

impl Traffic for Webhooks {
    fn next_request(&mut self) -> Request {
        let rng = &mut self.rng;
        let nth = self.sent % PER_CONTACT;
        self.sent += 1;
        if nth == 0 {
            self.phone = format!("55{:011}", rng.next_u64() % 100_000_000_000);
        }
        let text = match nth {
            0 if !self.codes.is_empty() && rng.below(3) == 0 => format!(
                "Здравствуйте! Стол в наличии? (ref {})",
                self.codes[rng.below(self.codes.len())]
            ),
            0 => "Здравствуйте! Стол в наличии?".to_owned(),
            _ => format!("А доставка в субботу возможна? {nth}"),
        };
        let wamid = format!("wamid.HBgM{}", rng.id().to_uppercase());
        let now_s = chrono::Utc::now().timestamp();
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "310987654321098",
            "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": TRACKED_DIGITS, "phone_number_id": PHONE_NUMBER_ID},
                "contacts": [{"profile": {"name": "Анна"}, "wa_id": self.phone}],
                "messages": [{"from": self.phone, "id": wamid, "timestamp": now_s.to_string(),
                    "type": "text", "text": {"body": text}}]}}]}]})
        .to_string();
        Request {
            path: "/webhooks/whatsapp",
            content_type: "application/json",
            user_agent: "facebookexternalua",
            signature: Some(hub_signature(APP_SECRET.as_bytes(), body.as_bytes())),
            body,
            promise: Promise::Message(wamid),
        }
    }
}
