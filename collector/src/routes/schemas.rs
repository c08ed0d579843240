//! Schemas of answers built with `json!` (and of the reports' query), which no Rust type
//! describes; the conformance tests check the answers against them. The handlers name them
//! in their `#[utoipa::path]`, and `api::openapi` collects the handlers; this module imports
//! neither, so the description and the routes do not depend on each other.

use std::collections::BTreeMap;

use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

use crate::reports::ReportName;

/// Every error answer (see `crate::error::ApiError`).
#[derive(ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}

/// `GET /dialogs`.
#[derive(ToSchema)]
pub struct DialogList {
    /// Newest first.
    pub dialogs: Vec<crate::storage::DialogSummary>,
    /// The `cursor` of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /me`: what a token is and which parts of the dashboard it opens.
#[derive(ToSchema)]
pub struct Me {
    /// The token's role.
    pub role: crate::domain::token::Role,
    /// Its site.
    pub site: MeSite,
    /// What the role may do.
    pub can: MeCan,
    /// The site's tracked numbers, digits only.
    pub numbers: Vec<String>,
    /// Every traffic channel name, for filters.
    pub channels: Vec<String>,
    /// The signed-in account and all its sites; null for an API token.
    pub account: Option<SignedInAccount>,
}

/// `POST /session`, `GET /session`: who is signed in, and the sites they may choose.
#[derive(ToSchema)]
pub struct SignedInAccount {
    /// Their e-mail address.
    pub email: String,
    /// Their sites and roles, by name.
    pub sites: Vec<crate::storage::accounts::AccountSite>,
}

/// `POST /invites/accept`: the account whose password is now set.
#[derive(ToSchema)]
pub struct AcceptedInvite {
    /// Its e-mail address, to sign in with.
    pub email: String,
}

/// `GET /site/members`.
#[derive(ToSchema)]
pub struct MemberList {
    /// By e-mail address.
    pub members: Vec<crate::storage::accounts::MemberView>,
}

/// `POST /site/members`, `POST /site/members/reset`: the member, and the one-time link
/// that sets their password, shown this once.
#[derive(ToSchema)]
pub struct MemberLink {
    /// Their e-mail address.
    pub email: String,
    /// Their role on the site.
    pub role: crate::domain::token::Role,
    /// The link (under `CHATRAIL_PUBLIC_URL` when set); null when the person already has a
    /// password (or belongs to sites you do not administer) and signs in as before.
    pub invite_link: Option<String>,
}

/// The token's site, as `/me` shows it.
#[derive(ToSchema)]
pub struct MeSite {
    /// Public key (the script tag's `data-site`).
    pub key: String,
    /// Display name.
    pub name: String,
    /// IANA time zone of reports.
    pub timezone: String,
}

/// The pages a role opens.
#[derive(ToSchema)]
pub struct MeCan {
    /// Dialogs, cards and tags.
    pub dialogs: bool,
    /// Reports.
    pub reports: bool,
    /// Site settings and tokens.
    pub settings: bool,
}

/// `GET` and `PUT /site`: a site's settings, its script tag and webhook URLs.
#[derive(ToSchema)]
pub struct SiteSettings {
    /// Public key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// IANA time zone of reports.
    pub timezone: String,
    /// Own domains, lower-case.
    pub domains: Vec<String>,
    /// Tracked numbers.
    pub numbers: Vec<crate::domain::site::TrackedNumber>,
    /// Message template with `{text}` and `{code}`.
    pub template: String,
    /// Starter phrases and templates per page.
    pub pages: Vec<chatrail_core::beacon::PageRule>,
    /// Telegram bots whose links carry the code.
    pub bots: Vec<String>,
    /// Channel rules, as text.
    pub channel_rules: Vec<String>,
    /// The tag to put on the site's pages.
    pub script_tag: String,
    /// Webhook URLs for the providers.
    pub webhooks: Webhooks,
}

/// Where each provider's webhooks go.
#[derive(ToSchema)]
pub struct Webhooks {
    /// WhatsApp Cloud API.
    pub whatsapp: String,
    /// Twilio.
    pub twilio: String,
    /// Telegram, when the site has a bot.
    pub telegram: Option<String>,
}

/// `GET /tokens`.
#[derive(ToSchema)]
pub struct TokenList {
    /// Oldest first.
    pub tokens: Vec<crate::storage::TokenView>,
}

/// `POST /tokens`: the new token, shown this once.
#[derive(ToSchema)]
pub struct CreatedToken {
    /// The token (`crt_…`).
    pub token: String,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: crate::domain::token::Role,
}

/// A dialog's tags, sorted.
#[derive(ToSchema)]
pub struct TagList {
    /// Lower-case tags.
    pub tags: Vec<String>,
}

/// What `POST /messages` did.
#[derive(ToSchema)]
pub struct MessageAnswer {
    /// `stored`, or `duplicate` when the message id was stored before.
    pub status: MessageStatus,
    /// The message's dialog (only when stored).
    #[schema(required = false)]
    pub dialog_id: Option<Uuid>,
}

/// Whether a posted message was new.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Stored now.
    Stored,
    /// Stored before.
    Duplicate,
}

