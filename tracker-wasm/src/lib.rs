//! The chatrail page snippet's decisions, asked for by its browser side
//! (`js/loader.js`): which session a page view belongs to, what every link
//! becomes, and what each beacon says.
//!
//! The split is for size. Each browser API reached through web-sys costs a
//! JS shim plus marshalling code in the wasm, and each exported function a
//! JS wrapper, so the loader touches the page (events, storage, network)
//! and asks everything through one function, [`run`], with plain strings;
//! every rule lives in Rust, in `chatrail-core` or [`session`], tested on
//! the host. Nothing here may panic on the page's input: a failure answers
//! `None`, and the loader then leaves the link as the site wrote it.

use std::cell::RefCell;

use chatrail_core::beacon::{field, format_id, JsonObject, PageRule, SiteConfig};
use chatrail_core::beacon::{MAX_BEACON_BYTES, MAX_SHORT_LEN, MAX_URL_LEN};
use chatrail_core::code::SessionCode;
use chatrail_core::links::{
    chat_link, normalize_bot, parse_chat_link, rewrite_chat_link, LinkKind, Tracked,
    DEFAULT_TEMPLATE,
};
use chatrail_core::phone::normalize_number;
use chatrail_core::text::{fields, hex_digit, parse_decimal};
use wasm_bindgen::prelude::*;

pub mod session;

use session::Ids;

/// What the loader asks [`run`], by number; the arguments and answers are
/// fields joined by [`SEP`].
pub mod op {
    /// A page view. Arguments: site key, stored visitor record, stored
    /// session record, now (ms), page URL, referrer, 40 random bytes in hex,
    /// screen width, screen height, language, time zone. Answer: visitor
    /// record, session record, session code, visit beacon.
    pub const VIEW: u32 = 0;
    /// The site's configuration. Arguments: numbers, bots and domains (each
    /// comma-separated), template, then path, text and template of each
    /// page rule. No answer.
    pub const CONFIGURE: u32 = 1;
    /// What a link becomes. Arguments: its original href, its own starter
    /// text. Answer: the new href, or none to leave it alone.
    pub const TAG: u32 = 2;
    /// A chat is being opened. Arguments: the link, the page URL. Answer:
    /// the click beacon, or none when the link is no chat to count.
    pub const CLICK: u32 = 3;
    /// The JS API's chat URL. Arguments: number (or `@bot`), text. Answer:
    /// the URL, carrying the code when the chat is tracked.
    pub const CHAT_URL: u32 = 4;
    /// Consent withdrawn: forget the ids, so nothing is tagged.
    pub const RESET: u32 = 5;
    /// [`TAG`] for many links at once. Arguments: href and text of each link.
    /// Answer: each link's new href (empty to leave it alone), in order.
    pub const TAGS: u32 = 6;
}

/// Separates the fields of [`run`]'s arguments and answers (ASCII unit
/// separator: no URL, record or config text has one).
pub const SEP: char = '\u{1f}';

/// What the snippet knows: the site, this page view and the site's config.
#[derive(Default)]
struct State {
    site: String,
    /// `None` until the first page view, and after consent is withdrawn.
    ids: Option<Ids>,
    url: String,
    config: SiteConfig,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Answers the loader's question `op` (see [`op`]) about `args`.
#[wasm_bindgen]
pub fn run(op: u32, args: &str) -> Option<String> {
    let mut args = fields(args, SEP as u8);
    let mut arg = move || args.next().unwrap_or_default();
    STATE.with(|state| {
        let s = &mut state.borrow_mut();
        match op {
            op::VIEW => Some(s.view(&mut arg)),
            op::CONFIGURE => {
                s.configure(&mut arg);
                None
            }
            op::TAG => {
                let (href, text) = (arg(), arg());
                s.tag(href, (!text.is_empty()).then_some(text))
            }
            op::CLICK => s.click(arg(), arg()),
            op::CHAT_URL => {
                let plain = chat_link(arg(), arg())?;
                Some(s.tag(&plain, None).unwrap_or(plain))
            }
            op::TAGS => {
                let mut answers = String::new();
                loop {
                    let (href, text) = (arg(), arg());
                    if href.is_empty() {
                        break Some(answers);
                    }
                    let text = (!text.is_empty()).then_some(text);
                    answers.push_str(&s.tag(href, text).unwrap_or_default());
                    answers.push(SEP);
                }
            }
            op::RESET => {
                s.ids = None;
                None
            }
            _ => None,
        }
    })
}

/// At most `max` bytes of `s`, cut on a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// The browser's random bytes (hex), then (only after several rejected
/// codes, which is rare) a generator seeded by them.
struct Entropy<'a> {
    hex: &'a [u8],
    mix: u32,
}

impl Entropy<'_> {
    fn byte(&mut self) -> u8 {
        let fresh = match self.hex {
            [high, low, rest @ ..] => {
                self.hex = rest;
                hex_digit(*high)
                    .zip(hex_digit(*low))
                    .map(|(h, l)| h << 4 | l)
            }
            _ => None,
        };
        self.mix = self
            .mix
            .wrapping_mul(1_103_515_245)
            .wrapping_add(12_345 ^ u32::from(fresh.unwrap_or(0)));
        fresh.unwrap_or((self.mix >> 24) as u8)
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        core::array::from_fn(|_| self.byte())
    }
}

