//! The logic that both the browser snippet (wasm32) and the collector need:
//! session codes, click-to-chat link recognition and rewriting, phone number
//! normalisation and the beacon wire format.
//!
//! No I/O lives here, so the same code runs in the browser and on the
//! server; the snippet's size budget is why there is no regex, no `url`
//! crate and little `format!`.
#![forbid(unsafe_code)]

pub mod beacon;
pub mod code;
pub mod links;
pub mod phone;
pub mod text;

pub use code::{find_codes, CodeError, SessionCode};
pub use links::{
    chat_link, normalize_bot, parse_chat_link, render_message, rewrite_chat_link, ChatLink,
    LinkKind, Rewritten, Tracked, DEFAULT_TEMPLATE,
};
pub use phone::normalize_number;
