//! The generic JSON message format of `POST /api/v1/messages`, for any other platform.

use serde::Deserialize;

use crate::domain::inbound::{
    provider_id, unix_seconds_ms, ContactIdentity, InboundMessage, InvalidInbound,
};
use crate::domain::provider::{ChatChannel, Provider};
use crate::domain::referral::Referral;
use crate::domain::site::Site;
use crate::text::{field, MAX_SHORT, MAX_TEXT};

/// How far ahead of the server clock `sent_at` may be (clock skew of the sending platform).
const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;

/// One message as posted. Unknown fields are refused so a misspelt field name is reported
/// instead of silently ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenericMessage {
    /// Messaging channel: `whatsapp`, `instagram`, `viber`, … (`a-z 0-9 _ -`, ≤ 32).
    pub channel: String,
    /// The platform's message id: the deduplication key within the channel.
    pub message_id: String,
    /// The tracked number that received the message (any notation).
    pub business_number: String,
    /// The sender's id on the platform (required unless `sender_phone` is given).
    pub sender_id: Option<String>,
    /// The sender's phone, any notation.
    pub sender_phone: Option<String>,
    /// The sender's display name.
    pub sender_name: Option<String>,
    /// The sender's username.
    pub sender_username: Option<String>,
    /// The message text.
    pub text: Option<String>,
    /// Send time, RFC 3339 (default: now).
    pub sent_at: Option<String>,
    /// A Click-to-WhatsApp-style ad referral, same fields as stored.
    pub referral: Option<Referral>,
}

impl GenericMessage {
    /// Validates the message for `site` (the API token's site) at server time `now_ms`.
    pub fn into_inbound(self, site: &Site, now_ms: i64) -> Result<InboundMessage, InvalidInbound> {
        let channel =
            ChatChannel::parse(&self.channel.trim().to_ascii_lowercase()).map_err(|_| {
                InvalidInbound("channel must be 1-32 characters of a-z, 0-9, _ and -".into())
            })?;
        let id = provider_id("message_id", &self.message_id)?;
        let business_number = site
            .tracked_digits(&self.business_number)
            .ok_or_else(|| {
                InvalidInbound(format!(
                    "business_number {:?} is not a tracked number of this site",
                    self.business_number
                ))
            })?
            .to_owned();
        let phone = match self.sender_phone.as_deref() {
            Some(raw) => Some(chatrail_core::phone::normalize_number(raw).ok_or_else(|| {
                InvalidInbound(format!("sender_phone {raw:?} is not a phone number"))
            })?),
            None => None,
        };
        let user_id = match self.sender_id.as_deref() {
            Some(raw) => Some(provider_id("sender_id", raw)?),
            None => None,
        };
        if phone.is_none() && user_id.is_none() {
            return Err(InvalidInbound(
                "sender_id or sender_phone is required".into(),
            ));
        }
        let sent_at_ms = match self.sent_at.as_deref() {
            None => now_ms,
            Some(raw) => {
                let at = chrono::DateTime::parse_from_rfc3339(raw)
                    .map_err(|e| InvalidInbound(format!("sent_at {raw:?} is not RFC 3339: {e}")))?
                    .timestamp_millis();
                if at > now_ms + MAX_FUTURE_MS {
                    return Err(InvalidInbound(format!("sent_at {raw:?} is in the future")));
                }
                // Same plausibility bounds as provider timestamps.
                unix_seconds_ms("sent_at", at.div_euclid(1000))?;
                at
            }
        };
        Ok(InboundMessage {
            site_id: site.id,
            // Ids are namespaced by channel inside the generic provider.
            provider: Provider::Generic,
            provider_message_id: format!("{}:{id}", channel.as_str()),
            business_number,
            contact: ContactIdentity {
                channel,
                phone,
                user_id,
                name: field(self.sender_name.as_deref(), MAX_SHORT),
                username: field(self.sender_username.as_deref(), MAX_SHORT),
            },
            message_type: "text".into(),
            text: field(self.text.as_deref(), MAX_TEXT),
            sent_at_ms,
            referral: self.referral.and_then(Referral::cleaned),
        })
    }
}
