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

/// The path (`a.b[2]`, `""` for the root) of the first string in `value`, key or value,
/// that holds a NUL character.
pub fn nul_field(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| match at {
        "" => key.to_owned(),
        _ => format!("{at}.{key}"),
    };
    match value {
        Value::String(s) => s.contains('\0').then(|| at.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_field(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(join(&k.replace('\0', "\\0")));
            }
            nul_field(v, &join(k))
        }),
        _ => None,
    }
}

/// What in a request's URI holds a NUL character (`%00`), which no stored text may: the
/// path, or the name of the query parameter.
pub fn nul_in_uri(path: &str, query: &str) -> Option<String> {
    let nul = |s: &str| {
        s.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    if nul(path) {
        return Some("the path".to_owned());
    }
    query.split('&').find(|pair| nul(pair)).map(|pair| {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        let name: String = form_urlencoded::parse(name.as_bytes())
            .map(|(k, _)| k.replace('\0', "\\0"))
            .next()
            .unwrap_or_default();
        let name: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
        format!("query parameter {name:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_where_it_is() {
        let v = serde_json::json!({"site": "k", "pages": [{"path": "/a"}, {"path": "/\u{0}"}]});
        assert_eq!(nul_field(&v, "").as_deref(), Some("pages[1].path"));
        assert_eq!(nul_field(&serde_json::json!({"a": ["ok", 1]}), ""), None);
        assert_eq!(
            nul_in_uri("/sites/%00/config", "").as_deref(),
            Some("the path")
        );
        assert_eq!(
            nul_in_uri("/api/v1/dialogs", "limit=5&channel=a%00b").as_deref(),
            Some("query parameter \"channel\"")
        );
        assert_eq!(
            nul_in_uri("/api/v1/dialogs", "q=%2500"),
            None,
            "an escaped % is text"
        );
    }

    #[test]
    fn fields_drop_nul_and_are_bounded() {
        assert_eq!(field(Some("a\0b"), 10).as_deref(), Some("ab"));
        assert_eq!(field(Some("  "), 10), None);
        assert_eq!(field(None, 10), None);
        assert_eq!(field(Some("ééé"), 3).as_deref(), Some("é"));
        assert_eq!(clip("abc", 2), "ab");
    }
}
