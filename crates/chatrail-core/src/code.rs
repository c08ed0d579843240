//! Session codes: the short token that carries a website session into the
//! first chat message, so the inbound message can be joined to its visit.
//!
//! # Format
//!
//! This is the product's public format; codes already handed out must keep
//! parsing, so none of it may change.
//!
//! * A code is **8 characters** of Crockford base32, alphabet
//!   `0123456789ABCDEFGHJKMNPQRSTVWXYZ`; the character at index *v* stands
//!   for the 5-bit symbol *v*. The canonical form is upper case.
//! * Symbols 1–6 are **data**: 30 random bits, most significant first
//!   (symbol *i*, counting from 0, holds bits `29−5i ..= 25−5i`).
//! * Symbols 7–8 are **check** symbols of a systematic Reed–Solomon code
//!   over GF(32), the field built on the primitive polynomial
//!   x⁵ + x² + 1 with α = 2 (the symbol value's bits are the polynomial's
//!   coefficients). With the 8 symbols read as the coefficients of
//!   c(x) = c₀x⁷ + c₁x⁶ + … + c₇ (first character = highest degree),
//!   the check symbols are m(x)·x² mod g(x) for the generator
//!   g(x) = (x − α)(x − α²) = x² + 6x + 8, so that c(α) = c(α²) = 0.
//! * A code contains **at least one digit and at least one letter**.
//!   Generation rejects the ~5 % of values that would be all letters or all
//!   digits, so no plain word or plain number is ever read as a code.
//!
//! Example: data `K7Q2M9` gets check symbols `VA`, giving `K7Q2M9VA`.
//!
//! # Reading
//!
//! * Case does not matter. As in Crockford's decoding, `I` and `L` read as
//!   `1` and `O` as `0`; `U` is not a symbol.
//! * The token as typed must itself show a digit and a letter (so the
//!   all-letter word `HOLOGRAM` is never decoded as `H0L0GRAM`), and the
//!   decoded symbols must pass the check and contain a digit and a letter.
//!
//! # What the check catches
//!
//! The code's minimum distance is 3, so any one or two wrong symbols are
//! detected, and so is any swap of two adjacent different symbols (that is
//! two wrong symbols). A missing or extra character changes the length. A
//! uniformly random 8-symbol token passes the check with probability
//! exactly 1/1024 (32⁶ codewords out of 32⁸ words); the collector also
//! requires a code to belong to a live session of the same site, which is
//! what makes a chance match harmless.

use core::fmt;
use core::str::FromStr;

mod rs;
#[cfg(test)]
mod tests;

/// The 32 symbols in value order.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Number of characters in a code.
pub const CODE_LEN: usize = 8;

/// Number of random bits a code carries.
pub const CODE_BITS: u32 = 30;

/// A valid session code, stored in canonical upper-case form.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionCode([u8; CODE_LEN]);

/// Why a string is not a session code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// The string does not have exactly 8 characters.
    WrongLength {
        /// Number of characters found (after trimming whitespace).
        found: usize,
    },
    /// A character is not in the alphabet (nor an accepted alias).
    InvalidCharacter {
        /// Zero-based character position.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// The code is all letters or all digits, which no real code is.
    LettersOrDigitsOnly,
    /// The check symbols do not match: a typo, or not a code at all.
    CheckFailed,
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CodeError::WrongLength { found } => {
                write!(
                    f,
                    "wrong length: a session code has 8 characters, found {found}"
                )
            }
            CodeError::InvalidCharacter { position, found } => {
                write!(
                    f,
                    "invalid character {found:?} at position {position} of a session code"
                )
            }
            CodeError::LettersOrDigitsOnly => {
                f.write_str("not a session code: a code has both letters and digits")
            }
            CodeError::CheckFailed => {
                f.write_str("check failed: mistyped session code, or not a code")
            }
        }
    }
}

impl std::error::Error for CodeError {}

/// The symbol value of one typed character, with Crockford's aliases.
fn symbol(byte: u8) -> Option<u8> {
    match byte.to_ascii_uppercase() {
        d @ b'0'..=b'9' => Some(d - b'0'),
        b'O' => Some(0),
        b'I' | b'L' => Some(1),
        up => ALPHABET.iter().position(|&a| a == up).map(|i| i as u8),
    }
}

/// True when the symbols include both a digit (value < 10) and a letter.
fn is_mixed(symbols: &[u8; CODE_LEN]) -> bool {
    symbols.iter().any(|&s| s < 10) && symbols.iter().any(|&s| s >= 10)
}

impl SessionCode {
    /// The code for the low 30 bits of `bits`, or `None` if it would be all
    /// letters or all digits.
    pub fn from_bits(bits: u32) -> Option<SessionCode> {
        let data: [u8; 6] = core::array::from_fn(|i| ((bits >> (25 - 5 * i as u32)) & 0x1f) as u8);
        let [c6, c7] = rs::check_symbols(&data);
        let symbols = [data[0], data[1], data[2], data[3], data[4], data[5], c6, c7];
        is_mixed(&symbols).then(|| SessionCode(symbols.map(|s| ALPHABET[usize::from(s)])))
    }

