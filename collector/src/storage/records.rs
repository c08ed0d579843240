//! Rows read back from storage; they serialize directly as the API's JSON.
//!
//! `FromRow` derives are generic over the row type, so the same structs serve both backends.

use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::domain::dialog::{DialogKind, MatchKind};

mod list_query;

pub use list_query::{fold, DialogCursor, DialogFilters, DialogListQuery, StageFilter};

/// Serializes epoch milliseconds as an RFC 3339 UTC timestamp.
pub fn rfc3339<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::domain::rfc3339_ms(*ms))
}

fn rfc3339_opt<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => rfc3339(ms, s),
        None => s.serialize_none(),
    }
}

fn json_text<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    let value = text
        .as_deref()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
    value.serialize(s)
}

fn json_or_null<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    text.as_deref()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .serialize(s)
}

/// What storing an inbound message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The provider message id was stored before; nothing changed.
    Duplicate,
    /// Stored, as part of `dialog_id`.
    Stored {
        /// The dialog the message belongs to.
        dialog_id: Uuid,
        /// Whether this message started the dialog.
        started_dialog: bool,
    },
}

/// What storing a contact's identity change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityOutcome {
    /// The system message was stored before; nothing changed.
    Duplicate,
    /// The contact now carries the new phone or user id.
    Applied,
    /// No stored contact has the old identity (the next message creates the new one).
    UnknownContact,
    /// Another contact already has the new identity; both are left as they are.
    Conflict,
}

/// What adding or removing a tag did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// The dialog does not exist (for this site).
    NoDialog,
    /// The dialog already has the most tags allowed.
    TooMany,
    /// Done; the dialog's tags now, sorted.
    Tags(Vec<String>),
}

/// One line of the dialogs list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DialogSummary {
    /// Dialog id.
    pub dialog_id: Uuid,
    /// When the first message was sent.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: i64,
    /// `new` or `repeat`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: DialogKind,
    /// `exact`, `referral`, `probable` or `none`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub match_kind: MatchKind,
    /// Contact name.
    pub contact_name: Option<String>,
    /// Contact phone.
    pub contact_phone: Option<String>,
    /// First message text.
    pub first_message: Option<String>,
    /// Channel: the session's, or `Click-to-WhatsApp` for an ad chat without one.
    pub channel: Option<String>,
    /// Campaign (`utm_campaign`) of the session.
    pub utm_campaign: Option<String>,
    /// Normalised source of the session.
    pub source: Option<String>,
    /// Tracked number written to.
    pub business_number: String,
    /// The dialog's stage of the site's (the first one until it is moved).
    #[schema(value_type = String)]
    pub stage: Option<String>,
    /// A won dialog's value, a decimal string (`1500.00`).
    #[sqlx(rename = "value_milli")]
    #[serde(serialize_with = "amount_opt")]
    #[schema(value_type = Option<String>)]
    pub value: Option<i64>,
    /// The value's ISO 4217 currency.
    pub currency: Option<String>,
}

fn amount_opt<S: Serializer>(milli: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match milli {
        Some(m) => s.serialize_str(&crate::domain::outcome::format_amount(*m)),
        None => s.serialize_none(),
    }
}

/// The contact of a dialog.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ContactView {
    /// Contact id.
    pub contact_id: Uuid,
    /// Messaging channel (`whatsapp`).
    pub channel: String,
    /// Profile name.
    pub name: Option<String>,
    /// Phone, digits only.
    pub phone: Option<String>,
    /// Provider's user id where no phone is given.
    pub provider_user_id: Option<String>,
    /// Public username (Telegram, WhatsApp usernames).
    pub username: Option<String>,
}

/// How the dialog was joined to its source; the kinds are stored and reported apart.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MatchView {
    /// `exact` (session code found), `referral` (Click-to-WhatsApp ad), `probable` (the only
    /// recent click on the number) or `none`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: MatchKind,
    /// The session code found in the message.
    pub code: Option<String>,
    /// 1.0 for exact and referral matches; 0.5–0.9 for probable ones, falling with the time
    /// between click and message.
    pub confidence: Option<f64>,
}

