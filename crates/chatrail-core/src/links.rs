//! Recognition and rewriting of click-to-chat links, so the prefilled first
//! message (or a Telegram bot's start payload) carries the visitor's session
//! code.
//!
//! Hand-rolled rather than built on the `url` crate to keep the snippet
//! small; only the absolute forms in the protocol fact sheet are accepted,
//! and anything unexpected is left alone (`None`), because a rewritten
//! link that no longer works would break the customer's site. Links are
//! read as a browser writes a URL it resolved (its `URL.href`): scheme and
//! web host in lower case, no surrounding spaces. The snippet resolves every
//! href so before asking (scheme-relative, relative, upper-case and
//! space-padded ones included), so the browser's own parser is the one that
//! decides what a link is; the app hosts of `whatsapp://send`, `intent://send`
//! and `tg://resolve` are matched as written, as Android's intent filters do.

use crate::code::{contains_code, SessionCode, CODE_LEN};
use crate::phone::normalize_number;
use crate::text::{cut, decode_query_value as decode_value, fields};

mod message;
mod rewrite;
#[cfg(test)]
mod tests;

pub use message::{render_message, DEFAULT_TEMPLATE};
pub use rewrite::{chat_link, rewrite_chat_link, rewrite_chat_link_into};

/// Longest Telegram `start` payload, in characters of `[A-Za-z0-9_-]`.
pub const MAX_START_LEN: usize = 64;

/// Fewest characters of a Telegram username (bot), without its `@`.
pub const MIN_BOT_LEN: usize = 5;

/// Most characters of a Telegram username (bot), without its `@`.
pub const MAX_BOT_LEN: usize = 32;

/// The query parameter of a WhatsApp link's prefilled text.
pub const TEXT_PARAM: &str = "text";

/// The query parameter of a Telegram link's start payload.
pub const START_PARAM: &str = "start";

/// Every link [`parse_chat_link`] recognises contains one of these, ignoring
/// ASCII case (a test holds the two together), so the snippet asks about no
/// other href.
pub const CHAT_HINTS: &[&str] = &["wa.me", "whatsapp", "t.me", "telegram.me", "tg:"];

/// Which click-to-chat link form a link uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// `https://wa.me/<number>?text=…`
    WaMe,
    /// `https://api.whatsapp.com/send[/]?phone=…&text=…`
    ApiWhatsApp,
    /// `https://web.whatsapp.com/send?phone=…&text=…`
    WebWhatsApp,
    /// `whatsapp://send?phone=…&text=…`
    WhatsAppScheme,
    /// `intent://send?phone=…&text=…#Intent;scheme=whatsapp;…;end` (Android)
    AndroidIntent,
    /// `https://t.me/<bot>?start=…` for a bot the site configures.
    Telegram,
    /// `tg://resolve?domain=<bot>&start=…`: the Telegram app's own form.
    TelegramScheme,
    /// `https://wa.me/message/<code>`: a short link that cannot carry text;
    /// counted, never rewritten.
    WaMeMessage,
}

impl LinkKind {
    /// Every kind, for validating what a beacon reports.
    pub const ALL: [LinkKind; 8] = [
        LinkKind::WaMe,
        LinkKind::ApiWhatsApp,
        LinkKind::WebWhatsApp,
        LinkKind::WhatsAppScheme,
        LinkKind::AndroidIntent,
        LinkKind::Telegram,
        LinkKind::TelegramScheme,
        LinkKind::WaMeMessage,
    ];

    /// The stable name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::WaMe => "wa.me",
            LinkKind::ApiWhatsApp => "api.whatsapp.com",
            LinkKind::WebWhatsApp => "web.whatsapp.com",
            LinkKind::WhatsAppScheme => "whatsapp",
            LinkKind::AndroidIntent => "intent",
            LinkKind::Telegram => "t.me",
            LinkKind::TelegramScheme => "tg",
            LinkKind::WaMeMessage => "wa.me/message",
        }
    }

    /// The kind named by `as_str`'s text, if any.
    pub fn parse(s: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether links of this kind open a chat with a Telegram bot.
    pub fn is_telegram(self) -> bool {
        matches!(self, LinkKind::Telegram | LinkKind::TelegramScheme)
    }

    /// Whether links of this kind can carry a session code.
    pub fn carries_code(self) -> bool {
        self != LinkKind::WaMeMessage
    }

    /// The query parameter holding the number, for the query-based forms.
    fn phone_key(self) -> Option<&'static str> {
        match self {
            LinkKind::WaMe
            | LinkKind::Telegram
            | LinkKind::TelegramScheme
            | LinkKind::WaMeMessage => None,
            _ => Some("phone"),
        }
    }

    /// The query parameter that carries the code.
    fn text_key(self) -> &'static str {
        if self.is_telegram() {
            START_PARAM
        } else {
            TEXT_PARAM
        }
    }
}

