//! The prefilled message: a site's template filled with the link's text and
//! the session code.

use crate::code::{contains_code, SessionCode, CODE_LEN};
use crate::text::cut;

/// The message template used when a site configures none.
pub const DEFAULT_TEMPLATE: &str = "{text} (ref {code})";

/// Fills `{text}` and `{code}` into `template`, text and result trimmed
/// (of ASCII whitespace);
/// the code is always present and always findable by
/// [`find_codes`](crate::code::find_codes).
///
/// A template without `{code}` gets ` <code>` appended, and a space is put
/// between the code and an adjacent letter or digit, because a code glued
/// to a word is not a separate token and would not be found.
pub fn render_message(template: &str, text: &str, code: &SessionCode) -> String {
    let mut out = String::with_capacity(template.len() + text.len() + CODE_LEN);
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

    let mut code_text = String::with_capacity(CODE_LEN);
    code.push_to(&mut code_text);
    let mut rest = template;
    while let Some((before, tail)) = cut(rest, b'{') {
        push(&mut out, before, false);
        if let Some(after) = tail.strip_prefix("text}") {
            push(&mut out, text.trim_ascii(), false);
            rest = after;
        } else if let Some(after) = tail.strip_prefix("code}") {
            push(&mut out, &code_text, true);
            rest = after;
        } else {
            push(&mut out, "{", false);
            rest = tail;
        }
    }
    push(&mut out, rest, false);

    let mut message = String::from(out.trim_ascii());
    if !contains_code(&message, code) {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(&code_text);
    }
    message
}
