//! The visitor and session records kept in localStorage, as plain strings so
//! that this part is pure and tested on the host.

use chatrail_core::beacon::{format_id, parse_id, SESSION_IDLE_MS};
use chatrail_core::code::SessionCode;

/// localStorage key of the visitor id.
pub const VISITOR_KEY: &str = "chatrail:v";
/// localStorage key of the session record `"<session id>|<code>|<last seen ms>"`.
pub const SESSION_KEY: &str = "chatrail:s";

/// The ids one page view reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub visitor: String,
    pub session: String,
    pub code: SessionCode,
}

/// The stored visitor id when it is well-formed, else a new one from `bytes`.
pub fn visitor(stored: Option<&str>, bytes: impl FnOnce() -> [u8; 16]) -> String {
    match stored.and_then(parse_id) {
        Some(id) => format_id(id),
        None => format_id(bytes()),
    }
}

/// The stored session if it is well-formed and was seen less than
/// `SESSION_IDLE_MS` ago; a clock that went backwards keeps the session.
pub fn resume(stored: &str, now_ms: u64) -> Option<(String, SessionCode)> {
    let (id, rest) = cut(stored)?;
    let (code, seen) = cut(rest)?;
    let id = parse_id(id)?;
    let code = SessionCode::parse(code).ok()?;
    let seen: u64 = seen.parse().ok()?;
    let idle = now_ms.saturating_sub(seen);
    // u64 -> f64 is exact for any real timestamp (< 2^53 ms).
    if idle as f64 > SESSION_IDLE_MS {
        return None;
    }
    Some((format_id(id), code))
}

/// Splits at the first `|`; a byte search, because `str::split(char)`
/// costs most of a kilobyte of wasm.
fn cut(s: &str) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == b'|')?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// The record to store for a session seen at `now_ms`.
pub fn encode(session: &str, code: &SessionCode, now_ms: u64) -> String {
    let mut out = String::with_capacity(session.len() + 32);
    out.push_str(session);
    out.push('|');
    out.push_str(code.as_str());
    out.push('|');
    push_decimal(&mut out, now_ms);
    out
}

/// Decimal digits without `core::fmt`, which would cost kilobytes of wasm.
fn push_decimal(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in buf.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "000102030405060708090a0b0c0d0e0f";

    fn code() -> SessionCode {
        let mut n = 7u32;
        SessionCode::generate(|| {
            n = n.wrapping_mul(2_654_435_761).wrapping_add(1);
            n
        })
    }

    #[test]
    fn encode_then_resume_round_trips() {
        let c = code();
        let s = encode(ID, &c, 1_700_000_000_123);
        assert!(s.ends_with("|1700000000123"));
        assert_eq!(
            resume(&s, 1_700_000_000_123 + 60_000),
            Some((ID.to_string(), c))
        );
    }

    #[test]
    fn idle_sessions_and_garbage_do_not_resume() {
        let c = code();
        let s = encode(ID, &c, 1_000);
        let idle = SESSION_IDLE_MS as u64;
        assert!(resume(&s, 1_000 + idle).is_some());
        assert!(resume(&s, 1_000 + idle + 1).is_none());
        assert!(
            resume(&s, 0).is_some(),
            "a clock moved back keeps the session"
        );
        for bad in [
            "",
            "x|y|z",
            &format!("{ID}|{}", c.as_str()),
            &format!("{s}|1"),
        ] {
            assert!(resume(bad, 1_000).is_none(), "{bad:?}");
        }
        assert!(resume(&format!("{ID}|{}|-5", c.as_str()), 1_000).is_none());
    }

    #[test]
    fn decimal_digits() {
        for n in [0u64, 7, 10, 1_234_567_890, u64::MAX] {
            let mut s = String::new();
            push_decimal(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn visitor_keeps_a_valid_id_and_replaces_garbage() {
        assert_eq!(visitor(Some(ID), || [9; 16]), ID);
        assert_eq!(visitor(Some("nope"), || [0xab; 16]), "ab".repeat(16));
        assert_eq!(visitor(None, || [0; 16]), "0".repeat(32));
    }
}
