//! The chatrail page snippet: DOM glue only, the logic is in `chatrail-core`.
//!
//! Nothing here may throw into the page or break a link: every browser call
//! that can fail is a `Result` that is dropped, and a link is only ever
//! changed to what `rewrite_chat_link` returned for its original href.

use std::rc::Rc;

use chatrail_core::beacon::{field, format_id, SiteConfig, MAX_BEACON_BYTES, MAX_URL_LEN};
use chatrail_core::code::SessionCode;
use chatrail_core::links::{rewrite_chat_link, Rewritten, DEFAULT_TEMPLATE};
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Crypto, Element, Event, MouseEvent, Response, Window};

pub mod session;

use session::{Ids, SESSION_KEY, VISITOR_KEY};

/// Where a rewritten link keeps its original href, so every rewrite starts
/// from the site's own link and codes never stack.
const ORIGINAL_HREF: &str = "data-chatrail-href";

#[wasm_bindgen]
extern "C" {
    /// A promise driven through one reusable step callback: one closure for
    /// the whole config fetch instead of one per stage.
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, step: &Closure<dyn FnMut(JsValue) -> JsValue>) -> Thenable;
    #[wasm_bindgen(method)]
    fn catch(this: &Thenable, step: &Closure<dyn FnMut(JsValue) -> JsValue>) -> Thenable;
}

/// Starts tracking this page view for `site`; `base` is the collector's
/// origin and path prefix, without a trailing slash.
#[wasm_bindgen]
pub fn start(site: &str, base: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let tracker = Rc::new(Tracker {
        ids: load_ids(&window),
        window,
        site: site.into(),
        base: base.into(),
    });
    tracker.send_visit();
    fetch_config(tracker);
}

struct Tracker {
    window: Window,
    site: String,
    base: String,
    ids: Ids,
}

/// Visitor and session from localStorage; where storage is blocked (it
/// throws), fresh values that live as long as this page.
fn load_ids(window: &Window) -> Ids {
    let storage = window.local_storage().ok().flatten();
    let crypto = window.crypto().ok();
    let crypto = crypto.as_ref();
    let get = |key| {
        storage
            .as_ref()
            .and_then(|s| s.get_item(key).ok().flatten())
    };
    let now = js_sys::Date::now() as u64;

    let visitor = session::visitor(get(VISITOR_KEY).as_deref(), || random(crypto));
    let (session, code) = get(SESSION_KEY)
        .and_then(|s| session::resume(&s, now))
        .unwrap_or_else(|| {
            let code = SessionCode::generate(|| u32::from_le_bytes(random(crypto)));
            (format_id(random(crypto)), code)
        });
    if let Some(storage) = &storage {
        let _ = storage.set_item(VISITOR_KEY, &visitor);
        let _ = storage.set_item(SESSION_KEY, &session::encode(&session, &code, now));
    }
    Ids {
        visitor,
        session,
        code,
    }
}

