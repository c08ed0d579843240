//! Rewriting a recognised chat link so it carries the session code, and making one.

use super::*;

/// Rewrites a link to a tracked chat so its prefilled text (Telegram: its
/// start payload) carries `code`; `None` leaves the link untouched (not a
/// chat link, no number, an untracked chat, or a Telegram payload that
/// cannot take the code).
///
/// An existing text is kept and filled into `template` as `{text}`; a
/// link without one gets `starter` instead. The link keeps its form,
/// scheme, host, other query parameters (in order) and fragment; the
/// number is written normalised. A text that already holds this code is
/// kept as it is, so rewriting twice changes nothing.
pub fn rewrite_chat_link(
    href: &str,
    tracked: Tracked<'_>,
    template: &str,
    starter: &str,
    code: &SessionCode,
) -> Option<Rewritten> {
    let mut out = String::new();
    let (number, kind) = rewrite_chat_link_into(&mut out, href, tracked, template, starter, code)?;
    Some(Rewritten {
        href: out,
        number,
        kind,
    })
}

/// [`rewrite_chat_link`] appending the new link to `out` (the snippet
/// writes every link's answer into one string), and answering the chat
/// and the form; `out` is left as it was when the answer is `None`.
pub fn rewrite_chat_link_into(
    out: &mut String,
    href: &str,
    tracked: Tracked<'_>,
    template: &str,
    starter: &str,
    code: &SessionCode,
) -> Option<(String, LinkKind)> {
    let parts = split(href)?;
    let kind = parts.kind;
    let number = parts.chat?;
    if !tracked.tracks(kind, &number) {
        return None;
    }
    let text_key = kind.text_key();
    let existing = first_value(parts.query, text_key).map(decode_value);
    let text = match existing {
        Some(t) if contains_code(&t, code) => t,
        _ if kind.is_telegram() => start_payload(existing.as_deref(), code)?,
        Some(t) if !t.trim_ascii().is_empty() => render_message(template, &t, code),
        _ => render_message(template, starter, code),
    };

    out.push_str(parts.origin);
    match kind {
        LinkKind::WaMe => {
            out.push('/');
            out.push_str(&number);
        }
        _ => out.push_str(parts.path),
    }
    out.push('?');
    let mut first = true;
    let mut start_pair = |out: &mut String| {
        if !first {
            out.push('&');
        }
        first = false;
    };
    let (mut text_done, mut phone_done) = (false, false);
    for (key, _, pair) in pairs(parts.query) {
        if key == text_key {
            // Later duplicates are dropped: the app might read one of them.
            if !text_done {
                start_pair(out);
                push_param(out, text_key, &text);
                text_done = true;
            }
        } else if Some(key) == kind.phone_key() {
            if !phone_done {
                start_pair(out);
                push_param(out, key, &number);
                phone_done = true;
            }
        } else {
            start_pair(out);
            out.push_str(pair);
        }
    }
    if !text_done {
        start_pair(out);
        push_param(out, text_key, &text);
    }
    if let Some(fragment) = parts.fragment {
        out.push('#');
        out.push_str(fragment);
    }
    Some((number, kind))
}

/// The Telegram start payload carrying `code`: the code alone, or an
/// existing payload and the code joined by `-` (a token boundary for
/// [`find_codes`](crate::code::find_codes)); `None` when the result would not be a valid
/// payload.
fn start_payload(existing: Option<&str>, code: &SessionCode) -> Option<String> {
    let existing = existing.unwrap_or_default();
    if existing.is_empty() {
        let mut payload = String::new();
        code.push_to(&mut payload);
        return Some(payload);
    }
    let valid = existing
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid || existing.len() + 1 + CODE_LEN > MAX_START_LEN {
        return None;
    }
    let mut payload = String::from(existing);
    payload.push('-');
    code.push_to(&mut payload);
    Some(payload)
}

/// A plain link to a chat: `https://wa.me/<number>?text=…` for a number in
/// any notation, or `https://t.me/<bot>` for `@bot`; `None` for neither.
pub fn chat_link(chat: &str, text: &str) -> Option<String> {
    let mut href = String::new();
    if chat.trim_ascii_start().starts_with("@") {
        href.push_str("https://t.me/");
        href.push_str(&normalize_bot(chat)?);
    } else {
        href.push_str("https://wa.me/");
        href.push_str(&normalize_number(chat)?);
        if !text.is_empty() {
            href.push('?');
            push_param(&mut href, TEXT_PARAM, text);
        }
    }
    Some(href)
}

/// Appends `key=<encodeURIComponent(value)>`.
fn push_param(href: &mut String, key: &str, value: &str) {
    href.push_str(key);
    href.push('=');
    crate::text::push_uri_component(href, value);
}
