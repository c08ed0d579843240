//! The dialogs list's query: paging (a keyset cursor) and filters.

use uuid::Uuid;

use crate::domain::dialog::{DialogKind, MatchKind};
use crate::reports::query::Key;

/// Paging and filters of the dialogs list.
#[derive(Debug, Clone, Default)]
pub struct DialogListQuery {
    /// Only dialogs after this one in the list's order (keyset paging).
    pub after: Option<DialogCursor>,
    /// Page size.
    pub limit: i64,
    /// What to show.
    pub filters: DialogFilters,
}

/// A position in the dialogs list (newest first; ties broken by id): text `<ms>.<uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogCursor {
    /// Start of the last dialog shown.
    pub started_at: i64,
    /// Its id.
    pub dialog_id: Uuid,
}

impl std::fmt::Display for DialogCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.started_at, self.dialog_id.simple())
    }
}

impl std::str::FromStr for DialogCursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (ms, id) = s.split_once('.').ok_or(())?;
        Ok(DialogCursor {
            started_at: ms.parse().map_err(drop)?,
            dialog_id: Uuid::parse_str(id).map_err(drop)?,
        })
    }
}

/// A contact name as search compares it (`contacts.name_folded`): lower-cased in every
/// script.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// Filters of the dialogs list; `None` shows all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogFilters {
    /// `LIKE` pattern over the contact's folded name (from [`DialogFilters::search`]).
    pub name_like: Option<String>,
    /// `LIKE` pattern over the contact's phone digits, when the search has three or more.
    pub phone_like: Option<String>,
    /// Channel of the session.
    pub channel: Option<String>,
    /// How the dialog was matched.
    pub match_kind: Option<MatchKind>,
    /// New or repeat.
    pub kind: Option<DialogKind>,
    /// Operator tag.
    pub tag: Option<String>,
    /// Tracked number written to, digits only.
    pub number: Option<String>,
    /// Attribution keys, as a report row names them: equal to the value, or without one
    /// (`None`: the row's empty key, e.g. "no source known").
    pub keys: Vec<(Key, Option<String>)>,
    /// Started in `[from, to)`, epoch ms.
    pub started: Option<(i64, i64)>,
    /// In this stage of the site's.
    pub stage: Option<StageFilter>,
}

/// The dialogs list's stage filter: a stage of the site, by its name. Dialogs never moved
/// have no stored stage and are in the site's first one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFilter {
    /// The stage's name, as the site spells it.
    pub name: String,
    /// Whether it is the site's first stage (so dialogs without a stored stage are in it).
    pub initial: bool,
}

impl DialogFilters {
    /// Sets the search: dialogs whose contact name contains `text` (any case), or whose phone
    /// contains its digits when it has three or more.
    pub fn search(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let like = |text: &str| {
            let mut pattern = String::from("%");
            for ch in text.chars() {
                if matches!(ch, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(ch);
            }
            pattern.push('%');
            pattern
        };
        self.name_like = Some(like(&fold(text)));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        self.phone_like = (digits.len() >= 3).then(|| format!("%{digits}%"));
    }
}
