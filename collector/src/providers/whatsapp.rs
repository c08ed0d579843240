//! WhatsApp Cloud API webhook payloads (Meta's format, also used by 360dialog and others).
//!
//! Every `entry[]` → `changes[]` → `messages[]`/`statuses[]` is walked ([`events`]); fields
//! are optional wherever Meta documents they may be absent (statuses-only changes carry no
//! `contacts`, `wa_id` may be empty when a business-scoped user id is given instead).

mod events;

use chatrail_core::phone::normalize_number;
use serde::Deserialize;

use crate::domain::inbound::ContactIdentity;
use crate::domain::provider::ChatChannel;
use crate::domain::referral::Referral;
use crate::text::{field, MAX_SHORT, MAX_TEXT};
pub use events::{events, Delivery};

/// The webhook envelope.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// Always `whatsapp_business_account`.
    pub object: String,
    /// One per business account.
    #[serde(default)]
    pub entry: Vec<Entry>,
}

/// One business account's changes.
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// Changes to walk.
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change; `field == "messages"` carries messages and statuses.
#[derive(Debug, Deserialize)]
pub struct Change {
    /// The subscribed field.
    #[serde(default)]
    pub field: String,
    /// Its value.
    pub value: Option<Value>,
}

/// The value of a `messages` change.
#[derive(Debug, Deserialize)]
pub struct Value {
    /// The receiving business number.
    pub metadata: Option<Metadata>,
    /// Sender profiles.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Inbound messages.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Delivery statuses of messages the business sent.
    #[serde(default)]
    pub statuses: Vec<Status>,
}

/// The business number that received the change.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    /// As displayed, e.g. `447700900123`.
    #[serde(default)]
    pub display_phone_number: String,
    /// Cloud API id of the number.
    #[serde(default)]
    pub phone_number_id: String,
}

/// A sender profile.
#[derive(Debug, Deserialize)]
pub struct Contact {
    /// WhatsApp id (usually the phone); may be empty.
    #[serde(default)]
    pub wa_id: String,
    /// Business-scoped user id.
    pub user_id: Option<String>,
    /// Profile.
    pub profile: Option<Profile>,
}

/// Profile of a sender.
#[derive(Debug, Deserialize)]
pub struct Profile {
    /// Display name.
    pub name: Option<String>,
    /// WhatsApp username (2026 onwards).
    pub username: Option<String>,
}

/// One inbound message.
#[derive(Debug, Deserialize)]
pub struct Message {
    /// Sender's WhatsApp id; may be empty.
    #[serde(default)]
    pub from: String,
    /// Sender's business-scoped user id.
    pub from_user_id: Option<String>,
    /// `wamid.…`, the deduplication key.
    pub id: String,
    /// Unix seconds, as a string.
    #[serde(default)]
    pub timestamp: String,
    /// `text`, `button`, `interactive`, `image`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    text: Option<Text>,
    button: Option<Button>,
    interactive: Option<Interactive>,
    image: Option<Media>,
    video: Option<Media>,
    document: Option<Media>,
    /// Number or user-id changes (`type == "system"`).
    pub system: Option<System>,
    /// The Click-to-WhatsApp ad the chat was started from.
    pub referral: Option<MetaReferral>,
}

/// A `system` message: the contact changed number or business-scoped user id.
#[derive(Debug, Deserialize)]
pub struct System {
    /// Human-readable description.
    pub body: Option<String>,
    /// `user_changed_number` or `user_changed_user_id`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The new WhatsApp id (webhook v12.0 and later).
    pub wa_id: Option<String>,
    /// The new WhatsApp id (webhook v11.0 and earlier).
    pub new_wa_id: Option<String>,
    /// The new business-scoped user id (field name not confirmed by Meta's docs).
    pub user_id: Option<String>,
    /// Alternative name of the new business-scoped user id (not confirmed either).
    pub new_user_id: Option<String>,
}

/// Meta's `referral` object of Click-to-WhatsApp ads.
#[derive(Debug, Deserialize)]
pub struct MetaReferral {
    source_url: Option<String>,
    source_id: Option<String>,
    source_type: Option<String>,
    body: Option<String>,
    headline: Option<String>,
    media_type: Option<String>,
    image_url: Option<String>,
    video_url: Option<String>,
    thumbnail_url: Option<String>,
    ctwa_clid: Option<String>,
    welcome_message: Option<Welcome>,
}

#[derive(Debug, Deserialize)]
struct Welcome {
    text: Option<String>,
}

impl MetaReferral {
    /// The referral as stored, or `None` if nothing in it identifies an ad.
    pub fn to_referral(&self) -> Option<Referral> {
        Referral {
            source_id: self.source_id.clone(),
            source_url: self.source_url.clone(),
            source_type: self.source_type.clone(),
            headline: self.headline.clone(),
            body: self.body.clone(),
            media_type: self.media_type.clone(),
            media_id: None,
            image_url: self.image_url.clone(),
            video_url: self.video_url.clone(),
            thumbnail_url: self.thumbnail_url.clone(),
            ctwa_clid: self.ctwa_clid.clone(),
            welcome_message: self.welcome_message.as_ref().and_then(|w| w.text.clone()),
        }
        .cleaned()
    }
}

