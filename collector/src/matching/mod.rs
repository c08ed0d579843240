//! How inbound messages join dialogs: the decisions, kept apart from storage.

use uuid::Uuid;

/// Tunables of dialog matching.
#[derive(Debug, Clone)]
pub struct DialogPolicy {
    /// After this much silence from the contact, the next message starts a new dialog.
    /// Default 24 h: WhatsApp's own customer-service window, after which the business
    /// can no longer reply freely and a new conversation is billed.
    pub silence_ms: i64,
    /// How far back a session code is looked up.
    pub code_lookback_ms: i64,
}

impl Default for DialogPolicy {
    fn default() -> Self {
        DialogPolicy {
            silence_ms: 24 * 3600 * 1000,
            code_lookback_ms: 90 * 24 * 3600 * 1000,
        }
    }
}

/// The contact's latest dialog, as far as matching needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PriorDialog {
    /// Its id.
    pub dialog_id: Uuid,
    /// The session it was matched to.
    pub session_id: Option<Uuid>,
    /// Its latest message.
    pub last_message_at: i64,
}

/// Whether a message continues the contact's latest dialog or starts a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogDecision {
    /// Append to this dialog.
    Continue(Uuid),
    /// Start a new dialog.
    Start,
}

/// A dialog starts with the contact's first message, with a code of a different session,
/// or after [`DialogPolicy::silence_ms`] of silence; otherwise the message continues it.
pub fn decide(
    prior: Option<&PriorDialog>,
    matched_session: Option<Uuid>,
    sent_at_ms: i64,
    policy: &DialogPolicy,
) -> DialogDecision {
    let Some(prior) = prior else {
        return DialogDecision::Start;
    };
    let new_session = matched_session.is_some_and(|s| prior.session_id != Some(s));
    let silent = sent_at_ms - prior.last_message_at > policy.silence_ms;
    if new_session || silent {
        DialogDecision::Start
    } else {
        DialogDecision::Continue(prior.dialog_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(session: Option<Uuid>, last: i64) -> PriorDialog {
        PriorDialog {
            dialog_id: Uuid::from_u128(7),
            session_id: session,
            last_message_at: last,
        }
    }

    #[test]
    fn decisions() {
        let p = DialogPolicy::default();
        let s1 = Uuid::from_u128(1);
        let s2 = Uuid::from_u128(2);
        assert_eq!(decide(None, None, 0, &p), DialogDecision::Start);
        let continuing = DialogDecision::Continue(Uuid::from_u128(7));
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), None, 1000, &p),
            continuing
        );
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), Some(s1), 1000, &p),
            continuing
        );
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), Some(s2), 1000, &p),
            DialogDecision::Start
        );
        assert_eq!(
            decide(Some(&prior(None, 0)), Some(s2), 1000, &p),
            DialogDecision::Start
        );
        let late = p.silence_ms + 1;
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), None, late, &p),
            DialogDecision::Start
        );
    }
}
