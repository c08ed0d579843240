//! Recognition and rewriting of WhatsApp click-to-chat links, so the
//! prefilled first message carries the visitor's session code.
//!
//! Hand-rolled rather than built on the `url` crate to keep the snippet
//! small; only the absolute forms in the protocol fact sheet are accepted,
//! and anything unexpected is left alone (`None`), because a rewritten
//! link that no longer works would break the customer's site.

use percent_encoding::{percent_decode, percent_decode_str, utf8_percent_encode, AsciiSet};

use crate::code::{find_codes, SessionCode};
use crate::phone::normalize_number;

#[cfg(test)]
mod tests;

/// The message template used when a site configures none.
pub const DEFAULT_TEMPLATE: &str = "{text} (ref {code})";

/// What JavaScript's `encodeURIComponent` escapes: everything except
/// `A–Z a–z 0–9 - _ . ! ~ * ' ( )`. A bare `+` would reach WhatsApp as a
/// space, so it must be escaped, unlike in form encoding.
const URI_COMPONENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Which click-to-chat link form a link uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// `https://wa.me/<number>?text=…`
    WaMe,
    /// `https://api.whatsapp.com/send?phone=…&text=…`
    ApiWhatsApp,
}

impl LinkKind {
    /// Every kind, for validating what a beacon reports.
    pub const ALL: [LinkKind; 2] = [LinkKind::WaMe, LinkKind::ApiWhatsApp];

    /// The stable name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::WaMe => "wa.me",
            LinkKind::ApiWhatsApp => "api.whatsapp.com",
        }
    }

    /// The kind named by `as_str`'s text, if any.
    pub fn parse(s: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A recognised click-to-chat link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatLink {
    /// The link form.
    pub kind: LinkKind,
    /// The normalised number, `None` when WhatsApp lets the user pick a chat.
    pub number: Option<String>,
    /// The decoded prefilled text, `None` when the link has no `text`.
    pub text: Option<String>,
}

/// A link rewritten to carry a session code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewritten {
    /// The new link.
    pub href: String,
    /// The normalised number it opens a chat with.
    pub number: String,
    /// The link form, unchanged from the original.
    pub kind: LinkKind,
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
    number: Option<String>,
}

/// `s` without `prefix`, compared ignoring ASCII case.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The query's non-empty `key=value` pairs as `(raw key, raw value, raw pair)`.
fn pairs(query: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key, value, pair)
    })
}

/// The first raw value of `key` in the query.
fn first_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    pairs(query).find(|&(k, _, _)| k == key).map(|(_, v, _)| v)
}

/// A query value as a browser's URLSearchParams reads it: `+` is a space,
/// then percent-decoding, invalid UTF-8 replaced.
fn decode_value(raw: &str) -> String {
    let bytes: Vec<u8> = raw
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&bytes).decode_utf8_lossy().into_owned()
}

fn split(href: &str) -> Option<Parts<'_>> {
    // Browsers drop leading and trailing spaces and controls from hrefs.
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    let after_scheme =
        strip_prefix_ci(href, "https://").or_else(|| strip_prefix_ci(href, "http://"))?;
    let host_len = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (host, rest) = after_scheme.split_at(host_len);
    let origin = &href[..href.len() - rest.len()];
    let bare_host = strip_prefix_ci(host, "www.").unwrap_or(host);
    let kind = if bare_host.eq_ignore_ascii_case("wa.me") {
        LinkKind::WaMe
    } else if bare_host.eq_ignore_ascii_case("api.whatsapp.com") {
        LinkKind::ApiWhatsApp
    } else {
        return None;
    };

    let (rest, fragment) = match rest.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (rest, None),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));

    let number = match kind {
        LinkKind::WaMe => wa_me_number(path)?,
        LinkKind::ApiWhatsApp => {
            if path != "/send" && path != "/send/" {
                return None;
            }
            // A missing or unusable phone leaves WhatsApp's contact picker.
            first_value(query, "phone").and_then(|raw| normalize_number(&decode_value(raw)))
        }
    };
    Some(Parts {
        kind,
        origin,
        path,
        query,
        fragment,
        number,
    })
}

/// The number in a wa.me path: `Some(None)` for the bare `wa.me/` form,
/// `None` when the path is something else (`/message/…`, `/c/…`, junk).
fn wa_me_number(path: &str) -> Option<Option<String>> {
    let segment = path.strip_prefix('/').unwrap_or(path);
    let segment = segment.strip_suffix('/').unwrap_or(segment);
    if segment.is_empty() {
        return Some(None);
    }
    let decoded = percent_decode_str(segment).decode_utf8_lossy();
    // Sites write numbers with separators; anything else is another form.
    if !decoded
        .bytes()
        .all(|b| b.is_ascii_digit() || b" +-().".contains(&b))
    {
        return None;
    }
    normalize_number(&decoded).map(Some)
}