    /// A fresh code from the caller's randomness (browser crypto or `rand`);
    /// draws again for the ~5 % of values `from_bits` rejects.
    pub fn generate(mut next_u32: impl FnMut() -> u32) -> SessionCode {
        loop {
            if let Some(code) = SessionCode::from_bits(next_u32()) {
                return code;
            }
        }
    }

    /// Parses one code as typed: surrounding whitespace is ignored, case
    /// and Crockford aliases are accepted, and the check must pass.
    pub fn parse(s: &str) -> Result<SessionCode, CodeError> {
        let s = s.trim();
        let found = s.chars().count();
        if found != CODE_LEN {
            return Err(CodeError::WrongLength { found });
        }
        // Reported per character so a non-ASCII character is named whole.
        for (position, ch) in s.chars().enumerate() {
            if !ch.is_ascii() || symbol(ch as u8).is_none() {
                return Err(CodeError::InvalidCharacter {
                    position,
                    found: ch,
                });
            }
        }
        decode(s.as_bytes())
    }

    /// Appends the code's text; unlike [`SessionCode::as_str`], without
    /// UTF-8 validation, whose code the snippet would otherwise carry.
    pub fn push_to(&self, out: &mut String) {
        out.extend(self.0.iter().map(|&b| char::from(b)));
    }

    /// A code from exactly 8 ASCII characters as typed (case and aliases
    /// accepted), or `None`; [`SessionCode::parse`] says why not.
    pub fn from_ascii(token: &[u8]) -> Option<SessionCode> {
        decode(token).ok()
    }

    /// The canonical upper-case text of the code.
    pub fn as_str(&self) -> &str {
        // Always ASCII by construction, so the fallback is never taken.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 30 data bits the code was made from.
    pub fn to_bits(&self) -> u32 {
        self.0[..6]
            .iter()
            .filter_map(|&b| symbol(b))
            .fold(0, |acc, s| (acc << 5) | u32::from(s))
    }
}

/// Decodes one ASCII token as typed.
fn decode(token: &[u8]) -> Result<SessionCode, CodeError> {
    if token.len() != CODE_LEN {
        return Err(CodeError::WrongLength { found: token.len() });
    }
    let mut symbols = [0u8; CODE_LEN];
    let (mut typed_digit, mut typed_letter) = (false, false);
    for (position, (&byte, slot)) in token.iter().zip(symbols.iter_mut()).enumerate() {
        *slot = symbol(byte).ok_or(CodeError::InvalidCharacter {
            position,
            found: char::from(byte),
        })?;
        typed_digit |= byte.is_ascii_digit();
        typed_letter |= byte.is_ascii_alphabetic();
    }
    if !(typed_digit && typed_letter) {
        return Err(CodeError::LettersOrDigitsOnly);
    }
    if !rs::is_codeword(&symbols) {
        return Err(CodeError::CheckFailed);
    }
    // An alias can turn a mixed token into all digits (`1O1O1O1O`); no
    // generated code looks like that.
    if !is_mixed(&symbols) {
        return Err(CodeError::LettersOrDigitsOnly);
    }
    Ok(SessionCode(symbols.map(|s| ALPHABET[usize::from(s)])))
}

impl FromStr for SessionCode {
    type Err = CodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionCode::parse(s)
    }
}

impl fmt::Display for SessionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// Hand-written so logs show `SessionCode("K7Q2M9VA")` rather than bytes.
impl fmt::Debug for SessionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionCode").field(&self.as_str()).finish()
    }
}

impl AsRef<str> for SessionCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for SessionCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for SessionCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SessionCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whether `code` is in `text` as [`find_codes`] finds codes; without
/// collecting them, because the snippet asks this for every link.
///
/// The code as written (any case) is the usual run, and is compared
/// directly: decoding (the check digits) was most of the snippet's time here.
pub fn contains_code(text: &str, code: &SessionCode) -> bool {
    text.as_bytes()
        .split(|b| !b.is_ascii_alphanumeric())
        .any(|run| {
            run.eq_ignore_ascii_case(&code.0)
                || run.len() == CODE_LEN && decode(run).is_ok_and(|c| c == *code)
        })
}

/// Every valid code in `text`, in order of first appearance, without
/// duplicates.
///
/// A candidate is a maximal run of exactly 8 ASCII letters and digits,
/// bounded by the ends of the text or by any other character (punctuation,
/// space, emoji, any non-ASCII letter), so `(ref k7q2m9va)` matches but
/// `AK7Q2M9VA` does not.
pub fn find_codes(text: &str) -> Vec<SessionCode> {
    let mut found = Vec::new();
    // Bytes ≥ 0x80 are never ASCII alphanumeric, so multi-byte characters
    // only ever act as separators and no run splits one.
    for run in text.as_bytes().split(|b| !b.is_ascii_alphanumeric()) {
        if run.len() != CODE_LEN {
            continue;
        }
        if let Ok(code) = decode(run) {
            if !found.contains(&code) {
                found.push(code);
            }
        }
    }
    found
}