/// The Click-to-WhatsApp ad a dialog came from.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ReferralView {
    /// The ad (or post) id.
    pub source_id: Option<String>,
    /// The ad's URL.
    pub source_url: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    /// Headline.
    pub headline: Option<String>,
    /// Ad text.
    pub body: Option<String>,
    /// `image` or `video`.
    pub media_type: Option<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Video URL.
    pub video_url: Option<String>,
    /// Video thumbnail URL.
    pub thumbnail_url: Option<String>,
    /// Click id for the Conversions API.
    pub ctwa_clid: Option<String>,
    /// The ad's greeting.
    pub welcome_message: Option<String>,
}

/// The stored delivery status of one sent message.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StatusView {
    /// The provider's message id.
    pub provider_message_id: String,
    /// Recipient.
    pub recipient: Option<String>,
    /// Furthest status reached.
    pub status: String,
    /// When it was reached (event time).
    #[serde(serialize_with = "rfc3339")]
    pub status_at: i64,
    /// When it was sent.
    #[serde(serialize_with = "rfc3339_opt")]
    pub sent_at: Option<i64>,
    /// When it was delivered.
    #[serde(serialize_with = "rfc3339_opt")]
    pub delivered_at: Option<i64>,
    /// When it was read.
    #[serde(serialize_with = "rfc3339_opt")]
    pub read_at: Option<i64>,
    /// When a voice message was played.
    #[serde(serialize_with = "rfc3339_opt")]
    pub played_at: Option<i64>,
    /// When it failed.
    #[serde(serialize_with = "rfc3339_opt")]
    pub failed_at: Option<i64>,
    /// The provider's errors (JSON).
    #[serde(serialize_with = "json_or_null")]
    pub errors: Option<String>,
    /// Pricing category.
    pub pricing_category: Option<String>,
}

/// A session as shown on a card.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SessionView {
    /// Session id.
    pub session_id: Uuid,
    /// Visitor id.
    pub visitor_id: Uuid,
    /// Session start.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: i64,
    /// First page of the session.
    pub landing_page: String,
    /// External referrer.
    pub referrer: Option<String>,
    /// Referrer host.
    pub referring_domain: Option<String>,
    /// Traffic channel.
    pub channel: String,
    /// Normalised traffic source (`google`, `facebook`, …); `None` for direct sessions.
    pub source: Option<String>,
    /// Search keyword: `utm_term`, else the search engine's query when its referrer carries
    /// one.
    pub keyword: Option<String>,
    /// `utm_source`.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// `utm_content` (ad).
    pub utm_content: Option<String>,
    /// `utm_term` (keyword).
    pub utm_term: Option<String>,
    /// Click ids.
    #[serde(serialize_with = "json_text")]
    #[schema(value_type = Object)]
    pub click_ids: Option<String>,
    /// Page views in the session.
    pub pageviews: i64,
    /// Operating system.
    pub os: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Browser.
    pub browser: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// Device category.
    pub device: Option<String>,
    /// Screen width.
    pub screen_w: Option<i32>,
    /// Screen height.
    pub screen_h: Option<i32>,
    /// Browser language.
    pub language: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
    /// Country (GeoIP), ISO 3166-1 alpha-2; `None` when unknown.
    pub country: Option<String>,
    /// Region (GeoIP): state or province, in English.
    pub region: Option<String>,
    /// City (GeoIP), in English.
    pub city: Option<String>,
    /// GA4 client id (`<random>.<timestamp>`, from the visitor's `_ga` cookie), for the
    /// Measurement Protocol's `client_id`; the first the session's beacons carried.
    pub ga_client_id: Option<String>,
    /// GA4 session id (from the visitor's `_ga_<container>` cookie); the first carried.
    pub ga_session_id: Option<String>,
    /// Yandex Metrica ClientID (the visitor's `_ym_uid` cookie); the first carried.
    pub ym_client_id: Option<String>,
    /// Whether the visitor allows advertising use, as the session's newest beacon said:
    /// `false` when the site or the visitor denied it (`data-ads-consent="denied"`,
    /// `chatrail.consent({ads: false})`). No conversion of this session goes to an ad
    /// platform while it is `false`.
    pub ads_consent: bool,
}