/// A report as JSON: the request echoed, then rows keyed by the report's columns.
#[derive(ToSchema)]
pub struct ReportBody {
    /// The report's name.
    pub report: ReportName,
    /// First local date, inclusive.
    #[schema(format = Date)]
    pub from: String,
    /// Last local date, inclusive.
    #[schema(format = Date)]
    pub to: String,
    /// The site's time zone (IANA), which days and hours are counted in.
    pub timezone: String,
    /// Column names, in order (CSV header).
    pub columns: Vec<String>,
    /// One object per row, keyed by column; cells are strings, numbers or null.
    pub rows: Vec<BTreeMap<String, Cell>>,
    /// `dynamics` only: the bucket size.
    #[schema(required = false)]
    pub granularity: Option<GranularityName>,
    /// With `compare` only: the comparison period's first day.
    #[schema(required = false, format = Date)]
    pub compare_from: Option<String>,
    /// With `compare` only: its last day.
    #[schema(required = false, format = Date)]
    pub compare_to: Option<String>,
}

/// A report cell: a key (string), a count or share (number), a flag (`dynamics`' `partial`),
/// or null.
pub struct Cell;

impl PartialSchema for Cell {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{SchemaType, Type};
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([
                Type::String,
                Type::Number,
                Type::Boolean,
                Type::Null,
            ]))
            .into()
    }
}

impl ToSchema for Cell {}

/// A bucket size of `dynamics`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum GranularityName {
    /// Local days.
    Day,
    /// ISO weeks.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

impl PartialSchema for ReportName {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ReportName::ALL.map(ReportName::as_str)))
            .description(Some("A report's URL name"))
            .into()
    }
}

impl ToSchema for ReportName {}

