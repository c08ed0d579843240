//! Telegram Bot API webhooks: one `Update` per request, authenticated by the secret token
//! given to `setWebhook` (header `X-Telegram-Bot-Api-Secret-Token`).
//!
//! A `t.me/<bot>?start=<code>` link makes Telegram send `/start <code>` (`/start@<bot> <code>`
//! in groups) when the user presses START, so the session code is in the message text.

use serde::Deserialize;

use crate::domain::inbound::{unix_seconds_ms, ContactIdentity, InboundMessage, InvalidInbound};
use crate::domain::provider::{telegram_number, ChatChannel, Provider};
use crate::domain::site::SiteId;
use crate::text::{field, MAX_SHORT, MAX_TEXT};

/// A webhook update; only `message` is a chat message, other kinds are acknowledged and skipped.
#[derive(Debug, Deserialize)]
pub struct Update {
    /// Sequential per bot: the deduplication key.
    pub update_id: i64,
    /// A new message.
    pub message: Option<Message>,
}

/// A Telegram message.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// Id within the chat.
    pub message_id: i64,
    /// The sender; absent in channels.
    pub from: Option<User>,
    /// Unix seconds.
    pub date: i64,
    /// Text of a text message.
    pub text: Option<String>,
    /// Caption of a photo, video or document.
    pub caption: Option<String>,
}

/// A Telegram user.
#[derive(Debug, Deserialize)]
pub struct User {
    /// Stable user id.
    pub id: i64,
    /// Bots never start chats from links.
    #[serde(default)]
    pub is_bot: bool,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    pub last_name: Option<String>,
    /// Public username.
    pub username: Option<String>,
}

/// The deep-link payload of `/start <payload>` or `/start@<bot> <payload>`, if `text` is one
/// addressed to `bot` (or to no bot in particular).
pub fn start_payload<'a>(text: &'a str, bot: &str) -> Option<&'a str> {
    let rest = text.trim_start().strip_prefix("/start")?;
    let (mention, rest) = match rest.strip_prefix('@') {
        Some(after) => {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        }
        None => (None, rest),
    };
    if mention.is_some_and(|m| !m.eq_ignore_ascii_case(bot)) {
        return None;
    }
    // `/startfoo` is another command; the payload follows one space.
    let payload = rest.strip_prefix(char::is_whitespace)?.trim();
    (!payload.is_empty()).then_some(payload)
}

impl Update {
    /// The chat message of this update for `bot` of `site_id`, or `None` for updates that are
    /// not a person's message (edits, callbacks, channel posts, bots).
    pub fn message(
        &self,
        site_id: SiteId,
        bot: &str,
    ) -> Result<Option<InboundMessage>, InvalidInbound> {
        let Some(message) = &self.message else {
            return Ok(None);
        };
        let Some(user) = message.from.as_ref().filter(|u| !u.is_bot) else {
            return Ok(None);
        };
        let text = field(
            message.text.as_deref().or(message.caption.as_deref()),
            MAX_TEXT,
        );
        let message_type = match (&message.text, text.as_deref()) {
            (Some(_), Some(t)) if start_payload(t, bot).is_some() => "start",
            (Some(_), _) => "text",
            (None, Some(_)) => "caption",
            (None, None) => "other",
        };
        let name = [Some(user.first_name.as_str()), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Some(InboundMessage {
            site_id,
            provider: Provider::Telegram,
            // update_id restarts at random after a week without updates, and differs per bot:
            // the bot's name keeps a re-pointed webhook from colliding with an old bot's ids.
            provider_message_id: format!("{bot}:{}", self.update_id),
            business_number: telegram_number(bot),
            contact: ContactIdentity {
                channel: ChatChannel::Telegram,
                phone: None,
                user_id: Some(user.id.to_string()),
                name: field(Some(&name), MAX_SHORT),
                username: field(user.username.as_deref(), MAX_SHORT),
            },
            message_type: message_type.into(),
            text,
            sent_at_ms: unix_seconds_ms("message.date", message.date)?,
            referral: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_payloads_are_found_for_this_bot_only() {
        assert_eq!(
            start_payload("/start K7Q2M9VA", "oak_bot"),
            Some("K7Q2M9VA")
        );
        assert_eq!(
            start_payload("/start@Oak_Bot K7Q2M9VA", "oak_bot"),
            Some("K7Q2M9VA")
        );
        assert_eq!(start_payload("/start@other_bot K7Q2M9VA", "oak_bot"), None);
        assert_eq!(start_payload("/start", "oak_bot"), None);
        assert_eq!(start_payload("/startgroup x", "oak_bot"), None);
        assert_eq!(start_payload("hello /start x", "oak_bot"), None);
    }

    #[test]
    fn a_person_s_message_becomes_an_inbound_message() {
        let update: Update = serde_json::from_str(
            r#"{"update_id":10,"message":{"message_id":1,"date":1763805600,
                "from":{"id":42,"is_bot":false,"first_name":"Ana","last_name":"Souza","username":"anas"},
                "chat":{"id":42,"type":"private"},"text":"/start K7Q2M9VA"}}"#,
        )
        .unwrap();
        let m = update
            .message(SiteId(uuid::Uuid::nil()), "oak_bot")
            .unwrap()
            .unwrap();
        assert_eq!(m.provider_message_id, "oak_bot:10");
        assert_eq!(m.message_type, "start");
        assert_eq!(m.contact.identity(), "user:42");
        assert_eq!(m.contact.name.as_deref(), Some("Ana Souza"));
        assert_eq!(m.codes().len(), 1);
        let edit: Update = serde_json::from_str(r#"{"update_id":11,"edited_message":{}}"#).unwrap();
        assert!(edit
            .message(SiteId(uuid::Uuid::nil()), "oak_bot")
            .unwrap()
            .is_none());
    }
}