/// One of the contact's earlier dialogs.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// Dialog id.
    pub dialog_id: Uuid,
    /// Start time.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: i64,
    /// How it was matched.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub match_kind: MatchKind,
    /// Channel of its session.
    pub channel: Option<String>,
    /// Normalised source of its session.
    pub source: Option<String>,
    /// `utm_source` of its session.
    pub utm_source: Option<String>,
    /// Campaign of its session.
    pub utm_campaign: Option<String>,
    /// Id of the ad it came from (referral dialogs).
    pub ad_source_id: Option<String>,
    /// Headline of that ad.
    pub ad_headline: Option<String>,
}

/// The dialog row behind a card.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DialogRow {
    /// Dialog id.
    pub dialog_id: Uuid,
    /// `new` or `repeat`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub kind: DialogKind,
    /// First message time.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: i64,
    /// Latest message time.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_message_at: i64,
    /// First message text.
    pub first_message: Option<String>,
    /// Tracked number written to.
    pub business_number: String,
    /// Contact id.
    #[serde(skip)]
    pub contact_id: Uuid,
    /// Matched session.
    #[serde(skip)]
    pub session_id: Option<Uuid>,
    /// Click that opened the chat.
    #[serde(skip)]
    pub click_id: Option<Uuid>,
    /// The ad referral of the dialog.
    #[serde(skip)]
    pub referral_id: Option<Uuid>,
}

/// The visitor behind a session: first touch and the path to the chat.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitorView {
    /// Visitor id.
    pub visitor_id: Uuid,
    /// First visit.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_seen_at: i64,
    /// The visitor's first session (first-touch source).
    pub first_touch: Option<SessionView>,
    /// Sessions of the visitor up to and including the one the chat came from.
    pub sessions_before_chat: i64,
    /// Seconds from the first visit to the first message.
    pub seconds_to_chat: i64,
}

/// The per-dialog source card.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceCard {
    /// The dialog.
    #[serde(flatten)]
    pub dialog: DialogRow,
    /// Who wrote.
    pub contact: ContactView,
    /// How the dialog was matched.
    #[serde(rename = "match")]
    pub matched: MatchView,
    /// The Click-to-WhatsApp ad the chat came from, if any.
    pub referral: Option<ReferralView>,
    /// Operators' tags, sorted.
    pub tags: Vec<String>,
    /// The session the chat came from (last touch).
    pub session: Option<SessionView>,
    /// Page of contact: where the tracked link was clicked.
    pub page_of_contact: Option<String>,
    /// When that click happened.
    #[serde(serialize_with = "rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub clicked_at: Option<i64>,
    /// The visitor's first touch and path to the chat.
    pub visitor: Option<VisitorView>,
    /// The contact's earlier dialogs, newest first.
    pub history: Vec<HistoryEntry>,
    /// The dialog's messages, oldest first: the contact's, and the business's as their
    /// delivery statuses tell (without text: providers send statuses, not the messages).
    pub messages: Vec<ThreadMessage>,
    /// The dialog's stage, value and their changes.
    pub outcome: crate::domain::outcome::OutcomeView,
}

/// One message of a dialog's thread.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ThreadMessage {
    /// When it was sent.
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    /// `in` (from the contact) or `out` (from the business).
    pub direction: String,
    /// Its text, for the contact's messages.
    pub text: Option<String>,
    /// Delivery status of the business's messages: `sent`, `delivered`, `read`, `played`
    /// or `failed`.
    pub status: Option<String>,
}
