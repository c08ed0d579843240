//! Conversion events: what happened to a dialog, as the outbox keeps it, and the triggers a
//! destination subscribes to.

use uuid::Uuid;

use crate::domain::names::closed_names;
use crate::domain::outcome::StageKind;

/// What happened: the outbox's `kind` column and the webhook event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub enum EventKind {
    /// A new dialog began (whatever its match).
    #[serde(rename = "dialog.started")]
    DialogStarted,
    /// A dialog's session was found or confirmed after it began (a late code).
    #[serde(rename = "dialog.matched")]
    DialogMatched,
    /// The dialog's stage or value changed.
    #[serde(rename = "outcome.changed")]
    OutcomeChanged,
    /// Asked for from Settings ("send test event"): one destination, the site's newest
    /// dialog if it has one.
    #[serde(rename = "test")]
    Test,
}

closed_names!(EventKind, "event kind", {
    DialogStarted = "dialog.started",
    DialogMatched = "dialog.matched",
    OutcomeChanged = "outcome.changed",
    Test = "test",
});

/// One event of the outbox, with the outcome as it was when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stable: the id every platform deduplicates on.
    pub event_id: Uuid,
    /// The site.
    pub site_id: Uuid,
    /// What happened.
    pub kind: EventKind,
    /// To which dialog.
    pub dialog_id: Uuid,
    /// For outcome changes: the stage reached.
    pub stage: Option<String>,
    /// Its kind.
    pub stage_kind: Option<StageKind>,
    /// For won dialogs: the value in thousandths of the currency's unit.
    pub value_milli: Option<i64>,
    /// Its ISO 4217 currency.
    pub currency: Option<String>,
    /// When it happened, epoch milliseconds.
    pub occurred_at: i64,
}

impl Event {
    /// An event of `kind` about `dialog`, with a new id and no outcome.
    pub fn new(kind: EventKind, site_id: Uuid, dialog_id: Uuid, occurred_at: i64) -> Event {
        Event {
            event_id: Uuid::now_v7(),
            site_id,
            kind,
            dialog_id,
            stage: None,
            stage_kind: None,
            value_milli: None,
            currency: None,
            occurred_at,
        }
    }

    /// The triggers this event fires, most specific first: a won outcome fires `won`, then
    /// `stage:NAME`, then `outcome`.
    pub fn triggers(&self) -> Vec<Trigger> {
        match self.kind {
            EventKind::DialogStarted => vec![Trigger::Started],
            EventKind::DialogMatched => vec![Trigger::Matched],
            // Goes to the one destination asked ([`super::Destination::name_for`]).
            EventKind::Test => Vec::new(),
            EventKind::OutcomeChanged => {
                let mut t = Vec::with_capacity(3);
                if self.stage_kind == Some(StageKind::Won) {
                    t.push(Trigger::Won);
                }
                if let Some(stage) = &self.stage {
                    t.push(Trigger::Stage(stage.clone()));
                }
                t.push(Trigger::Outcome);
                t
            }
        }
    }

    /// The value as a decimal number of the currency's unit, for won outcomes with one.
    pub fn value(&self) -> Option<(f64, &str)> {
        if self.stage_kind != Some(StageKind::Won) {
            return None;
        }
        Some((self.value_milli? as f64 / 1000.0, self.currency.as_deref()?))
    }
}

/// What a destination subscribes to, written `started`, `matched`, `outcome` (any outcome
/// change), `stage:NAME` (the dialog reached stage NAME) or `won`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// `started`
    Started,
    /// `matched`
    Matched,
    /// `outcome`
    Outcome,
    /// `stage:NAME`
    Stage(String),
    /// `won`
    Won,
}

impl Trigger {
    /// Parses the written form.
    pub fn parse(s: &str) -> Result<Trigger, String> {
        match s.trim() {
            "started" => Ok(Trigger::Started),
            "matched" => Ok(Trigger::Matched),
            "outcome" => Ok(Trigger::Outcome),
            "won" => Ok(Trigger::Won),
            other => match other.strip_prefix("stage:") {
                Some(name) if !name.trim().is_empty() && name.chars().count() <= 30 => {
                    Ok(Trigger::Stage(name.trim().to_owned()))
                }
                _ => Err(format!(
                    "event {other:?} must be started, matched, outcome, won or stage:NAME"
                )),
            },
        }
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trigger::Started => f.write_str("started"),
            Trigger::Matched => f.write_str("matched"),
            Trigger::Outcome => f.write_str("outcome"),
            Trigger::Won => f.write_str("won"),
            Trigger::Stage(name) => write!(f, "stage:{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(stage: &str, kind: StageKind) -> Event {
        Event {
            event_id: Uuid::nil(),
            site_id: Uuid::nil(),
            kind: EventKind::OutcomeChanged,
            dialog_id: Uuid::nil(),
            stage: Some(stage.into()),
            stage_kind: Some(kind),
            value_milli: Some(12_500),
            currency: Some("EUR".into()),
            occurred_at: 0,
        }
    }

    #[test]
    fn a_won_outcome_fires_won_then_its_stage_then_outcome() {
        let e = outcome("paid", StageKind::Won);
        assert_eq!(
            e.triggers(),
            vec![
                Trigger::Won,
                Trigger::Stage("paid".into()),
                Trigger::Outcome
            ]
        );
        assert_eq!(e.value(), Some((12.5, "EUR")));
        let open = outcome("qualified", StageKind::Open);
        assert_eq!(open.triggers()[0], Trigger::Stage("qualified".into()));
        assert_eq!(open.value(), None, "only won outcomes carry a value");
    }

    #[test]
    fn triggers_read_back_as_written() {
        for s in ["started", "matched", "outcome", "won", "stage:qualified"] {
            assert_eq!(Trigger::parse(s).unwrap().to_string(), s);
        }
        assert!(Trigger::parse("stage:").is_err());
        assert!(Trigger::parse("lead").is_err());
    }
}