/// A recognised click-to-chat link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLink {
    /// The link form.
    pub kind: LinkKind,
    /// The chat it opens: the normalised number (WhatsApp) or the bot's
    /// lower-case username (Telegram); `None` when the user picks the chat
    /// or the link does not say (`wa.me/message/…`).
    pub number: Option<String>,
    /// The decoded prefilled text (Telegram: the start payload), `None`
    /// when the link has none.
    pub text: Option<String>,
}

/// A link rewritten to carry a session code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewritten {
    /// The new link.
    pub href: String,
    /// The normalised number (or bot username) it opens a chat with.
    pub number: String,
    /// The link form, unchanged from the original.
    pub kind: LinkKind,
}

/// The chats a site tracks: only links to these are rewritten.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tracked<'a> {
    /// WhatsApp numbers, in any notation (compared digit by digit).
    pub numbers: &'a [String],
    /// Telegram bot usernames, as [`normalize_bot`] gives them.
    pub bots: &'a [String],
}

impl Tracked<'_> {
    /// Whether a chat of a link of this kind (a normalised number, or a
    /// bot) is tracked.
    pub fn tracks(&self, kind: LinkKind, chat: &str) -> bool {
        if kind.is_telegram() {
            self.bots.iter().any(|b| b.eq_ignore_ascii_case(chat))
        } else {
            self.numbers.iter().any(|n| same_number(n, chat))
        }
    }
}

/// Whether `configured`, in any notation, is the normalised `number`;
/// compared in place because this runs for every link on a page.
fn same_number(configured: &str, number: &str) -> bool {
    let mut rest = number.as_bytes();
    for b in configured.bytes().filter(u8::is_ascii_digit) {
        match rest {
            // Leading zeros are not dialled.
            _ if b == b'0' && rest.len() == number.len() => {}
            [first, tail @ ..] if *first == b => rest = tail,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// A Telegram username as tracked: without `@`, lower case, 5–32 characters
/// of `[a-z0-9_]`; `None` for anything else.
pub fn normalize_bot(s: &str) -> Option<String> {
    let s = s.trim_ascii();
    let s = s.strip_prefix("@").unwrap_or(s);
    let ok = (MIN_BOT_LEN..=MAX_BOT_LEN).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then(|| s.to_ascii_lowercase())
}

/// An absolute link cut into the pieces rewriting needs, borrowed from it.
struct Parts<'a> {
    kind: LinkKind,
    /// Scheme and host exactly as written, e.g. `https://WWW.wa.me`.
    origin: &'a str,
    path: &'a str,
    /// Raw query without `?`; empty when there is none.
    query: &'a str,
    /// Raw fragment without `#`.
    fragment: Option<&'a str>,
    /// The normalised number or bot, when the link names a usable one.
    chat: Option<String>,
}

/// The query's non-empty `key=value` pairs as `(raw key, raw value, raw pair)`.
fn pairs(query: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    fields(query, b'&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = cut(pair, b'=').unwrap_or((pair, ""));
        (key, value, pair)
    })
}

/// The first raw value of `key` in the query.
fn first_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    pairs(query).find(|&(k, _, _)| k == key).map(|(_, v, _)| v)
}

/// The link form of a web link's host (`www.` allowed) and path.
fn web_kind(host: &str, path: &str) -> Option<LinkKind> {
    Some(match host.strip_prefix("www.").unwrap_or(host) {
        "wa.me" => match path.strip_prefix("/message/") {
            Some(code) if !code.is_empty() && !code.bytes().any(|b| b == b'/') => {
                LinkKind::WaMeMessage
            }
            _ => LinkKind::WaMe,
        },
        "api.whatsapp.com" => LinkKind::ApiWhatsApp,
        "web.whatsapp.com" => LinkKind::WebWhatsApp,
        "t.me" | "telegram.me" => LinkKind::Telegram,
        _ => return None,
    })
}

