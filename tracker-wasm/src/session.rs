//! The visitor and session records kept in localStorage, and when a page
//! view starts a new session; plain strings in and out, so that this part is
//! pure and tested on the host.

use chatrail_core::beacon::{
    format_id, push_decimal, SiteConfig, CLICK_ID_PARAMS, SESSION_IDLE_MS, UTM_PARAMS,
    VISITOR_IDLE_MS,
};
use chatrail_core::code::{SessionCode, CODE_LEN};
use chatrail_core::text::{cut, fields, parse_decimal};

/// localStorage key of the visitor record `"<visitor id>|<last seen ms>"`.
pub const VISITOR_KEY: &str = "chatrail:v";
/// localStorage key of the session record
/// `"<session id>|<code>|<last seen ms>|<source>"`.
pub const SESSION_KEY: &str = "chatrail:s";

/// The ids one page view reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub visitor: String,
    pub session: String,
    pub code: SessionCode,
}

/// A resumed session: id, code and the source it started from.
pub type Resumed = (String, SessionCode, String);

/// The stored visitor id when it is well-formed and was seen within a
/// year, else a new one from `bytes`. A bare id (an older record) is kept.
pub fn visitor(stored: Option<&str>, now_ms: u64, bytes: impl FnOnce() -> [u8; 16]) -> String {
    let kept = stored.and_then(|s| {
        let (id, seen) = cut(s, b'|').unwrap_or((s, ""));
        match parse_decimal(seen) {
            Some(seen) if idle(now_ms, seen) > VISITOR_IDLE_MS => None,
            _ => is_id(id).then(|| id.to_ascii_lowercase()),
        }
    });
    kept.unwrap_or_else(|| format_id(bytes()))
}

/// Whether `s` is an id as [`format_id`] writes them (either case).
fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Milliseconds since `seen`; a clock that went backwards counts as none.
fn idle(now_ms: u64, seen: u64) -> f64 {
    // u64 -> f64 is exact for any real timestamp (< 2^53 ms).
    now_ms.saturating_sub(seen) as f64
}

/// The stored session if it is well-formed, was seen less than
/// `SESSION_IDLE_MS` ago, and this page view does not come from a new
/// source (`source` empty, or the one the session started from).
pub fn resume(stored: &str, now_ms: u64, source: &str) -> Option<Resumed> {
    let (id, rest) = cut(stored, b'|')?;
    let (code, rest) = cut(rest, b'|')?;
    let (seen, stored_source) = cut(rest, b'|').unwrap_or((rest, ""));
    let code = SessionCode::from_ascii(code.as_bytes())?;
    let seen = parse_decimal(seen)?;
    let new_source = !(source.is_empty() || source == stored_source);
    if !is_id(id) || idle(now_ms, seen) > SESSION_IDLE_MS || new_source {
        return None;
    }
    Some((id.to_ascii_lowercase(), code, stored_source.into()))
}

/// The visitor record to store.
pub fn encode_visitor(visitor: &str, now_ms: u64) -> String {
    let mut out = String::with_capacity(visitor.len() + 16);
    out.push_str(visitor);
    out.push('|');
    push_decimal(&mut out, now_ms);
    out
}

/// The session record to store for a session seen at `now_ms`.
pub fn encode(session: &str, code: &SessionCode, now_ms: u64, source: &str) -> String {
    let mut out = String::with_capacity(session.len() + CODE_LEN + 32);
    out.push_str(session);
    out.push('|');
    code.push_to(&mut out);
    out.push('|');
    push_decimal(&mut out, now_ms);
    out.push('|');
    out.push_str(source);
    out
}

/// The host of an absolute URL, without port or credentials; empty when
/// there is none.
pub fn host(url: &str) -> &str {
    let authority = after_scheme(url).unwrap_or_default();
    let end = authority
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(authority.len());
    let authority = authority.get(..end).unwrap_or_default();
    let at = authority
        .bytes()
        .rposition(|b| b == b'@')
        .map_or(0, |at| at + 1);
    let host = authority.get(at..).unwrap_or_default();
    cut(host, b':').map_or(host, |(host, _)| host)
}

/// The path of an absolute URL (`/` when it has none).
pub fn path(url: &str) -> &str {
    let rest = after_scheme(url).unwrap_or_default();
    let rest = cut(rest, b'#').map_or(rest, |(r, _)| r);
    let rest = cut(rest, b'?').map_or(rest, |(r, _)| r);
    let start = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
    match rest.get(start..) {
        Some(p) if !p.is_empty() => p,
        _ => "/",
    }
}

/// What follows `<scheme>://`.
fn after_scheme(url: &str) -> Option<&str> {
    cut(url, b':')?.1.strip_prefix("//")
}

/// The traffic source of a page view, as a short fingerprint of its UTM
/// parameters and click ids or, without those, of its external referrer
/// host; empty when it has none (a direct or internal page view), which
/// never starts a session.
pub fn source<'a>(url: &'a str, referrer: &'a str, config: &SiteConfig) -> String {
    // FNV-1a: a stable, tiny hash; the fingerprint is only compared.
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |piece: &str| {
        for b in piece.bytes().chain([0]) {
            hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    };
    let mut tagged = false;
    let query = cut(url, b'?').map_or("", |(_, q)| q);
    let query = cut(query, b'#').map_or(query, |(q, _)| q);
    for pair in fields(query, b'&') {
        let (key, value) = cut(pair, b'=').unwrap_or((pair, ""));
        let campaign = UTM_PARAMS
            .iter()
            .chain(CLICK_ID_PARAMS)
            .any(|p| key.eq_ignore_ascii_case(p));
        if campaign && !value.is_empty() {
            feed(pair);
            tagged = true;
        }
    }
    // A tagged link names its source, whatever page it was on; only an untagged
    // arrival is sourced by its referrer.
    let from = host(referrer);
    let bare = |h: &'a str| -> &'a str { h.strip_prefix("www.").unwrap_or(h) };
    let own = bare(from).eq_ignore_ascii_case(bare(host(url)));
    let external = !from.is_empty() && !own && !config.is_own_host(from);
    if !tagged && external {
        feed(&bare(from).to_ascii_lowercase());
    }
    if !tagged && !external {
        return String::new();
    }
    let mut id = [0u8; 16];
    id[12..].copy_from_slice(&hash.to_be_bytes());
    format_id(id).split_off(24)
}

#[cfg(test)]
mod tests;
