//! How inbound messages join dialogs: the decisions, kept apart from storage.

pub mod probable;

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
    /// How long before a message without code or referral a click may be its probable
    /// source (0 turns probable matching off). See [`probable`] for the default.
    pub probable_window_ms: i64,
}

impl Default for DialogPolicy {
    fn default() -> Self {
        DialogPolicy {
            silence_ms: 24 * 3600 * 1000,
            code_lookback_ms: 90 * 24 * 3600 * 1000,
            probable_window_ms: probable::DEFAULT_WINDOW_MS,
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
    /// `exact`, `referral`, `probable` or `none`.
    pub match_kind: String,
    /// The ad it is attributed to (see [`ad_key`]).
    pub ad_key: Option<String>,
}

/// What identifies an ad across messages: its id, else its URL, else the click id.
pub fn ad_key(referral: &crate::domain::referral::Referral) -> Option<&str> {
    referral
        .source_id
        .as_deref()
        .or(referral.source_url.as_deref())
        .or(referral.ctwa_clid.as_deref())
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
/// with a referral from a different ad (a new ad click is a new source, like a new code),
/// or after [`DialogPolicy::silence_ms`] of silence; otherwise the message continues it.
pub fn decide(
    prior: Option<&PriorDialog>,
    matched_session: Option<Uuid>,
    ad: Option<&str>,
    sent_at_ms: i64,
    policy: &DialogPolicy,
) -> DialogDecision {
    let Some(prior) = prior else {
        return DialogDecision::Start;
    };
    let new_session = matched_session.is_some_and(|s| prior.session_id != Some(s));
    let new_ad = ad.is_some_and(|a| prior.ad_key.as_deref() != Some(a));
    let silent = sent_at_ms - prior.last_message_at > policy.silence_ms;
    if new_session || new_ad || silent {
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
            match_kind: "exact".into(),
            ad_key: Some("ad1".into()),
        }
    }

    #[test]
    fn decisions() {
        let p = DialogPolicy::default();
        let s1 = Uuid::from_u128(1);
        let s2 = Uuid::from_u128(2);
        assert_eq!(decide(None, None, None, 0, &p), DialogDecision::Start);
        let continuing = DialogDecision::Continue(Uuid::from_u128(7));
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), None, None, 1000, &p),
            continuing
        );
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), Some(s1), None, 1000, &p),
            continuing
        );
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), Some(s2), None, 1000, &p),
            DialogDecision::Start
        );
        assert_eq!(
            decide(Some(&prior(None, 0)), Some(s2), None, 1000, &p),
            DialogDecision::Start
        );
        let late = p.silence_ms + 1;
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), None, None, late, &p),
            DialogDecision::Start
        );
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), None, Some("ad1"), 1000, &p),
            continuing,
            "the same ad again continues"
        );
        assert_eq!(
            decide(Some(&prior(Some(s1), 0)), None, Some("ad2"), 1000, &p),
            DialogDecision::Start,
            "another ad starts a new dialog"
        );
    }
}
