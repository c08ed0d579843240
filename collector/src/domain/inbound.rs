//! Inbound chat messages, normalised from any provider's webhook.

use chatrail_core::code::{find_codes, SessionCode};

use super::site::SiteId;

/// Who wrote: a phone number, or a provider-scoped user id where the phone is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactIdentity {
    /// Messaging channel, e.g. `whatsapp`.
    pub channel: &'static str,
    /// Phone, digits only.
    pub phone: Option<String>,
    /// Provider user id (WhatsApp BSUID, …).
    pub user_id: Option<String>,
    /// Profile name.
    pub name: Option<String>,
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
    /// Provider name (`whatsapp`, …): the namespace of `provider_message_id`.
    pub provider: &'static str,
    /// Provider's message id, the deduplication key.
    pub provider_message_id: String,
    /// Tracked number that received the message.
    pub business_number: String,
    /// Sender.
    pub contact: ContactIdentity,
    /// Provider message type (`text`, `button`, …).
    pub message_type: String,
    /// Text carried by the message, if any.
    pub text: Option<String>,
    /// Send time from the provider, epoch ms.
    pub sent_at_ms: i64,
}

impl InboundMessage {
    /// Session codes found in the text.
    pub fn codes(&self) -> Vec<SessionCode> {
        self.text.as_deref().map(find_codes).unwrap_or_default()
    }
}
