//! How inbound messages join dialogs: the decisions, kept apart from storage.

pub mod probable;

use uuid::Uuid;

use crate::domain::dialog::MatchKind;

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

/// One of the contact's dialogs next to a message's send time, as far as matching needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactDialog {
    /// Its id.
    pub dialog_id: Uuid,
    /// The session it was matched to.
    pub session_id: Option<Uuid>,
    /// Its first message.
    pub started_at: i64,
    /// Its latest message.
    pub last_message_at: i64,
    /// How it was matched.
    #[sqlx(try_from = "String")]
    pub match_kind: MatchKind,
    /// The ad it is attributed to (see [`ad_key`]).
    pub ad_key: Option<String>,
    /// Its ad referral.
    pub referral_id: Option<Uuid>,
}

impl ContactDialog {
    /// Whether nothing certain ties it to a source yet (a probable match may be overruled).
    pub fn is_unattributed(&self) -> bool {
        self.match_kind.is_unattributed()
    }
}

/// What ties a starting dialog to its source: exact (code), referral (ad), probable (the
/// only recent unmatched click), or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// How.
    pub kind: MatchKind,
    /// The session code, for exact matches.
    pub code: Option<String>,
    /// 1.0 for exact and referral matches, lower for probable ones, none without a match.
    pub confidence: Option<f64>,
    /// The matched session.
    pub session_id: Option<Uuid>,
    /// The session's click on the number written to.
    pub click_id: Option<Uuid>,
}

impl Match {
    /// No match.
    pub fn none() -> Match {
        Match {
            kind: MatchKind::None,
            code: None,
            confidence: None,
            session_id: None,
            click_id: None,
        }
    }

    /// A Click-to-WhatsApp ad's referral.
    pub fn referral() -> Match {
        Match {
            kind: MatchKind::Referral,
            confidence: Some(1.0),
            ..Match::none()
        }
    }
}

/// What identifies an ad across messages: its id, else its URL, else the click id.
pub fn ad_key(referral: &crate::domain::referral::Referral) -> Option<&str> {
    referral
        .source_id
        .as_deref()
        .or(referral.source_url.as_deref())
        .or(referral.ctwa_clid.as_deref())
}

/// The sources a message points at by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence<'a> {
    /// The session of a session code found in it.
    pub session: Option<Uuid>,
    /// The ad of its referral.
    pub ad: Option<&'a str>,
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogDecision {
    /// Append to this dialog.
    Continue(Uuid),
    /// The message arrived late and is the real first message of this dialog.
    Prepend(Uuid),
    /// Start a new dialog.
    Start,
}

/// A dialog starts with the contact's first message, with a code of a different session,
/// with a referral from a different ad (a new ad click is a new source, like a new code),
/// or after [`DialogPolicy::silence_ms`] of silence; otherwise the message continues the
/// dialog in effect when it was sent (`before`).
///
/// Providers deliver out of order (a retried first message can arrive after the second), so
/// a message sent shortly before the contact's next dialog (`after`) that fits it — same
/// source, or the dialog has no certain source yet — becomes that dialog's first message
/// instead of a dialog of its own: one chat, one dialog, whatever the arrival order.
///
/// Timestamps are whole seconds at most providers, so a first message and its follow-up
/// often carry the same one. Between messages of the same instant, what they carry decides
/// the order: a message with a code or an ad that fits the dialog `before` started at that
/// instant is its first message.
pub fn decide(
    before: Option<&ContactDialog>,
    after: Option<&ContactDialog>,
    evidence: Evidence<'_>,
    sent_at_ms: i64,
    policy: &DialogPolicy,
) -> DialogDecision {
    let carries_source = evidence.session.is_some() || evidence.ad.is_some();
    if let Some(same) = before.filter(|b| {
        b.started_at == sent_at_ms
            && carries_source
            && fits_start(b, evidence)
            && !begins(b, evidence)
    }) {
        return DialogDecision::Prepend(same.dialog_id);
    }
    if let Some(before) = before.filter(|b| continues(b, evidence, sent_at_ms, policy)) {
        return DialogDecision::Continue(before.dialog_id);
    }
    match after {
        Some(a) if a.started_at - sent_at_ms <= policy.silence_ms && fits_start(a, evidence) => {
            DialogDecision::Prepend(a.dialog_id)
        }
        _ => DialogDecision::Start,
    }
}

fn continues(d: &ContactDialog, e: Evidence<'_>, sent_at_ms: i64, policy: &DialogPolicy) -> bool {
    let new_session = e.session.is_some_and(|s| d.session_id != Some(s));
    let new_ad = e.ad.is_some_and(|a| d.ad_key.as_deref() != Some(a));
    let silent = sent_at_ms - d.last_message_at > policy.silence_ms;
    !(new_session || new_ad || silent)
}

/// Whether the dialog already holds this evidence as its certain source (so its first
/// message carried it, and another message with it is a follow-up).
fn begins(d: &ContactDialog, e: Evidence<'_>) -> bool {
    let by_code =
        e.session.is_some_and(|s| d.session_id == Some(s)) && d.match_kind == MatchKind::Exact;
    let by_ad =
        e.ad.is_some_and(|a| d.ad_key.as_deref() == Some(a)) && d.match_kind == MatchKind::Referral;
    by_code || by_ad
}