/// A delivery status of a message the business sent.
#[derive(Debug, Deserialize)]
pub struct Status {
    /// The `wamid` of the sent message.
    pub id: String,
    /// `sent`, `delivered`, `read`, `played` or `failed`.
    #[serde(default)]
    pub status: String,
    /// Unix seconds, as a string.
    #[serde(default)]
    pub timestamp: String,
    /// The recipient's WhatsApp id.
    pub recipient_id: Option<String>,
    /// Billing information (on one of sent/delivered/read only).
    pub pricing: Option<Pricing>,
    /// Why a message failed.
    pub errors: Option<serde_json::Value>,
}

/// The part of `pricing` kept.
#[derive(Debug, Deserialize)]
pub struct Pricing {
    /// `service`, `marketing`, `utility`, `authentication`, …
    pub category: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Text {
    body: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Button {
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Interactive {
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Debug, Deserialize)]
struct Reply {
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Media {
    caption: Option<String>,
}

impl Message {
    /// The text a person wrote or chose: body, button text, reply title or media caption.
    pub fn text(&self) -> Option<String> {
        let interactive = self.interactive.as_ref();
        [
            self.text.as_ref().and_then(|t| t.body.clone()),
            self.button.as_ref().and_then(|b| b.text.clone()),
            interactive.and_then(|i| i.button_reply.as_ref()?.title.clone()),
            interactive.and_then(|i| i.list_reply.as_ref()?.title.clone()),
            self.image.as_ref().and_then(|m| m.caption.clone()),
            self.video.as_ref().and_then(|m| m.caption.clone()),
            self.document.as_ref().and_then(|m| m.caption.clone()),
        ]
        .into_iter()
        .flatten()
        .find(|t| !t.is_empty())
    }

    /// The sender, with the profile from `contacts[]` when it is there; `None` when neither
    /// a phone nor a business-scoped user id is given.
    pub fn sender(&self, contacts: &[Contact]) -> Option<ContactIdentity> {
        let phone = normalize_number(&self.from);
        let user_id = self.from_user_id.clone().filter(|u| !u.is_empty());
        let contact = contacts.iter().find(|c| {
            (!c.wa_id.is_empty() && c.wa_id == self.from)
                || (user_id.is_some() && c.user_id == user_id)
        });
        let user_id = user_id.or_else(|| contact.and_then(|c| c.user_id.clone()));
        let user_id = field(user_id.as_deref(), MAX_SHORT);
        if phone.is_none() && user_id.is_none() {
            return None;
        }
        let profile = contact.and_then(|c| c.profile.as_ref());
        Some(ContactIdentity {
            channel: ChatChannel::WhatsApp,
            phone,
            user_id,
            name: field(profile.and_then(|p| p.name.as_deref()), MAX_SHORT),
            username: field(profile.and_then(|p| p.username.as_deref()), MAX_SHORT),
        })
    }

    /// [`text`](Self::text), cleaned as stored.
    pub fn stored_text(&self) -> Option<String> {
        field(self.text().as_deref(), MAX_TEXT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"310987654321098","changes":[{"field":"messages","value":{
 "messaging_product":"whatsapp","metadata":{"display_phone_number":"447700900123","phone_number_id":"221133445566778"},
 "contacts":[{"profile":{"name":"Ana Souza"},"wa_id":"5511987654321"}],
 "messages":[{"from":"5511987654321","id":"wamid.HBgN","timestamp":"1763805600","type":"text","text":{"body":"Hi! (ref K7Q2M9)"}}]}}]}]}"#;

    #[test]
    fn reads_the_documented_text_sample() {
        let env: Envelope = serde_json::from_str(SAMPLE).unwrap();
        let value = env.entry[0].changes[0].value.as_ref().unwrap();
        let msg = &value.messages[0];
        assert_eq!(msg.text().as_deref(), Some("Hi! (ref K7Q2M9)"));
        let sender = msg.sender(&value.contacts).unwrap();
        assert_eq!(sender.phone.as_deref(), Some("5511987654321"));
        assert_eq!(sender.name.as_deref(), Some("Ana Souza"));
    }

    #[test]
    fn text_comes_from_buttons_replies_and_captions() {
        let parse = |json: &str| serde_json::from_str::<Message>(json).unwrap().text();
        assert_eq!(
            parse(r#"{"id":"a","type":"button","button":{"payload":"p","text":"Yes"}}"#).as_deref(),
            Some("Yes")
        );
        assert_eq!(
            parse(r#"{"id":"a","type":"interactive","interactive":{"list_reply":{"id":"1","title":"Oak"}}}"#)
                .as_deref(),
            Some("Oak")
        );
        assert_eq!(
            parse(r#"{"id":"a","type":"image","image":{"caption":"this one"}}"#).as_deref(),
            Some("this one")
        );
        assert_eq!(parse(r#"{"id":"a","type":"sticker"}"#), None);
    }

    #[test]
    fn empty_wa_id_falls_back_to_the_business_scoped_user_id() {
        let value: Value = serde_json::from_str(
            r#"{"contacts":[{"wa_id":"","user_id":"US.123","profile":{"name":"Kim"}}],
                "messages":[{"from":"","from_user_id":"US.123","id":"m","type":"text","text":{"body":"hi"}}]}"#,
        )
        .unwrap();
        let sender = value.messages[0].sender(&value.contacts).unwrap();
        assert_eq!(sender.phone, None);
        assert_eq!(sender.identity(), "user:US.123");
        assert_eq!(sender.name.as_deref(), Some("Kim"));
    }
}