/// The query of `GET /reports/{name}` (checked against the parser's list in a test).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First local date, inclusive (required).
    #[param(format = Date)]
    pub from: String,
    /// Last local date, inclusive (required; at most 3 × 366 days after `from`).
    #[param(format = Date)]
    pub to: String,
    /// Only sessions of this channel.
    pub channel: Option<String>,
    /// Only sessions of this `utm_campaign`.
    pub campaign: Option<String>,
    /// Only dialogs with this tracked number (any notation).
    pub number: Option<String>,
    /// Only dialogs of this match kind: `exact`, `referral`, `probable` or `none` (empty:
    /// any, as for every filter).
    #[param(pattern = "^(exact|referral|probable|none)?$")]
    pub r#match: Option<String>,
    /// Only dialogs with this operator tag.
    pub tag: Option<String>,
    /// Most rows of ranked reports, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `dynamics`: bucket size (default `day`).
    #[param(inline)]
    pub granularity: Option<GranularityName>,
    /// Compare with `previous`, `year`, `custom` (needs `compare_from` and `compare_to`) or
    /// `none`: `dynamics` adds the comparison period's rows, every other report
    /// `<count>_previous` columns beside its counts and rates.
    #[param(pattern = "^(previous|year|custom|none)?$")]
    pub compare: Option<String>,
    /// With `compare=custom`: first date.
    #[param(format = Date)]
    pub compare_from: Option<String>,
    /// With `compare=custom`: last date.
    #[param(format = Date)]
    pub compare_to: Option<String>,
    /// Money columns (channels, campaigns, ads, keywords, landing and contact pages): their
    /// ISO 4217 currency (default: the site's most used); other currencies are left out.
    #[param(pattern = "^([A-Za-z]{3})?$")]
    pub currency: Option<String>,
    /// Revenue attribution: `last` (the matched session, default) or `first` (the
    /// visitor's first session).
    #[param(pattern = "^(last|first)?$")]
    pub model: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`), `json` for JSON (the default).
    #[param(pattern = "^(json|csv)?$")]
    pub format: Option<String>,
}

/// `POST /collect/*`: a beacon taken.
#[derive(ToSchema)]
pub struct BeaconAnswer {
    /// Queued, or dropped (answered alike, so a robot learns nothing).
    pub status: BeaconStatus,
    /// Why it was dropped (only when dropped).
    #[schema(required = false)]
    pub reason: Option<DropReason>,
}

/// What became of a beacon.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum BeaconStatus {
    /// Queued for the batch writer.
    Accepted,
    /// Not stored: a robot, or referrer spam.
    Dropped,
}

/// Why a beacon was dropped (`crate::enrich::filter::Dropped`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DropReason {
    /// A crawler's user agent.
    Crawler,
    /// A headless browser.
    Headless,
    /// A referrer on the spam list.
    ReferrerSpam,
    /// Sent by a browser from a page on none of the site's domains.
    ForeignOrigin,
}

/// `GET /health`.
#[derive(ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` (answered with 503) when the database does not answer or, while writes have failed, take a write.
    #[schema(pattern = "^(ok|degraded)$")]
    pub status: String,
    /// `ok`, or `unavailable` (the reason is logged).
    pub storage: String,
    /// Whether the tracker snippet is built in.
    pub snippet: bool,
    /// The beacon queue's counters.
    pub ingest: QueueCounters,
    /// The inbound message queue's counters (webhooks and `POST /api/v1/messages`).
    pub inbound: QueueCounters,
    /// Beacons dropped, by reason (`crawler`, `headless`, `referrer_spam`, `foreign_origin`).
    pub dropped: BTreeMap<String, u64>,
    /// Whether a GeoIP database is loaded.
    pub geoip: bool,
}

/// Counters of a queue (beacons, inbound messages) since start.
#[derive(ToSchema)]
pub struct QueueCounters {
    /// Taken into the queue (each answered once committed, or 503).
    pub accepted: u64,
    /// Refused with 503 because the queue was full.
    pub rejected_queue_full: u64,
    /// Written to the database.
    pub written: u64,
    /// Refused by the database, even alone (answered 503: the sender keeps them).
    pub failed: u64,
    /// Batches written.
    pub batches: u64,
}

/// `POST /conversions/destinations`: the destination as stored, and a webhook's made-up
/// signing secret, shown this once.
#[derive(ToSchema)]
pub struct CreatedDestination {
    /// Its id.
    pub destination_id: Uuid,
    /// `webhook`, `meta`, `ga4`, `google_ads` or `yandex_metrica`.
    pub kind: crate::domain::conversion::DestinationKind,
    /// Its name.
    pub name: String,
    /// Where requests go.
    pub endpoint: String,
    /// Ids the platform needs.
    pub settings: BTreeMap<String, String>,
    /// Trigger → the event's name there.
    pub events: BTreeMap<String, String>,
    /// Whether events are sent.
    pub enabled: bool,
    /// A webhook's `whsec_…` signing secret, when it was made up; never shown again.
    pub secret: Option<String>,
}

/// A conversion event queued (a test) or made due again (a retry).
#[derive(ToSchema)]
pub struct QueuedEvent {
    /// The event's id, as the delivery log shows it.
    pub event_id: Uuid,
}
