//! The rows the generator writes: the columns reports and the dashboard read.

use uuid::Uuid;

use crate::domain::dialog::{DialogKind, MatchKind};

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
    /// Channel.
    pub channel: String,
    /// Device class.
    pub device: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Browser.
    pub browser: Option<String>,
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
    /// Operators' tags (valid, normalised).
    pub tags: Vec<String>,
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
}

impl SyntheticBatch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.sessions.len() + self.clicks.len() + self.contacts.len() + self.dialogs.len()
    }

    /// Whether the batch holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
