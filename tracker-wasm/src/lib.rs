//! The chatrail page snippet's decisions, asked for by its browser side
//! (`js/`, see its README): the session code, what every link becomes, and which
//! chat a click opens.
//!
//! The split is for size. Each browser API reached through web-sys costs a
//! JS shim plus marshalling code in the wasm, and each exported function a
//! JS wrapper, so the loader touches the page (events, storage, network)
//! and asks everything through one function, [`answer`], with plain strings.
//! What the server shares (session codes, link forms and rewriting) lives
//! in `chatrail-core`, tested on the host; what the browser does better
//! with its own URL and JSON (visitor and session records, traffic
//! sources, beacon bodies) lives in the loader, tested in Chromium.
//! Nothing here may panic on the page's input: a failure answers `None`,
//! and the loader then leaves the link as the site wrote it.

use std::cell::RefCell;

use chatrail_core::beacon::{PageRule, SiteConfig};
use chatrail_core::code::SessionCode;
use chatrail_core::links::{
    normalize_bot, parse_chat_link, rewrite_chat_link_into, LinkKind, Tracked, DEFAULT_TEMPLATE,
};
use chatrail_core::phone::normalize_number;
use chatrail_core::text::{fields, hex_digit};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
mod heap;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: heap::Bump = heap::Bump;

/// What the loader asks [`answer`], by number; the arguments and answers are
/// fields joined by [`SEP`].
pub mod op {
    /// A page view. Arguments: the stored session code (or none),
    /// [`VIEW_RANDOM_BYTES`] random bytes in hex, the page's path. Answer:
    /// the session code (the stored one when it is valid, else a new one).
    /// The loader keeps the visitor and session records and sends the
    /// beacons.
    pub const VIEW: u32 = 0;
    /// The random bytes a [`VIEW`] brings: four a try at a new code, and a
    /// try is rejected rarely (fewer bytes still make a code).
    pub const VIEW_RANDOM_BYTES: usize = 20;
    /// The site's configuration. Arguments: numbers and bots (each
    /// comma-separated), template, then path, text and template of each
    /// page rule. No answer.
    pub const CONFIGURE: u32 = 1;
    /// A chat is being opened. Argument: the link. Answer: the chat's
    /// number (or bot, or empty) and the link's form, or none when the
    /// link is no chat to count.
    pub const CLICK: u32 = 3;
    /// Consent withdrawn: forget the code, so nothing is tagged.
    pub const RESET: u32 = 5;
    /// What links become. Arguments: the original href and own starter text
    /// of each link. Answer: each link's new href (empty to leave it alone),
    /// in order. (2 was one link's; 4 the JS API's chat URL, which the
    /// loader now makes and asks about as a link.)
    pub const TAGS: u32 = 6;
}

/// Separates the fields of [`answer`]'s arguments and answers (ASCII unit
/// separator: no URL, record or config text has one).
pub const SEP: char = '\u{1f}';

/// What the snippet knows: the session code, the page's path and the
/// site's config.
struct State {
    /// `None` until the first page view, and after consent is withdrawn.
    code: Option<SessionCode>,
    path: String,
    config: SiteConfig,
}

thread_local! {
    // Built without allocating: the first question may be one whose
    // allocations are forgotten (see `heap`).
    static STATE: RefCell<State> = const {
        RefCell::new(State {
            code: None,
            path: String::new(),
            config: SiteConfig {
                numbers: Vec::new(),
                template: String::new(),
                bots: Vec::new(),
                domains: Vec::new(),
                pages: Vec::new(),
            },
        })
    };
}

/// Reserves `len` bytes for the loader's next question (for [`run`]) and
/// returns where; everything the previous question allocated is forgotten
/// then, unless it changed the state.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub fn buf(len: usize) -> usize {
    heap::begin(len)
}