fn split(href: &str) -> Option<Parts<'_>> {
    let (scheme, after_scheme) = ["https://", "http://", "whatsapp://", "intent://", "tg://"]
        .into_iter()
        .find_map(|s| Some((s, href.strip_prefix(s)?)))?;
    let host_len = after_scheme
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(after_scheme.len());
    let host = after_scheme.get(..host_len)?;
    let rest = after_scheme.get(host_len..)?;
    let origin = href.get(..href.len() - rest.len())?;
    let (rest, fragment) = match cut(rest, b'#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (rest, None),
    };
    let (path, query) = cut(rest, b'?').unwrap_or((rest, ""));

    let kind = match scheme {
        "whatsapp://" if host == "send" => LinkKind::WhatsAppScheme,
        // Only intents that WhatsApp handles; `scheme=smsto` ones cannot carry text.
        "intent://"
            if host == "send" && fragment.is_some_and(|f| contains(f, "scheme=whatsapp;")) =>
        {
            LinkKind::AndroidIntent
        }
        "tg://" if host == "resolve" => LinkKind::TelegramScheme,
        "https://" | "http://" => web_kind(host, path)?,
        _ => return None,
    };

    let chat = match kind {
        LinkKind::WaMe => wa_me_number(path)?,
        LinkKind::WaMeMessage => None,
        LinkKind::Telegram | LinkKind::TelegramScheme => {
            // Other `start…` parameters open groups, games or mini apps.
            if pairs(query).any(|(k, _, _)| k != START_PARAM && k.starts_with(START_PARAM)) {
                return None;
            }
            Some(match kind {
                LinkKind::Telegram => telegram_bot(path)?,
                _ if path.is_empty() || path == "/" => {
                    normalize_bot(&decode_value(first_value(query, "domain")?))?
                }
                _ => return None,
            })
        }
        LinkKind::ApiWhatsApp | LinkKind::WebWhatsApp => {
            if path != "/send" && path != "/send/" {
                return None;
            }
            phone(query)
        }
        LinkKind::WhatsAppScheme | LinkKind::AndroidIntent => {
            if !path.is_empty() && path != "/" {
                return None;
            }
            phone(query)
        }
    };
    Some(Parts {
        kind,
        origin,
        path,
        query,
        fragment,
        chat,
    })
}

/// The normalised `phone` parameter; a missing or unusable one leaves
/// WhatsApp's contact picker.
fn phone(query: &str) -> Option<String> {
    first_value(query, "phone").and_then(|raw| normalize_number(&decode_value(raw)))
}

/// Whether `hay` contains `needle`.
fn contains(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The number in a wa.me path: `Some(None)` for the bare `wa.me/` form,
/// `None` when the path is something else (`/c/…`, junk).
fn wa_me_number(path: &str) -> Option<Option<String>> {
    let segment = path.strip_prefix("/").unwrap_or(path);
    let segment = segment.strip_suffix("/").unwrap_or(segment);
    if segment.is_empty() {
        return Some(None);
    }
    let decoded = decode_value(segment);
    // Sites write numbers with separators; anything else is another form.
    if !decoded
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-' | b'(' | b')' | b'.'))
    {
        return None;
    }
    normalize_number(&decoded).map(Some)
}

/// The bot in a `t.me/<bot>` path; invite links, channels' posts and the
/// like have other paths and are not chats with a bot.
fn telegram_bot(path: &str) -> Option<String> {
    let segment = path.strip_prefix("/")?;
    let segment = segment.strip_suffix("/").unwrap_or(segment);
    normalize_bot(segment).filter(|_| !segment.starts_with("@"))
}

/// Recognises a click-to-chat link in any of the [`LinkKind`] forms, as a
/// browser writes the URL (see the module's documentation); anything else,
/// relative links included, is `None`.
pub fn parse_chat_link(href: &str) -> Option<ChatLink> {
    let parts = split(href)?;
    Some(ChatLink {
        kind: parts.kind,
        text: first_value(parts.query, parts.kind.text_key()).map(decode_value),
        number: parts.chat,
    })
}
