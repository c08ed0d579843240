//! Phone numbers in the one form WhatsApp links and webhooks agree on:
//! international digits only.

/// Fewest digits a normalised number may have.
pub const MIN_DIGITS: usize = 7;

/// Most digits a normalised number may have (E.164's limit).
pub const MAX_DIGITS: usize = 15;

/// Digits only, leading zeros removed; `None` unless 7 to 15 digits remain.
///
/// Every character that is not an ASCII digit is dropped, so spaces, `+`,
/// brackets, dashes, dots and prefixes such as Twilio's `whatsapp:` all
/// vanish. Leading zeros go because WhatsApp says to "remove any leading
/// 0s", which also turns the `00` international prefix into the bare
/// country code. `+7 (900) 123-45-67` gives `79001234567`.
pub fn normalize_number(s: &str) -> Option<String> {
    let mut digits = String::with_capacity(s.len());
    // Runs of digits are copied at once (the snippet normalises every
    // link's number, most of them written as one run).
    let mut run = 0;
    for i in 0..=s.len() {
        match s.as_bytes().get(i) {
            Some(b'0') if run == i && digits.is_empty() => run = i + 1,
            Some(b) if b.is_ascii_digit() => {}
            _ => {
                digits.push_str(s.get(run..i).unwrap_or_default());
                run = i + 1;
            }
        }
    }
    (MIN_DIGITS..=MAX_DIGITS)
        .contains(&digits.len())
        .then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_the_usual_spellings() {
        let cases = [
            ("+7 (900) 123-45-67", Some("79001234567")),
            ("0044 7700 900123", Some("447700900123")),
            ("+44 7700.900.123", Some("447700900123")),
            ("whatsapp:+5511987654321", Some("5511987654321")),
            ("1234567", Some("1234567")),
            ("123456789012345", Some("123456789012345")),
            ("000123456789012345", Some("123456789012345")),
            ("123456", None),
            ("0000123456", None),
            ("1234567890123456", None),
            ("", None),
            ("+", None),
            ("no number here", None),
            ("٧٩٠٠١٢٣٤٥٦٧", None), // non-ASCII digits are not dialled
        ];
        for (input, want) in cases {
            assert_eq!(normalize_number(input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn is_idempotent() {
        for input in ["+7 (900) 123-45-67", "0044 7700 900123", "1234567"] {
            let once = normalize_number(input).unwrap();
            assert_eq!(normalize_number(&once).as_deref(), Some(once.as_str()));
        }
    }
}
