//! Small byte-level string helpers.
//!
//! `str::find`, `split_once` and friends with `char` or `&str` patterns pull
//! kilobytes of searcher code into the snippet's wasm; these loops do what
//! the snippet needs for a few bytes each. For `starts_with`,
//! `strip_prefix` and the like, a one-byte `&str` pattern (`"/"`) is a
//! plain comparison, while a `char` one (`'/'`) brings UTF-8 encoding and a
//! char searcher along, so the snippet's code uses `&str` ones.

/// Splits at the first `byte` (ASCII), which is dropped.
pub fn cut(s: &str, byte: u8) -> Option<(&str, &str)> {
    let at = s.bytes().position(|b| b == byte)?;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// `s` split at every `byte` (ASCII), like `str::split`.
pub fn fields(s: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let s = rest?;
        match cut(s, byte) {
            Some((field, tail)) => {
                rest = Some(tail);
                Some(field)
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// The value of one ASCII hex digit (either case).
pub fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The value of a decimal number of ASCII digits, without `str::parse`.
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Appends `s` percent-encoded like JavaScript's `encodeURIComponent`:
/// everything but `A–Z a–z 0–9 - _ . ! ~ * ' ( )` is escaped. A bare `+`
/// would reach WhatsApp as a space, so it must be escaped, unlike in form
/// encoding.
pub fn push_uri_component(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Runs of unreserved bytes are copied at once (the snippet encodes every
    // link's text; byte-by-byte pushes were a third of its time). A run
    // starts and ends at ASCII bytes, so on character boundaries.
    let mut run = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let unreserved = matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        );
        if b.is_ascii_alphanumeric() || unreserved {
            continue;
        }
        out.push_str(s.get(run..i).unwrap_or_default());
        run = i + 1;
        // Spaces are most of what a message escapes.
        if b == b' ' {
            out.push_str("%20");
            continue;
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out.push_str(s.get(run..).unwrap_or_default());
}

/// A query value as a browser's URLSearchParams reads it: `+` is a space,
/// then percent-decoding, malformed UTF-8 replaced by U+FFFD.
pub fn decode_query_value(raw: &str) -> String {
    let bytes = raw.as_bytes();
    // Nothing to decode (a number, a plain word): copied at once.
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return raw.into();
    }
    let hex = |at: usize| -> Option<u8> {
        let high = hex_digit(*bytes.get(at)?)?;
        let low = hex_digit(*bytes.get(at + 1)?)?;
        Some(high << 4 | low)
    };
    let mut out = String::with_capacity(raw.len());
    let (mut code, mut need) = (0u32, 0u32);
    let mut i = 0;
    while i < bytes.len() {
        // A run of literal characters is copied at once. It starts at a
        // character (after an escape, a `+` or nothing), never inside one,
        // so a sequence of escapes it interrupts is cut short.
        let end = bytes
            .iter()
            .skip(i)
            .position(|&b| b == b'%' || b == b'+')
            .map_or(bytes.len(), |n| i + n);
        if end > i {
            if need > 0 {
                out.push('\u{fffd}');
                need = 0;
            }
            out.push_str(raw.get(i..end).unwrap_or_default());
            i = end;
            continue;
        }
        let mut b = bytes.get(i).copied().unwrap_or_default();
        i += 1;
        if b == b'+' {
            b = b' ';
        } else if b == b'%' {
            if let Some(decoded) = hex(i) {
                b = decoded;
                i += 2;
            }
        }
        if need > 0 {
            if b & 0xc0 == 0x80 {
                code = code << 6 | u32::from(b & 0x3f);
                need -= 1;
                if need == 0 {
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                continue;
            }
            // A sequence cut short: replaced, and this byte starts afresh.
            out.push('\u{fffd}');
            need = 0;
        }
        match b {
            0..=0x7f => out.push(char::from(b)),
            0xc2..=0xdf => (code, need) = (u32::from(b & 0x1f), 1),
            0xe0..=0xef => (code, need) = (u32::from(b & 0x0f), 2),
            0xf0..=0xf4 => (code, need) = (u32::from(b & 0x07), 3),
            _ => out.push('\u{fffd}'),
        }
    }
    if need > 0 {
        out.push('\u{fffd}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_fields() {
        assert_eq!(cut("a=b=c", b'='), Some(("a", "b=c")));
        assert_eq!(cut("abc", b'='), None);
        assert_eq!(
            fields("a&&b&", b'&').collect::<Vec<_>>(),
            ["a", "", "b", ""]
        );
        assert_eq!(fields("", b'&').collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "-1", "1.0", "18446744073709551616", " 1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn encodes_like_encode_uri_component() {
        let mut s = String::new();
        push_uri_component(&mut s, "a+b c&d=é😀-_.!~*'()#%/?");
        assert_eq!(s, "a%2Bb%20c%26d%3D%C3%A9%F0%9F%98%80-_.!~*'()%23%25%2F%3F");
    }

    #[test]
    fn decodes_like_url_search_params() {
        let cases = [
            ("a+b%2Bc%26d%23e", "a b+c&d#e"),
            ("%F0%9F%98%80%0A", "😀\n"),
            ("Привет%20мир", "Привет мир"),
            ("%FFok", "\u{fffd}ok"),
            ("%E2%82", "\u{fffd}"),
            ("%E2%82x", "\u{fffd}x"),
            ("%ED%A0%80", "\u{fffd}"),
            ("100%", "100%"),
            ("%zz%4", "%zz%4"),
            ("%c3%a9", "é"),
            ("%E2%82é+x", "\u{fffd}é x"),
            ("ab%C3%A9cd", "abécd"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode_query_value(raw), want, "{raw:?}");
        }
    }
}