/// Random bytes from `crypto.getRandomValues`, or `Math.random` on the rare
/// browser without it: a weak id still beats no tracking.
fn random<const N: usize>(crypto: Option<&Crypto>) -> [u8; N] {
    let mut bytes = [0u8; N];
    if crypto.is_none_or(|c| c.get_random_values_with_u8_array(&mut bytes).is_err()) {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

fn put(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

/// At most `MAX_URL_LEN` bytes, so a long ad URL cannot push a beacon over
/// `MAX_BEACON_BYTES` and lose the whole visit; the collector keeps no more.
fn clip(url: &str) -> &str {
    let mut end = url.len().min(MAX_URL_LEN);
    while !url.is_char_boundary(end) {
        end -= 1;
    }
    url.get(..end).unwrap_or_default()
}

fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(object, &JsValue::from_str(key)).ok()
}

impl Tracker {
    /// The fields every beacon carries.
    fn beacon(&self) -> Object {
        let o = Object::new();
        put(&o, field::SITE, &self.site);
        put(&o, field::VISITOR, &self.ids.visitor);
        put(&o, field::SESSION, &self.ids.session);
        put(&o, field::CODE, self.ids.code.as_str());
        o
    }

    /// `sendBeacon` with a string body: sent as text/plain, so no CORS
    /// preflight, and it survives the navigation a click starts.
    fn send(&self, path: &str, body: &Object) {
        let Some(json) = JSON::stringify(body).ok().and_then(|s| s.as_string()) else {
            return;
        };
        if json.len() > MAX_BEACON_BYTES {
            return;
        }
        let url = [self.base.as_str(), path].concat();
        let _ = self
            .window
            .navigator()
            .send_beacon_with_opt_str(&url, Some(&json));
    }

    fn send_visit(&self) {
        let w = &self.window;
        let o = self.beacon();
        if let Ok(href) = w.location().href() {
            put(&o, field::URL, clip(&href));
        }
        if let Some(doc) = w.document() {
            let referrer = doc.referrer();
            if !referrer.is_empty() {
                put(&o, field::REFERRER, clip(&referrer));
            }
        }
        if let Ok(screen) = w.screen() {
            if let (Ok(width), Ok(height)) = (screen.width(), screen.height()) {
                put(&o, field::SCREEN_W, width);
                put(&o, field::SCREEN_H, height);
            }
        }
        if let Some(language) = w.navigator().language() {
            put(&o, field::LANGUAGE, language);
        }
        let format = js_sys::Intl::DateTimeFormat::new(&Array::new(), &Object::new());
        if let Some(tz) = get(&format.resolved_options(), "timeZone").and_then(|v| v.as_string()) {
            put(&o, field::TIMEZONE, tz);
        }
        self.send("/collect/visit", &o);
    }
}

/// `GET <base>/sites/<site>/config`, then rewrite the links. Every failure
/// (network, status, JSON, shape) ends in the step doing nothing.
fn fetch_config(tracker: Rc<Tracker>) {
    let site: String = js_sys::encode_uri_component(&tracker.site).into();
    let url = [tracker.base.as_str(), "/sites/", &site, "/config"].concat();
    let request: Thenable = tracker.window.fetch_with_str(&url).unchecked_into();
    let step = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |value: JsValue| {
        if let Some(response) = value.dyn_ref::<Response>() {
            return match response.ok() {
                true => response.json().map(JsValue::from).unwrap_or_default(),
                false => JsValue::UNDEFINED,
            };
        }
        if let Some(config) = parse_config(&value) {
            Linker::install(tracker.clone(), config);
        }
        JsValue::UNDEFINED
    });
    // The trailing catch keeps a failed fetch out of `unhandledrejection`,
    // which sites' error trackers report.
    let _ = request.then(&step).then(&step).catch(&step);
    step.forget();
}

/// `{"numbers": [...], "template": "..."}`; a missing template means the
/// default one. Numbers are normalised by `rewrite_chat_link`.
fn parse_config(value: &JsValue) -> Option<SiteConfig> {
    let numbers = get(value, "numbers")?.dyn_into::<Array>().ok()?;
    let numbers = numbers.iter().filter_map(|n| n.as_string()).collect();
    let template = get(value, "template")
        .and_then(|t| t.as_string())
        .unwrap_or_else(|| DEFAULT_TEMPLATE.into());
    Some(SiteConfig { numbers, template })
}

struct Linker {
    tracker: Rc<Tracker>,
    config: SiteConfig,
}

impl Linker {
    fn install(tracker: Rc<Tracker>, config: SiteConfig) {
        let Some(doc) = tracker.window.document() else {
            return;
        };
        let linker = Rc::new(Linker { tracker, config });
        linker.rewrite_all();

        // An async script can run before the parser reaches the links.
        let loading = get(&doc, "readyState").and_then(|s| s.as_string());
        if loading.as_deref() == Some("loading") {
            let l = linker.clone();
            let again = Closure::<dyn FnMut()>::new(move || l.rewrite_all());
            let _ = doc.add_event_listener_with_callback(
                "DOMContentLoaded",
                again.as_ref().unchecked_ref(),
            );
            again.forget();
        }

        // Capture phase: we see the click before the page's own handlers can
        // stop it, and the href is ours before the browser follows it.
        let on_click = Closure::<dyn FnMut(Event)>::new(move |e: Event| linker.click(&e));
        for kind in ["click", "auxclick"] {
            let _ = doc.add_event_listener_with_callback_and_bool(
                kind,
                on_click.as_ref().unchecked_ref(),
                true,
            );
        }
        on_click.forget();
    }

    fn rewrite_all(&self) {
        let Some(doc) = self.tracker.window.document() else {
            return;
        };
        let Ok(links) = doc.query_selector_all("a[href]") else {
            return;
        };
        for i in 0..links.length() {
            if let Some(a) = links.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                self.apply(&a);
            }
        }
    }

    fn rewrite(&self, href: &str) -> Option<Rewritten> {
        let c = &self.config;
        rewrite_chat_link(href, &c.numbers, &c.template, &self.tracker.ids.code)
    }

    /// Rewrites a tracked link from its original href. A link the page has
    /// changed since our rewrite is taken as a new original.
    fn apply(&self, a: &Element) -> Option<Rewritten> {
        let href = a.get_attribute("href")?;
        if let Some(r) = a
            .get_attribute(ORIGINAL_HREF)
            .and_then(|o| self.rewrite(&o))
        {
            if r.href == href {
                return Some(r);
            }
        }
        let Some(r) = self.rewrite(&href) else {
            let _ = a.remove_attribute(ORIGINAL_HREF);
            return None;
        };
        let _ = a.set_attribute(ORIGINAL_HREF, &href);
        let _ = a.set_attribute("href", &r.href);
        Some(r)
    }

    /// Never prevents the default: the link works whatever happens here.
    /// Links added after the first pass are rewritten now, before the
    /// browser follows them.
    fn click(&self, e: &Event) {
        // auxclick is any non-primary button; only the middle one opens a link.
        if e.dyn_ref::<MouseEvent>()
            .is_some_and(|m| m.type_() == "auxclick" && m.button() != 1)
        {
            return;
        }
        let Some(a) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("a[href]").ok().flatten())
        else {
            return;
        };
        let Some(r) = self.apply(&a) else {
            return;
        };
        let t = &self.tracker;
        let o = t.beacon();
        if let Ok(page) = t.window.location().href() {
            put(&o, field::PAGE, clip(&page));
        }
        put(&o, field::NUMBER, &r.number);
        put(&o, field::KIND, r.kind.as_str());
        t.send("/collect/click", &o);
    }
}
