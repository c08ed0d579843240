//! Probable matches: a chat that starts without a code or an ad referral, when exactly one
//! unmatched click on the same tracked number happened shortly before it. A click counts
//! only with its session's visit, so click beacons forged with nothing but the site key
//! neither take a chat nor make it ambiguous.
//!
//! Codes get lost: the visitor edits or deletes the prefilled text, or WhatsApp is installed
//! on the way and the draft is gone. If exactly one visitor clicked that number in the window
//! before the chat and no dialog has claimed that visitor's session yet, the chat is most
//! likely theirs. Two or more candidates are ambiguous and the chat stays unattributed: a
//! probable match is never a guess between people.
//!
//! **Window, default 10 minutes** (`CHATRAIL_PROBABLE_WINDOW_MINUTES`): people who keep the
//! prefilled text send within seconds; editing it, or installing WhatsApp first, takes a few
//! minutes. Beyond ten minutes the click is rarely the cause, and a longer window mostly adds
//! other visitors' clicks, which turns would-be matches into ambiguous ones.
//!
//! **Confidence** falls linearly with the gap between click and message, from 0.9 (message
//! right after the click) to 0.5 (at the end of the window). It stays below an exact match's
//! 1.0 because the link is inferred, and at or above 0.5 because the click was the only
//! candidate.
//!
//! A later exact match takes the session back: when a message carrying the session's code
//! arrives from another contact, the probable dialog is demoted to unattributed (its contact
//! was provably someone else), and when it arrives from the same contact the dialog becomes
//! exact.

use uuid::Uuid;

/// Default window: 10 minutes (see the module docs for why).
pub const DEFAULT_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Clicks up to this long *after* the message's timestamp still count: Cloud API timestamps
/// are whole seconds and the two clocks (provider's, ours) are not the same.
pub const CLOCK_SKEW_MS: i64 = 5_000;

/// Confidence of a probable match right after the click.
pub const MAX_CONFIDENCE: f64 = 0.9;
/// Confidence of a probable match at the end of the window.
pub const MIN_CONFIDENCE: f64 = 0.5;

/// One session that clicked the number in the window, with its latest such click.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct Candidate {
    /// The session.
    pub session_id: Uuid,
    /// Its latest click on the number within the window.
    pub clicked_at: i64,
}

/// A probable match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProbableMatch {
    /// The session the chat most likely came from.
    pub session_id: Uuid,
    /// When its click happened.
    pub clicked_at: i64,
    /// See [`confidence`].
    pub confidence: f64,
}

/// The click times a candidate may have for a message sent at `sent_at_ms`: `[from, to]`.
pub fn click_range(sent_at_ms: i64, window_ms: i64) -> (i64, i64) {
    (sent_at_ms - window_ms, sent_at_ms + CLOCK_SKEW_MS)
}

/// The match when there is exactly one candidate session; `None` when there is none, when
/// several are ambiguous, or when probable matching is off.
pub fn decide(candidates: &[Candidate], sent_at_ms: i64, window_ms: i64) -> Option<ProbableMatch> {
    let [only] = candidates else {
        return None;
    };
    (window_ms > 0).then(|| ProbableMatch {
        session_id: only.session_id,
        clicked_at: only.clicked_at,
        confidence: confidence(sent_at_ms - only.clicked_at, window_ms),
    })
}

/// 0.9 for a message right after the click, falling linearly to 0.5 at the end of the
/// window; rounded to two decimals so the stored figure reads as what it is, an estimate.
pub fn confidence(gap_ms: i64, window_ms: i64) -> f64 {
    let share = (gap_ms.max(0) as f64 / window_ms.max(1) as f64).min(1.0);
    let c = MAX_CONFIDENCE - (MAX_CONFIDENCE - MIN_CONFIDENCE) * share;
    (c * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(n: u128, at: i64) -> Candidate {
        Candidate {
            session_id: Uuid::from_u128(n),
            clicked_at: at,
        }
    }

    #[test]
    fn only_a_single_candidate_matches() {
        let w = DEFAULT_WINDOW_MS;
        assert_eq!(decide(&[], 1000, w), None);
        assert_eq!(decide(&[candidate(1, 0), candidate(2, 500)], 1000, w), None);
        let m = decide(&[candidate(1, 0)], 60_000, w).unwrap();
        assert_eq!(m.session_id, Uuid::from_u128(1));
        assert_eq!(m.confidence, 0.86);
        assert_eq!(decide(&[candidate(1, 0)], 1000, 0), None, "window 0 is off");
    }

    #[test]
    fn confidence_decays_over_the_window() {
        let w = DEFAULT_WINDOW_MS;
        assert_eq!(confidence(0, w), 0.9);
        assert_eq!(confidence(-3000, w), 0.9, "skewed clocks");
        assert_eq!(confidence(w / 2, w), 0.7);
        assert_eq!(confidence(w, w), 0.5);
        assert_eq!(confidence(2 * w, w), 0.5);
    }

    #[test]
    fn the_window_tolerates_clock_skew() {
        assert_eq!(click_range(100_000, 60_000), (40_000, 105_000));
    }
}