/// Recognises a click-to-chat link: `wa.me/<number>`, `wa.me/?text=…` or
/// `api.whatsapp.com/send[/]?phone=…`, over http or https, with or without
/// `www.`; anything else, relative links included, is `None`.
pub fn parse_chat_link(href: &str) -> Option<ChatLink> {
    let parts = split(href)?;
    Some(ChatLink {
        kind: parts.kind,
        text: first_value(parts.query, "text").map(decode_value),
        number: parts.number,
    })
}

/// Fills `{text}` and `{code}` into `template`, text and result trimmed;
/// the code is always present and always findable by [`find_codes`].
///
/// A template without `{code}` gets ` <code>` appended, and a space is put
/// between the code and an adjacent letter or digit, because a code glued
/// to a word is not a separate token and would not be found.
pub fn render_message(template: &str, text: &str, code: &SessionCode) -> String {
    let mut out = String::with_capacity(template.len() + text.len() + code.as_str().len());
    let mut after_code = false;
    let mut push = |out: &mut String, piece: &str, is_code: bool| {
        let glued = if is_code {
            out.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        } else {
            after_code
                && piece
                    .as_bytes()
                    .first()
                    .is_some_and(u8::is_ascii_alphanumeric)
        };
        if glued {
            out.push(' ');
        }
        if is_code || !piece.is_empty() {
            after_code = is_code;
        }
        out.push_str(piece);
    };

    let mut rest = template;
    while let Some(open) = rest.find('{') {
        push(&mut out, &rest[..open], false);
        let tail = &rest[open..];
        if let Some(after) = tail.strip_prefix("{text}") {
            push(&mut out, text.trim(), false);
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{code}") {
            push(&mut out, code.as_str(), true);
            rest = after;
        } else {
            push(&mut out, "{", false);
            rest = &tail[1..];
        }
    }
    push(&mut out, rest, false);

    let mut message = out.trim().to_owned();
    if !find_codes(&message).contains(code) {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(code.as_str());
    }
    message
}

/// Rewrites a link to one of `tracked_numbers` so its prefilled text
/// carries `code`; `None` leaves the link untouched (not a chat link, no
/// number, or an untracked number).
///
/// The link keeps its form, scheme, host, other query parameters (in
/// order) and fragment; the number is written normalised. A text that
/// already holds this code is kept as it is, so rewriting twice changes
/// nothing.
pub fn rewrite_chat_link(
    href: &str,
    tracked_numbers: &[String],
    template: &str,
    code: &SessionCode,
) -> Option<Rewritten> {
    let parts = split(href)?;
    let number = parts.number?;
    // Normalised again so a configured "+7 (900) 123-45-67" also matches.
    if !tracked_numbers
        .iter()
        .any(|t| normalize_number(t).as_deref() == Some(number.as_str()))
    {
        return None;
    }

    let existing = first_value(parts.query, "text")
        .map(decode_value)
        .unwrap_or_default();
    let text = if find_codes(&existing).contains(code) {
        existing
    } else {
        render_message(template, &existing, code)
    };

    let mut href = String::with_capacity(href.len() + 3 * text.len() + 16);
    href.push_str(parts.origin);
    match parts.kind {
        LinkKind::WaMe => {
            href.push('/');
            href.push_str(&number);
        }
        LinkKind::ApiWhatsApp => href.push_str(parts.path),
    }
    href.push('?');
    let mut first = true;
    let mut start_pair = |href: &mut String| {
        if !first {
            href.push('&');
        }
        first = false;
    };
    let (mut text_done, mut phone_done) = (false, false);
    for (key, _, pair) in pairs(parts.query) {
        if key == "text" {
            // Later duplicates are dropped: WhatsApp might read one of them.
            if !text_done {
                start_pair(&mut href);
                push_text(&mut href, &text);
                text_done = true;
            }
        } else if key == "phone" && parts.kind == LinkKind::ApiWhatsApp {
            if !phone_done {
                start_pair(&mut href);
                href.push_str("phone=");
                href.push_str(&number);
                phone_done = true;
            }
        } else {
            start_pair(&mut href);
            href.push_str(pair);
        }
    }
    if !text_done {
        start_pair(&mut href);
        push_text(&mut href, &text);
    }
    if let Some(fragment) = parts.fragment {
        href.push('#');
        href.push_str(fragment);
    }
    Some(Rewritten {
        href,
        number,
        kind: parts.kind,
    })
}

/// Appends `text=<encodeURIComponent(text)>`.
fn push_text(href: &mut String, text: &str) {
    href.push_str("text=");
    href.extend(utf8_percent_encode(text, URI_COMPONENT));
}
