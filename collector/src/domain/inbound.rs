//! Inbound chat events, normalised from any provider's webhook.
//!
//! Providers' payloads are parsed into these types at the edge, so storage only ever sees
//! bounded, NUL-free strings (PostgreSQL refuses NUL in text, and a stranger's message must
//! never turn into a 500) and ids that are usable as deduplication keys.

use chatrail_core::code::{find_codes, SessionCode};

use super::provider::{ChatChannel, Provider};
use super::referral::Referral;
use super::site::SiteId;
use super::status::StatusUpdate;
/// Longest accepted provider id: longer ones are refused, never cut (they are dedupe keys).
pub const MAX_ID: usize = 256;
/// Most session codes of one message looked up (a real one carries one or two; a stranger's
/// message of crafted codes must not cost a query per word).
pub const MAX_CODES: usize = 8;

/// Who wrote: a phone number, or a provider-scoped user id where the phone is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactIdentity {
    /// Messaging channel, e.g. `whatsapp`, `telegram`.
    pub channel: ChatChannel,
    /// Phone, digits only.
    pub phone: Option<String>,
    /// Provider user id (WhatsApp BSUID, Telegram user id, …).
    pub user_id: Option<String>,
    /// Profile name.
    pub name: Option<String>,
    /// Public username (Telegram, WhatsApp usernames).
    pub username: Option<String>,
}

impl ContactIdentity {
    /// The stable key a contact is stored under: the phone, else the provider user id.
    pub fn identity(&self) -> String {
        match (&self.phone, &self.user_id) {
            (Some(phone), _) => phone.clone(),
            (None, Some(user)) => format!("user:{user}"),
            (None, None) => String::new(),
        }
    }
}

/// One inbound message, ready to be stored and matched.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// Site owning the receiving number.
    pub site_id: SiteId,
    /// The provider: the namespace of `provider_message_id`.
    pub provider: Provider,
    /// Provider's message id, the deduplication key.
    pub provider_message_id: String,
    /// Tracked number that received the message (`@bot` for Telegram).
    pub business_number: String,
    /// Sender.
    pub contact: ContactIdentity,
    /// Provider message type (`text`, `button`, …).
    pub message_type: String,
    /// Text carried by the message, if any.
    pub text: Option<String>,
    /// Send time from the provider, epoch ms.
    pub sent_at_ms: i64,
    /// The Click-to-WhatsApp ad the message came from.
    pub referral: Option<Referral>,
}

impl InboundMessage {
    /// Session codes found in the text, the first [`MAX_CODES`] of them.
    pub fn codes(&self) -> Vec<SessionCode> {
        let mut codes = self.text.as_deref().map(find_codes).unwrap_or_default();
        codes.truncate(MAX_CODES);
        codes
    }
}

/// A contact's identity changed (WhatsApp `system` messages): the stored contact follows.
#[derive(Debug, Clone)]
pub struct IdentityChange {
    /// Site owning the receiving number.
    pub site_id: SiteId,
    /// The provider: the namespace of `provider_message_id`.
    pub provider: Provider,
    /// Id of the system message (deduplication key).
    pub provider_message_id: String,
    /// The contact as it was known.
    pub old: ContactIdentity,
    /// The new phone, for a number change.
    pub new_phone: Option<String>,
    /// The new provider user id, for a user-id change.
    pub new_user_id: Option<String>,
    /// The provider's description, e.g. "Ana changed from … to …".
    pub body: Option<String>,
    /// Event time, epoch ms.
    pub at_ms: i64,
}

/// Anything a webhook delivers that is stored.
#[derive(Debug, Clone)]
pub enum InboundEvent {
    /// A message from a contact.
    Message(Box<InboundMessage>),
    /// A delivery status of a message the business sent.
    Status(StatusUpdate),
    /// A contact changed number or user id.
    IdentityChange(Box<IdentityChange>),
}

/// A payload that is well-formed JSON (or form) but breaks the provider's documented shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInbound(pub String);

/// A provider id used as a key: non-empty, at most [`MAX_ID`] bytes, no control characters.
pub fn provider_id(name: &str, value: &str) -> Result<String, InvalidInbound> {
    if value.is_empty() {
        return Err(InvalidInbound(format!("{name} is empty")));
    }
    if value.len() > MAX_ID {
        return Err(InvalidInbound(format!(
            "{name} is longer than {MAX_ID} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidInbound(format!(
            "{name} contains control characters"
        )));
    }
    Ok(value.to_owned())
}

/// Unix seconds (number or decimal string) as epoch ms, within years 2000–2200.
pub fn unix_seconds_ms(name: &str, seconds: i64) -> Result<i64, InvalidInbound> {
    // Anything outside this range is a broken payload, not a real send time.
    const MIN: i64 = 946_684_800;
    const MAX: i64 = 7_258_118_400;
    if (MIN..=MAX).contains(&seconds) {
        Ok(seconds * 1000)
    } else {
        Err(InvalidInbound(format!(
            "{name} {seconds} is not a plausible Unix time in seconds"
        )))
    }
}

/// Parses a decimal Unix-seconds string (Meta's format) into epoch ms.
pub fn unix_seconds_str_ms(name: &str, value: &str) -> Result<i64, InvalidInbound> {
    let seconds = value
        .trim()
        .parse::<i64>()
        .map_err(|_| InvalidInbound(format!("{name} {value:?} is not Unix seconds")))?;
    unix_seconds_ms(name, seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_keys_or_refused() {
        assert_eq!(provider_id("id", "wamid.1").unwrap(), "wamid.1");
        assert!(provider_id("id", "").is_err());
        assert!(provider_id("id", "a\nb").is_err());
        assert!(provider_id("id", &"x".repeat(MAX_ID + 1)).is_err());
    }

    #[test]
    fn timestamps_must_be_plausible() {
        assert_eq!(
            unix_seconds_str_ms("t", "1763805600").unwrap(),
            1_763_805_600_000
        );
        assert!(unix_seconds_str_ms("t", "soon").is_err());
        assert!(unix_seconds_str_ms("t", "99999999999999999").is_err());
        assert!(unix_seconds_ms("t", -1).is_err());
    }

    #[test]
    fn at_most_max_codes_are_looked_up() {
        let mut seed = 7u32;
        let codes: Vec<SessionCode> = (0..3 * MAX_CODES)
            .map(|_| {
                SessionCode::generate(|| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    seed
                })
            })
            .collect();
        let text: Vec<String> = codes.iter().map(|c| format!("(ref {c})")).collect();
        let m = InboundMessage {
            site_id: SiteId(uuid::Uuid::nil()),
            provider: Provider::WhatsApp,
            provider_message_id: "wamid.1".into(),
            business_number: "447700900123".into(),
            contact: ContactIdentity {
                channel: ChatChannel::WhatsApp,
                phone: Some("5511987654321".into()),
                user_id: None,
                name: None,
                username: None,
            },
            message_type: "text".into(),
            text: Some(text.join(" ")),
            sent_at_ms: 0,
            referral: None,
        };
        assert_eq!(m.codes(), codes[..MAX_CODES]);
    }
}
