use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Fixed seed and no persistence files, so CI never flakes nor writes.
fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0xc0de_c0de_5e55),
        failure_persistence: None,
        ..Config::default()
    }
}

fn any_code() -> impl Strategy<Value = SessionCode> {
    any::<u32>().prop_filter_map("all letters or all digits", SessionCode::from_bits)
}

/// Every character that decodes to some symbol, aliases and lower case included.
fn all_symbol_chars() -> Vec<u8> {
    let mut chars: Vec<u8> = ALPHABET.to_vec();
    chars.extend(ALPHABET.iter().map(u8::to_ascii_lowercase));
    chars.extend_from_slice(b"IiLlOo");
    chars.sort_unstable();
    chars.dedup();
    chars
}

fn parse_bytes(bytes: &[u8]) -> Result<SessionCode, CodeError> {
    SessionCode::parse(core::str::from_utf8(bytes).unwrap())
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn format_is_pinned() {
    // These values are the public format: if this test changes, codes
    // already sent in chats stop matching.
    assert_eq!(
        SessionCode::from_bits(0x1234_5678).unwrap().as_str(),
        "938NKR10"
    );
    assert_eq!(SessionCode::parse("K7Q2M9VA").unwrap().as_str(), "K7Q2M9VA");
    assert_eq!(SessionCode::from_bits(0).map(|c| c.to_string()), None); // 00000000
    assert_eq!(
        SessionCode::from_bits(0x1234_5678 | 0xc000_0000),
        SessionCode::from_bits(0x1234_5678)
    );
}

#[test]
fn parses_case_insensitively_with_aliases() {
    let code = SessionCode::parse("K7Q2M9VA").unwrap();
    assert_eq!(SessionCode::parse("k7q2m9va"), Ok(code));
    assert_eq!(" K7q2M9vA\n".parse(), Ok(code));
    let ones = SessionCode::from_bits(0b00001_00000_00001_10100_10101_11111).unwrap();
    let typed = ones.as_str().replacen('1', "l", 1).replacen('0', "o", 1);
    assert_eq!(
        SessionCode::parse(&typed),
        Ok(ones),
        "{ones} typed as {typed}"
    );
}

#[test]
fn errors_name_the_problem() {
    assert_eq!(
        SessionCode::parse("K7Q2M9V"),
        Err(CodeError::WrongLength { found: 7 })
    );
    assert_eq!(
        SessionCode::parse("K7Q2M9VAA"),
        Err(CodeError::WrongLength { found: 9 })
    );
    assert_eq!(
        SessionCode::parse("K7Q2 M9VA"),
        Err(CodeError::WrongLength { found: 9 })
    );
    assert_eq!(
        SessionCode::parse("K7Q2M9VU"),
        Err(CodeError::InvalidCharacter {
            position: 7,
            found: 'U'
        })
    );
    assert_eq!(
        SessionCode::parse("K7Q2M9Vé"),
        Err(CodeError::InvalidCharacter {
            position: 7,
            found: 'é'
        })
    );
    assert_eq!(SessionCode::parse("K7Q2M9VB"), Err(CodeError::CheckFailed));
    assert_eq!(
        SessionCode::parse("HOLOGRAM"),
        Err(CodeError::LettersOrDigitsOnly)
    );
    assert_eq!(
        SessionCode::parse("00000000"),
        Err(CodeError::LettersOrDigitsOnly)
    );
    assert!(CodeError::CheckFailed.to_string().contains("check failed"));
    assert!(CodeError::WrongLength { found: 3 }
        .to_string()
        .contains("wrong length"));
    let invalid = CodeError::InvalidCharacter {
        position: 0,
        found: 'U',
    };
    assert!(invalid.to_string().contains("invalid character"));
}

#[test]
fn an_alias_that_makes_all_digits_is_rejected() {
    // Find a check-passing token whose only letters are aliases of digits.
    let mut state = 0x9e37_79b9_7f4a_7c15;
    let found = (0..2_000_000).find_map(|_| {
        let r = xorshift(&mut state);
        let symbols: [u8; 8] = core::array::from_fn(|i| (r >> (4 * i)) as u8 & 1);
        rs::is_codeword(&symbols).then_some(symbols)
    });
    let symbols = found.expect("a 0/1 codeword exists (e.g. all zeros)");
    let mut token = symbols.map(|s| b"01"[usize::from(s)]);
    token[0] = if symbols[0] == 0 { b'O' } else { b'I' };
    assert_eq!(parse_bytes(&token), Err(CodeError::LettersOrDigitsOnly));
}

#[test]
fn find_codes_matches_only_whole_tokens() {
    let code = SessionCode::parse("K7Q2M9VA").unwrap();
    for text in [
        "K7Q2M9VA",
        "(ref k7q2m9va)",
        "ref:K7Q2M9VA.",
        "hello\nK7Q2M9VA\nbye",
        "K7Q2M9VA😀",
        "привет K7Q2M9VA, спасибо",
        "é K7Q2M9VA é",
        "K7Q2M9VA_x",
        "x K7Q2M9VA then k7q2m9va again",
    ] {
        assert_eq!(find_codes(text), vec![code], "{text:?}");
        assert!(contains_code(text, &code), "{text:?}");
    }
    for text in ["AK7Q2M9VA", "K7Q2M9VA5", "K7Q2M9V", "K7Q2M9VB", "", "😀"] {
        assert_eq!(find_codes(text), vec![], "{text:?}");
        assert!(!contains_code(text, &code), "{text:?}");
    }
    let other = SessionCode::from_bits(0x1234_5678).unwrap();
    assert_eq!(
        find_codes(&format!("{other} {code} {other}")),
        vec![other, code]
    );
}

#[test]
fn contains_code_agrees_with_find_codes_on_aliases() {
    // Codes typed with aliases (O for 0, I or L for 1), in either case, and
    // near misses: contains_code says what find_codes finds.
    for bits in (0..1u32 << 30).step_by(7_654_321) {
        let Some(code) = SessionCode::from_bits(bits) else {
            continue;
        };
        let canonical = code.as_str();
        let typed = [
            canonical.to_owned(),
            canonical.to_ascii_lowercase(),
            canonical.replace('0', "O").replace('1', "l"),
            canonical.replace('0', "o").replace('1', "I"),
            canonical.replace(|c: char| c.is_ascii_alphabetic(), "7"),
            format!("{}Z", &canonical[..7]),
        ];
        for text in typed {
            let text = format!("ref {text}.");
            assert_eq!(
                contains_code(&text, &code),
                find_codes(&text).contains(&code),
                "{text:?} {code:?}"
            );
        }
    }
}

/// Share of uniformly random 8-symbol tokens that pass the check, which is
/// the rate at which chance text could look like a code.
#[test]
fn random_tokens_pass_the_check_one_time_in_1024() {
    const SAMPLES: u32 = 1_000_000;
    let mut state = 0x2545_f491_4f6c_dd1d;
    let (mut check_passed, mut accepted) = (0u32, 0u32);
    for _ in 0..SAMPLES {
        let r = xorshift(&mut state);
        let symbols: [u8; 8] = core::array::from_fn(|i| (r >> (5 * i)) as u8 & 31);
        if rs::is_codeword(&symbols) {
            check_passed += 1;
        }
        if decode(&symbols.map(|s| ALPHABET[usize::from(s)])).is_ok() {
            accepted += 1;
        }
    }
    let rate = f64::from(check_passed) / f64::from(SAMPLES);
    assert!(
        (0.8 / 1024.0..=1.2 / 1024.0).contains(&rate),
        "check pass rate {rate} ({check_passed} of {SAMPLES})"
    );
    // The letter-and-digit rule only ever removes tokens.
    assert!(accepted <= check_passed && accepted * 10 >= check_passed * 9);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn generate_round_trips(seed in any::<u64>()) {
        let mut state = seed | 1;
        let code = SessionCode::generate(|| xorshift(&mut state) as u32);
        prop_assert_eq!(SessionCode::parse(code.as_str()), Ok(code));
        prop_assert_eq!(SessionCode::parse(&code.as_str().to_ascii_lowercase()), Ok(code));
        prop_assert_eq!(code.to_string(), code.as_str());
        prop_assert_eq!(SessionCode::from_bits(code.to_bits()), Some(code));
        prop_assert!(code.as_str().bytes().any(|b| b.is_ascii_digit()));
        prop_assert!(code.as_str().bytes().any(|b| b.is_ascii_uppercase()));
    }

    #[test]
    fn every_single_substitution_is_rejected(code in any_code()) {
        let original = code.as_str().as_bytes();
        for position in 0..CODE_LEN {
            for &ch in &all_symbol_chars() {
                let mut typed = [0u8; CODE_LEN];
                typed.copy_from_slice(original);
                typed[position] = ch;
                let result = parse_bytes(&typed);
                if symbol(ch) == symbol(original[position]) {
                    // Same value, other spelling: fine unless it hid the
                    // only digit or the only letter of the typed token.
                    let mixed = typed.iter().any(u8::is_ascii_digit)
                        && typed.iter().any(u8::is_ascii_alphabetic);
                    prop_assert_eq!(result.is_ok(), mixed, "{:?}", typed);
                } else {
                    prop_assert!(result.is_err(), "{} accepted for {}", String::from_utf8_lossy(&typed), code);
                }
            }
            for bad in *b"Uu-" {
                let mut typed = [0u8; CODE_LEN];
                typed.copy_from_slice(original);
                typed[position] = bad;
                prop_assert!(
                    matches!(parse_bytes(&typed), Err(CodeError::InvalidCharacter { .. })),
                    "{:?}", typed
                );
            }
        }
    }

    #[test]
    fn two_substitutions_are_rejected(
        code in any_code(),
        first in 0..CODE_LEN,
        gap in 1..CODE_LEN,
        deltas in (1u8..32, 1u8..32),
    ) {
        let second = (first + gap) % CODE_LEN;
        let mut symbols = code.0.map(|b| symbol(b).unwrap());
        symbols[first] ^= deltas.0;
        symbols[second] ^= deltas.1;
        let typed = symbols.map(|s| ALPHABET[usize::from(s)]);
        // A mangled token may also have lost its last digit or letter.
        prop_assert!(
            matches!(parse_bytes(&typed), Err(CodeError::CheckFailed | CodeError::LettersOrDigitsOnly)),
            "{} accepted for {}", String::from_utf8_lossy(&typed), code
        );
    }

    #[test]
    fn deletions_insertions_and_transpositions_are_rejected(code in any_code()) {
        let original = code.as_str().as_bytes();
        for i in 0..CODE_LEN {
            let mut deleted = original.to_vec();
            deleted.remove(i);
            prop_assert!(parse_bytes(&deleted).is_err());
            let text = format!("ref {} ok", String::from_utf8_lossy(&deleted));
            prop_assert!(find_codes(&text).is_empty());
        }
        for i in 0..=CODE_LEN {
            for &ch in ALPHABET {
                let mut inserted = original.to_vec();
                inserted.insert(i, ch);
                prop_assert!(parse_bytes(&inserted).is_err());
                let text = format!("ref {} ok", String::from_utf8_lossy(&inserted));
                prop_assert!(find_codes(&text).is_empty());
            }
        }
        for i in 0..CODE_LEN - 1 {
            if original[i] != original[i + 1] {
                let mut swapped = original.to_vec();
                swapped.swap(i, i + 1);
                prop_assert!(parse_bytes(&swapped).is_err(), "{}", String::from_utf8_lossy(&swapped));
            }
        }
    }

    #[test]
    fn a_code_in_surrounding_text_is_found(
        code in any_code(),
        before in "\\PC{0,60}",
        after in "\\PC{0,60}",
        lower in any::<bool>(),
        (open, close) in prop::sample::select(vec![(" ", " "), ("(", ")"), ("\n", "\n"), ("ref:", "."), ("« ", " »"), ("😀", "😀"), ("\u{a0}", "!")]),
    ) {
        let shown = if lower { code.as_str().to_ascii_lowercase() } else { code.as_str().to_owned() };
        let text = format!("{before}{open}{shown}{close}{after}");
        prop_assert!(find_codes(&text).contains(&code), "{:?}", text);
    }

    #[test]
    fn arbitrary_unicode_yields_no_code(text in "\\PC{0,400}") {
        prop_assert_eq!(find_codes(&text), vec![]);
    }

    #[test]
    fn natural_text_yields_no_code(
        pieces in prop::collection::vec(natural_piece(), 0..80),
        separators in prop::collection::vec(prop::sample::select(vec![" ", ", ", ". ", "! ", "? ", "\n", " - ", ": ", " (", ") ", " 😀 ", "… ", "/"]), 80),
    ) {
        let mut text = String::new();
        for (piece, sep) in pieces.iter().zip(&separators) {
            text.push_str(piece);
            text.push_str(sep);
        }
        prop_assert_eq!(find_codes(&text), vec![], "{:?}", text);
    }
}

/// A letters-only word, a digits-only number, a phone number or a price.
fn natural_piece() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "hello",
        "Hi",
        "HOLOGRAM",
        "Hologram",
        "billions",
        "millions",
        "schedule",
        "tomorrow",
        "Question",
        "PLEASE",
        "discount",
        "birthday",
        "shipping",
        "delivery",
        "children",
        "olivella",
        "ILLOGICAL",
        "pillow",
        "Wallpaper",
        "Thanks",
        "photoshoot",
        "Привет",
        "straße",
        "Café",
        "appointment",
        "price",
        "how",
        "much",
        "is",
        "the",
        "oak",
        "table",
        "KIDS",
        "zoo",
    ]);
    prop_oneof![
        3 => words.prop_map(str::to_owned),
        1 => (0u64..100_000_000_000).prop_map(|n| n.to_string()),
        1 => "[a-zA-Z]{8}",
        1 => "[0-9]{8}",
        1 => "\\+[1-9] \\([0-9]{3}\\) [0-9]{3}-[0-9]{2}-[0-9]{2}",
        1 => "0[0-9]{3} [0-9]{3} [0-9]{4}",
        1 => "\\$[0-9]{1,3},[0-9]{3}\\.[0-9]{2}",
        1 => "[0-9]{1,5}[.,][0-9]{2} ?(€|₽|руб)",
    ]
}
