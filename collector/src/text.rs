//! Free text as stored: cut on a character boundary, NUL-free (PostgreSQL refuses NUL in
//! text, and a stranger's message must never turn into a 500), bounded.

/// Longest message text kept, in bytes (WhatsApp and Telegram allow 4,096 characters).
pub const MAX_TEXT: usize = 16 * 1024;
/// Longest name, username or short provider field kept, in bytes.
pub const MAX_SHORT: usize = 256;
/// Longest URL kept, in bytes.
pub const MAX_URL: usize = 4096;

/// Truncates `s` to at most `max` bytes on a character boundary.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A free-text field as stored: NUL characters dropped, at most `max` bytes, `None` if empty.
pub fn field(value: Option<&str>, max: usize) -> Option<String> {
    let value = value?;
    let cleaned = if value.contains('\0') {
        value.replace('\0', "")
    } else {
        value.to_owned()
    };
    let cleaned = clip(cleaned.trim(), max);
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_drop_nul_and_are_bounded() {
        assert_eq!(field(Some("a\0b"), 10).as_deref(), Some("ab"));
        assert_eq!(field(Some("  "), 10), None);
        assert_eq!(field(None, 10), None);
        assert_eq!(field(Some("ééé"), 3).as_deref(), Some("é"));
        assert_eq!(clip("abc", 2), "ab");
    }
}