fn fits_start(d: &ContactDialog, e: Evidence<'_>) -> bool {
    let session_fits = e
        .session
        .is_none_or(|s| d.session_id == Some(s) || d.is_unattributed());
    let ad_fits = e.ad.is_none_or(|a| {
        d.ad_key.as_deref() == Some(a) || (d.ad_key.is_none() && d.is_unattributed())
    });
    session_fits && ad_fits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(session: Option<Uuid>, started: i64, last: i64, kind: &str) -> ContactDialog {
        ContactDialog {
            dialog_id: Uuid::from_u128(7),
            session_id: session,
            started_at: started,
            last_message_at: last,
            match_kind: MatchKind::parse(kind).unwrap(),
            ad_key: (kind == "referral").then(|| "ad1".into()),
            referral_id: None,
        }
    }

    fn code(s: Uuid) -> Evidence<'static> {
        Evidence {
            session: Some(s),
            ad: None,
        }
    }

    fn ad(a: &str) -> Evidence<'_> {
        Evidence {
            session: None,
            ad: Some(a),
        }
    }

    #[test]
    fn in_order_messages_continue_or_start() {
        let p = DialogPolicy::default();
        let (s1, s2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let none = Evidence::default();
        let exact = dialog(Some(s1), 0, 0, "exact");
        let continuing = DialogDecision::Continue(Uuid::from_u128(7));
        assert_eq!(decide(None, None, none, 0, &p), DialogDecision::Start);
        assert_eq!(decide(Some(&exact), None, none, 1000, &p), continuing);
        assert_eq!(decide(Some(&exact), None, code(s1), 1000, &p), continuing);
        assert_eq!(
            decide(Some(&exact), None, code(s2), 1000, &p),
            DialogDecision::Start
        );
        let unmatched = dialog(None, 0, 0, "none");
        assert_eq!(
            decide(Some(&unmatched), None, code(s2), 1000, &p),
            DialogDecision::Start
        );
        let late = p.silence_ms + 1;
        assert_eq!(
            decide(Some(&exact), None, none, late, &p),
            DialogDecision::Start
        );
        let from_ad = dialog(None, 0, 0, "referral");
        assert_eq!(
            decide(Some(&from_ad), None, ad("ad1"), 1000, &p),
            continuing,
            "same ad"
        );
        assert_eq!(
            decide(Some(&from_ad), None, ad("ad2"), 1000, &p),
            DialogDecision::Start
        );
    }

    #[test]
    fn in_the_same_second_the_message_with_the_source_is_first() {
        let p = DialogPolicy::default();
        let (s1, s2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let prepend = DialogDecision::Prepend(Uuid::from_u128(7));
        let continuing = DialogDecision::Continue(Uuid::from_u128(7));
        // A code-less follow-up of the same second arrived first and started a dialog.
        let unmatched = dialog(None, 5000, 5000, "none");
        assert_eq!(decide(Some(&unmatched), None, code(s1), 5000, &p), prepend);
        assert_eq!(decide(Some(&unmatched), None, ad("ad1"), 5000, &p), prepend);
        // It was matched as probable to the same session: the code still goes first.
        let probable = dialog(Some(s1), 5000, 5000, "probable");
        assert_eq!(decide(Some(&probable), None, code(s1), 5000, &p), prepend);
        // The code message already began it: another one with the code is a follow-up.
        let exact = dialog(Some(s1), 5000, 5000, "exact");
        assert_eq!(decide(Some(&exact), None, code(s1), 5000, &p), continuing);
        let from_ad = dialog(None, 5000, 5000, "referral");
        assert_eq!(
            decide(Some(&from_ad), None, ad("ad1"), 5000, &p),
            continuing
        );
        // Another source in the same second is another dialog; a later second continues.
        assert_eq!(
            decide(Some(&exact), None, code(s2), 5000, &p),
            DialogDecision::Start
        );
        assert_eq!(
            decide(Some(&unmatched), None, code(s1), 6000, &p),
            DialogDecision::Start
        );
        assert_eq!(
            decide(Some(&unmatched), None, Evidence::default(), 5000, &p),
            continuing
        );
    }

    #[test]
    fn a_late_first_message_joins_the_dialog_it_began() {
        let p = DialogPolicy::default();
        let (s1, s2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let prepend = DialogDecision::Prepend(Uuid::from_u128(7));
        // The follow-up arrived first and made an unattributed dialog at t=5000.
        let unmatched = dialog(None, 5000, 9000, "none");
        assert_eq!(decide(None, Some(&unmatched), code(s1), 1000, &p), prepend);
        assert_eq!(decide(None, Some(&unmatched), ad("ad1"), 1000, &p), prepend);
        let probable = dialog(Some(s2), 5000, 9000, "probable");
        assert_eq!(decide(None, Some(&probable), code(s1), 1000, &p), prepend);
        let exact = dialog(Some(s1), 5000, 9000, "exact");
        assert_eq!(decide(None, Some(&exact), code(s1), 1000, &p), prepend);
        assert_eq!(
            decide(None, Some(&exact), code(s2), 1000, &p),
            DialogDecision::Start,
            "another session's code is another dialog"
        );
        let far = p.silence_ms + 5001;
        assert_eq!(
            decide(None, Some(&unmatched), Evidence::default(), 5000 - far, &p),
            DialogDecision::Start,
            "a day before is not the same chat"
        );
        // A dialog in effect at send time still wins.
        let earlier = dialog(None, 0, 500, "none");
        assert_eq!(
            decide(
                Some(&earlier),
                Some(&unmatched),
                Evidence::default(),
                1000,
                &p
            ),
            DialogDecision::Continue(Uuid::from_u128(7))
        );
    }
}
