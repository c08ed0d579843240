//! The rows the generator writes: the columns reports and the dashboard read.

use uuid::Uuid;

use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::status::DeliveryStatus;

/// A synthetic session (generator, report tests): the columns reports read.
#[derive(Debug, Clone, Default)]
pub struct SyntheticSession {
    /// Session id.
    pub session_id: Uuid,
    /// Visitor id.
    pub visitor_id: Uuid,
    /// Session code.
    pub code: String,
    /// Start, epoch ms.
    pub started_at: i64,
    /// Page views.
    pub pageviews: i64,
    /// Landing page URL.
    pub landing_page: String,
    /// Its page key (`domain::page`).
    pub landing_key: String,
    /// Referrer URL.
    pub referrer: Option<String>,
    /// Referring domain.
    pub referring_domain: Option<String>,
    /// UTM source.
    pub utm_source: Option<String>,
    /// UTM medium.
    pub utm_medium: Option<String>,
    /// UTM campaign.
    pub utm_campaign: Option<String>,
    /// UTM content.
    pub utm_content: Option<String>,
    /// UTM term.
    pub utm_term: Option<String>,
    /// Ad click ids of the landing URL, a JSON object.
    pub click_ids: Option<String>,
    /// Channel.
    pub channel: String,
    /// Normalised traffic source.
    pub source: Option<String>,
    /// Search keyword.
    pub keyword: Option<String>,
    /// Device class, as the user-agent parser names it.
    pub device: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Its version.
    pub os_version: Option<String>,
    /// Browser.
    pub browser: Option<String>,
    /// Its version.
    pub browser_version: Option<String>,
    /// Screen width, CSS pixels.
    pub screen_w: Option<i32>,
    /// Screen height.
    pub screen_h: Option<i32>,
    /// Browser language.
    pub language: Option<String>,
    /// Browser time zone.
    pub timezone: Option<String>,
    /// Country (ISO code).
    pub country: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// City.
    pub city: Option<String>,
}

/// A synthetic chat-link click.
#[derive(Debug, Clone, Default)]
pub struct SyntheticClick {
    /// Click id.
    pub click_id: Uuid,
    /// Its session.
    pub session_id: Uuid,
    /// Its visitor.
    pub visitor_id: Uuid,
    /// The session code carried by the link.
    pub code: String,
    /// Tracked number.
    pub number: String,
    /// Page of the click.
    pub page_url: String,
    /// Its page key.
    pub page_key: String,
    /// When, epoch ms.
    pub clicked_at: i64,
}

/// A synthetic contact.
#[derive(Debug, Clone, Default)]
pub struct SyntheticContact {
    /// Contact id.
    pub contact_id: Uuid,
    /// Phone digits.
    pub phone: String,
    /// Display name.
    pub name: Option<String>,
    /// First seen, epoch ms.
    pub first_seen_at: i64,
}

/// A synthetic dialog.
#[derive(Debug, Clone)]
pub struct SyntheticDialog {
    /// Dialog id.
    pub dialog_id: Uuid,
    /// Contact id.
    pub contact_id: Uuid,
    /// New or repeat.
    pub kind: DialogKind,
    /// Start, epoch ms.
    pub started_at: i64,
    /// Tracked number written to.
    pub business_number: String,
    /// First message text.
    pub first_message: Option<String>,
    /// How it was matched.
    pub match_kind: MatchKind,
    /// Matched session.
    pub session_id: Option<Uuid>,
    /// Matched click.
    pub click_id: Option<Uuid>,
    /// The session code of an exact match.
    pub code: Option<String>,
    /// The match's confidence.
    pub confidence: Option<f64>,
    /// The Click-to-WhatsApp ad it came from.
    pub referral_id: Option<Uuid>,
    /// Operators' tags (valid, normalised).
    pub tags: Vec<String>,
}

/// How long after a contact sends a message the provider delivers it to us.
pub const RECEIVED_AFTER_MS: i64 = 1_000;

/// A synthetic message from a contact.
#[derive(Debug, Clone)]
pub struct SyntheticMessage {
    /// Its dialog.
    pub dialog_id: Uuid,
    /// Its contact.
    pub contact_id: Uuid,
    /// Provider's message id (`wamid.…`).
    pub provider_message_id: String,
    /// Text.
    pub body: String,
    /// Send time, epoch ms.
    pub sent_at: i64,
}

/// The delivery statuses of a message the business sent (a `message_statuses` row).
#[derive(Debug, Clone)]
pub struct SyntheticStatus {
    /// Provider's message id.
    pub provider_message_id: String,
    /// The contact's phone.
    pub recipient: String,
    /// Sent, epoch ms.
    pub sent_at: i64,
    /// Delivered.
    pub delivered_at: Option<i64>,
    /// Read.
    pub read_at: Option<i64>,
    /// Failed.
    pub failed_at: Option<i64>,
}

impl SyntheticStatus {
    /// The latest status and when it happened.
    pub fn latest(&self) -> (DeliveryStatus, i64) {
        match (self.failed_at, self.read_at, self.delivered_at) {
            (Some(at), _, _) => (DeliveryStatus::Failed, at),
            (None, Some(at), _) => (DeliveryStatus::Read, at),
            (None, None, Some(at)) => (DeliveryStatus::Delivered, at),
            _ => (DeliveryStatus::Sent, self.sent_at),
        }
    }
}

/// A Click-to-WhatsApp ad's referral on a dialog's first message.
#[derive(Debug, Clone)]
pub struct SyntheticReferral {
    /// Referral id.
    pub referral_id: Uuid,
    /// The first message's id.
    pub provider_message_id: String,
    /// Ad id.
    pub source_id: String,
    /// Ad URL.
    pub source_url: String,
    /// Headline.
    pub headline: String,
    /// Body.
    pub body: String,
    /// Meta's click id.
    pub ctwa_clid: String,
    /// Received, epoch ms.
    pub received_at: i64,
}

/// Rows written together in one transaction.
#[derive(Debug, Clone, Default)]
pub struct SyntheticBatch {
    /// Sessions (a visitor row is written per session's visitor, if new).
    pub sessions: Vec<SyntheticSession>,
    /// Clicks.
    pub clicks: Vec<SyntheticClick>,
    /// Contacts.
    pub contacts: Vec<SyntheticContact>,
    /// Dialogs.
    pub dialogs: Vec<SyntheticDialog>,
    /// Messages from contacts.
    pub messages: Vec<SyntheticMessage>,
    /// Messages the business sent, by their statuses.
    pub statuses: Vec<SyntheticStatus>,
    /// Ad referrals of dialogs.
    pub referrals: Vec<SyntheticReferral>,
    /// Earlier dialogs never answered, whose contact the batch's statuses answer first.
    pub answered_earlier: Vec<Uuid>,
}

impl SyntheticBatch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.sessions.len()
            + self.clicks.len()
            + self.contacts.len()
            + self.dialogs.len()
            + self.messages.len()
            + self.statuses.len()
            + self.referrals.len()
    }

    /// Whether the batch holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
