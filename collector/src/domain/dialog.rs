//! Dialogs' closed vocabularies: how a dialog was matched to its source, and whether it is
//! the contact's first.

use super::names::closed_names;

/// How a dialog was tied to its source; stored as [`MatchKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The first message carried the session's code.
    Exact,
    /// The chat came from a Click-to-WhatsApp ad (the message's referral).
    Referral,
    /// The only recent unmatched click on the number (see `matching::probable`).
    Probable,
    /// Nothing ties it to a source.
    None,
}

closed_names!(MatchKind, "match kind", {
    Exact = "exact",
    Referral = "referral",
    Probable = "probable",
    None = "none",
});

impl MatchKind {
    /// Whether nothing certain ties the dialog to a source yet (a probable match may be
    /// overruled by a code or an ad).
    pub fn is_unattributed(self) -> bool {
        matches!(self, MatchKind::None | MatchKind::Probable)
    }
}

/// Whether a dialog is the contact's first; stored as [`DialogKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialogKind {
    /// The contact's first dialog.
    New,
    /// A later one.
    Repeat,
}

closed_names!(DialogKind, "dialog kind", {
    New = "new",
    Repeat = "repeat",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for k in MatchKind::ALL {
            assert_eq!(MatchKind::parse(k.as_str()), Ok(k));
        }
        for k in DialogKind::ALL {
            assert_eq!(DialogKind::parse(k.as_str()), Ok(k));
        }
        assert!(MatchKind::parse("Exact").is_err());
        assert!(DialogKind::parse("").is_err());
        assert_eq!(
            DialogKind::try_from("repeat".to_owned()),
            Ok(DialogKind::Repeat)
        );
        assert!(MatchKind::try_from("maybe".to_owned()).is_err());
        assert_eq!(
            serde_json::to_value([MatchKind::Probable]).unwrap(),
            serde_json::json!(["probable"])
        );
        assert_eq!(DialogKind::New.to_string(), "new");
        assert!(MatchKind::Probable.is_unattributed() && !MatchKind::Referral.is_unattributed());
    }
}
