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
    let mut message = Message {
        out: String::with_capacity(template.len() + text.len() + CODE_LEN + 1),
        after_code: false,
        placed: false,
    };
    let mut rest = template;
    while let Some((before, tail)) = cut(rest, b'{') {
        message.push(before);
        if let Some(after) = tail.strip_prefix("text}") {
            message.push(text.trim_ascii());
            rest = after;
        } else if let Some(after) = tail.strip_prefix("code}") {
            message.push_code(code);
            rest = after;
        } else {
            message.push("{");
            rest = tail;
        }
    }
    message.push(rest);

    let trimmed = message.out.trim_ascii();
    if trimmed.len() < message.out.len() {
        message.out = trimmed.into();
    }
    // A code the template placed is a token of its own (see `push_code`),
    // so only a message without one is searched.
    if !message.placed && !contains_code(&message.out, code) {
        if !message.out.is_empty() {
            message.out.push(' ');
        }
        message.push_code(code);
    }
    message.out
}

/// A message being filled in.
struct Message {
    out: String,
    /// Whether the code is the last thing pushed, so a letter or digit
    /// next must be kept apart from it.
    after_code: bool,
    /// Whether the template placed the code.
    placed: bool,
}

impl Message {
    /// Appends a piece of the template or the text.
    fn push(&mut self, piece: &str) {
        let Some(first) = piece.as_bytes().first() else {
            return;
        };
        if self.after_code && first.is_ascii_alphanumeric() {
            self.out.push(' ');
        }
        self.after_code = false;
        self.out.push_str(piece);
    }

    /// Appends the code, apart from a letter or digit before it.
    fn push_code(&mut self, code: &SessionCode) {
        if self
            .out
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric)
        {
            self.out.push(' ');
        }
        code.push_to(&mut self.out);
        self.after_code = true;
        self.placed = true;
    }
}
