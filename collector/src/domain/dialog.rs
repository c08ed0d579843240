//! Dialogs' closed vocabularies: how a dialog was matched to its source, and whether it is
//! the contact's first.

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

/// A stored or requested value that names no [`MatchKind`] or [`DialogKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownName {
    /// What was expected.
    pub what: &'static str,
    /// What was given.
    pub value: String,
}

impl MatchKind {
    /// Every match kind, strongest first.
    pub const ALL: [MatchKind; 4] = [
        MatchKind::Exact,
        MatchKind::Referral,
        MatchKind::Probable,
        MatchKind::None,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Referral => "referral",
            MatchKind::Probable => "probable",
            MatchKind::None => "none",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Result<MatchKind, UnknownName> {
        MatchKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "match kind",
                value: s.to_owned(),
            })
    }

    /// Whether nothing certain ties the dialog to a source yet (a probable match may be
    /// overruled by a code or an ad).
    pub fn is_unattributed(self) -> bool {
        matches!(self, MatchKind::None | MatchKind::Probable)
    }
}

impl TryFrom<String> for MatchKind {
    type Error = UnknownName;

    fn try_from(s: String) -> Result<MatchKind, UnknownName> {
        MatchKind::parse(&s)
    }
}

impl std::fmt::Display for MatchKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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

impl DialogKind {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            DialogKind::New => "new",
            DialogKind::Repeat => "repeat",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Result<DialogKind, UnknownName> {
        match s {
            "new" => Ok(DialogKind::New),
            "repeat" => Ok(DialogKind::Repeat),
            _ => Err(UnknownName {
                what: "dialog kind",
                value: s.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for k in MatchKind::ALL {
            assert_eq!(MatchKind::parse(k.as_str()), Ok(k));
        }
        for k in [DialogKind::New, DialogKind::Repeat] {
            assert_eq!(DialogKind::parse(k.as_str()), Ok(k));
        }
        assert!(MatchKind::parse("Exact").is_err());
        assert!(DialogKind::parse("").is_err());
        assert!(MatchKind::Probable.is_unattributed() && !MatchKind::Referral.is_unattributed());
    }
}