impl State {
    fn tracked(&self) -> Tracked<'_> {
        Tracked {
            numbers: &self.config.numbers,
            bots: &self.config.bots,
        }
    }

    /// The fields every beacon starts with.
    fn beacon(&self, ids: &Ids) -> JsonObject {
        let mut code = String::new();
        ids.code.push_to(&mut code);
        let mut json = JsonObject::default();
        json.str(field::SITE, &self.site)
            .str(field::VISITOR, &ids.visitor)
            .str(field::SESSION, &ids.session)
            .str(field::CODE, &code);
        json
    }

    fn view<'a>(&mut self, arg: &mut impl FnMut() -> &'a str) -> String {
        let (site, visitor, session) = (arg(), arg(), arg());
        let now = parse_decimal(arg()).unwrap_or_default();
        let (url, referrer) = (clip(arg(), MAX_URL_LEN), clip(arg(), MAX_URL_LEN));
        let mut random = Entropy {
            hex: arg().as_bytes(),
            mix: 1,
        };
        let source = session::source(url, referrer, &self.config);
        let visitor = session::visitor(Some(visitor), now, || random.array());
        let (session, code, source) = session::resume(session, now, &source).unwrap_or_else(|| {
            let id = format_id(random.array());
            let code = SessionCode::generate(|| u32::from_le_bytes(random.array()));
            (id, code, source)
        });
        let ids = Ids {
            visitor,
            session,
            code,
        };
        self.site = site.into();
        self.url = url.into();

        let mut out = session::encode_visitor(&ids.visitor, now);
        out.push(SEP);
        out.push_str(&session::encode(&ids.session, &ids.code, now, &source));
        out.push(SEP);
        ids.code.push_to(&mut out);
        out.push(SEP);
        let screen = |v: &str| parse_decimal(v).filter(|&v| v > 0 && v <= 100_000);
        let short = |v: &'a str| (!v.is_empty() && v.len() <= MAX_SHORT_LEN).then_some(v);
        let beacon = self
            .beacon(&ids)
            .str(field::URL, url)
            .opt_str(field::REFERRER, (!referrer.is_empty()).then_some(referrer))
            .opt_num(field::SCREEN_W, screen(arg()).map(|v| v as u32))
            .opt_num(field::SCREEN_H, screen(arg()).map(|v| v as u32))
            .opt_str(field::LANGUAGE, short(arg()))
            .opt_str(field::TIMEZONE, short(arg()))
            .finish();
        if beacon.len() <= MAX_BEACON_BYTES {
            out.push_str(&beacon);
        }
        self.ids = Some(ids);
        out
    }

    fn configure<'a>(&mut self, arg: &mut impl FnMut() -> &'a str) {
        let words = |s: &str, f: fn(&str) -> Option<String>| -> Vec<String> {
            fields(s, b',').filter_map(f).collect()
        };
        let numbers = words(arg(), normalize_number);
        let bots = words(arg(), normalize_bot);
        let domains = words(arg(), |d| (!d.is_empty()).then(|| d.to_ascii_lowercase()));
        let template = match arg() {
            "" => DEFAULT_TEMPLATE.into(),
            t => t.into(),
        };
        let mut pages = Vec::new();
        loop {
            let (path, text, template) = (arg(), arg(), arg());
            if path.is_empty() {
                break;
            }
            pages.push(PageRule {
                path: path.into(),
                text: text.into(),
                template: (!template.is_empty()).then(|| template.into()),
            });
        }
        self.config = SiteConfig {
            numbers,
            template,
            bots,
            domains,
            pages,
        };
    }

    /// A link's new href on this page: its own starter text, else the page
    /// rule's; the page rule's template, else the site's.
    fn tag(&self, href: &str, text: Option<&str>) -> Option<String> {
        let code = &self.ids.as_ref()?.code;
        let config = &self.config;
        let rule = config.page(session::path(&self.url));
        let template = rule
            .and_then(|r| r.template.as_deref())
            .unwrap_or(&config.template);
        let starter = text.or(rule.map(|r| r.text.as_str())).unwrap_or_default();
        rewrite_chat_link(href, self.tracked(), template, starter, code).map(|r| r.href)
    }

    /// The click beacon of a tracked chat link or a `wa.me/message` one.
    fn click(&self, href: &str, page: &str) -> Option<String> {
        let ids = self.ids.as_ref()?;
        let link = parse_chat_link(href)?;
        let number = match link.kind {
            LinkKind::WaMeMessage => String::new(),
            kind => link.number.filter(|n| self.tracked().tracks(kind, n))?,
        };
        Some(
            self.beacon(ids)
                .str(field::PAGE, clip(page, MAX_URL_LEN))
                .str(field::NUMBER, &number)
                .str(field::KIND, link.kind.as_str())
                .finish(),
        )
    }
}

#[cfg(test)]
mod tests;