/// Where [`run`]'s last answer is.
#[cfg(target_arch = "wasm32")]
static OUT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Answers the question `op` whose `len` bytes the loader wrote at [`buf`]:
/// 0 for no answer, else the answer's length plus one; it is at [`out`].
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub fn run(op: u32, len: usize) -> usize {
    use core::sync::atomic::Ordering::Relaxed;
    if matches!(op, op::VIEW | op::CONFIGURE | op::RESET) {
        heap::keep();
    }
    match answer(op, heap::question(len)) {
        Some(text) => {
            OUT.store(text.as_ptr() as usize, Relaxed);
            let n = text.len() + 1;
            // Freed with the question, at the next `buf`.
            core::mem::forget(text);
            n
        }
        None => 0,
    }
}

/// Where the answer of the last [`run`] is.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub fn out() -> usize {
    OUT.load(core::sync::atomic::Ordering::Relaxed)
}

/// Answers the loader's question `op` (see [`op`]) about `args`.
pub fn answer(op: u32, args: &str) -> Option<String> {
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
            op::CLICK => s.click(arg()),
            op::TAGS => {
                let mut answers = String::new();
                loop {
                    let (href, text) = (arg(), arg());
                    if href.is_empty() {
                        break Some(answers);
                    }
                    let text = (!text.is_empty()).then_some(text);
                    s.tag_into(&mut answers, href, text);
                    answers.push(SEP);
                }
            }
            op::RESET => {
                s.code = None;
                None
            }
            _ => None,
        }
    })
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
}

impl State {
    fn tracked(&self) -> Tracked<'_> {
        Tracked {
            numbers: &self.config.numbers,
            bots: &self.config.bots,
        }
    }

    /// A page view: the stored code when it is one, else a new one.
    fn view<'a>(&mut self, arg: &mut impl FnMut() -> &'a str) -> String {
        let stored = SessionCode::from_ascii(arg().as_bytes());
        let mut random = Entropy {
            hex: arg().as_bytes(),
            mix: 1,
        };
        let code = stored.unwrap_or_else(|| {
            SessionCode::generate(|| u32::from_le_bytes(core::array::from_fn(|_| random.byte())))
        });
        self.path = arg().into();
        self.code = Some(code);
        let mut out = String::new();
        code.push_to(&mut out);
        out
    }

    fn configure<'a>(&mut self, arg: &mut impl FnMut() -> &'a str) {
        let words = |s: &str, f: fn(&str) -> Option<String>| -> Vec<String> {
            fields(s, b',').filter_map(f).collect()
        };
        let numbers = words(arg(), normalize_number);
        let bots = words(arg(), normalize_bot);
        let template = arg().into();
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
            domains: Vec::new(),
            pages,
        };
    }

    /// Appends a link's new href on this page (its own starter text, else
    /// the page rule's; the page rule's template, else the site's), or
    /// nothing when it is left alone (false).
    fn tag_into(&self, out: &mut String, href: &str, text: Option<&str>) -> bool {
        let Some(code) = self.code.as_ref() else {
            return false;
        };
        let config = &self.config;
        let rule = config.page(&self.path);
        let template = match rule.and_then(|r| r.template.as_deref()) {
            Some(t) => t,
            None if config.template.is_empty() => DEFAULT_TEMPLATE,
            None => &config.template,
        };
        let starter = text.or(rule.map(|r| r.text.as_str())).unwrap_or_default();
        rewrite_chat_link_into(out, href, self.tracked(), template, starter, code).is_some()
    }

    /// What a click beacon says of a tracked chat link or a `wa.me/message`
    /// one: its number (or bot; empty for `wa.me/message`) and its form.
    fn click(&self, href: &str) -> Option<String> {
        self.code?;
        let link = parse_chat_link(href)?;
        let mut out = match link.kind {
            LinkKind::WaMeMessage => String::new(),
            kind => link.number.filter(|n| self.tracked().tracks(kind, n))?,
        };
        out.push(SEP);
        out.push_str(link.kind.as_str());
        Some(out)
    }
}

#[cfg(test)]
mod tests;
