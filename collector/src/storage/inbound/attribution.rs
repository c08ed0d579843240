//! How a starting dialog is attributed: exact (the message's code) beats referral (its
//! ad), which beats probable (the only recent unmatched click on the number); else none.

use uuid::Uuid;

use crate::args;
use crate::db::{Backend, Conn};
use crate::domain::dialog::MatchKind;
use crate::domain::inbound::InboundMessage;
use crate::matching::{probable, DialogPolicy, Match};
use crate::reports::query::Fact;
use crate::reports::rollups::write::clicks_of;
use crate::reports::rollups::RollupDelta;

/// A session a code in the message belongs to, with that code.
#[derive(Debug, Clone)]
pub struct CodedSession {
    /// The session.
    pub session_id: Uuid,
    /// The code that named it.
    pub code: String,
}

/// Attributes the dialog that `m` starts for `contact_id`. An exact match also takes the
/// session back from another contact's probable dialog (whose rollups change in `delta`).
///
/// Chats meet only on the session they claim, so on PostgreSQL each claim takes that
/// session's lock and reads the claims on it after the lock: two chats cannot both take
/// the same click as the only candidate, and an exact match cannot miss a probable claim
/// committed a moment earlier. Chats on one number that claim nothing, or other sessions,
/// do not wait for each other.
pub async fn attribute_start(
    tx: &mut Conn,
    m: &InboundMessage,
    contact_id: Uuid,
    coded: Option<&CodedSession>,
    policy: &DialogPolicy,
    delta: &mut RollupDelta,
) -> Result<Match, sqlx::Error> {
    if let Some(coded) = coded {
        tx.lock_sessions([coded.session_id]).await?;
        return exact(tx, m, contact_id, coded, delta).await;
    }
    if m.referral.is_some() {
        return Ok(Match::referral());
    }
    if policy.probable_window_ms > 0 {
        return probable(tx, m, policy).await;
    }
    Ok(Match::none())
}

/// The session the code names, with its latest click on the number written to.
async fn exact(
    tx: &mut Conn,
    m: &InboundMessage,
    contact_id: Uuid,
    coded: &CodedSession,
    delta: &mut RollupDelta,
) -> Result<Match, sqlx::Error> {
    let site_id = m.site_id.0;
    // In one round trip: the session's latest click on the number, and (the code proves
    // whose session it is) other contacts' probable claims on it, which were wrong, so those
    // dialogs go back to unattributed.
    let found: Vec<(String, Uuid)> = tx
        .fetch_all(
            "SELECT 'click', c.click_id FROM (SELECT click_id FROM clicks WHERE site_id = $1 \
             AND session_id = $2 AND number = $3 ORDER BY clicked_at DESC LIMIT 1) c \
             UNION ALL SELECT 'wrong', dialog_id FROM dialogs WHERE site_id = $1 \
             AND session_id = $2 AND match_kind = $4 AND contact_id <> $5",
            args![
                site_id,
                coded.session_id,
                &m.business_number,
                MatchKind::Probable.as_str(),
                contact_id
            ],
        )
        .await?;
    let click = found.iter().find(|(what, _)| what == "click").map(|f| f.1);
    let wrong: Vec<Uuid> = found
        .iter()
        .filter(|(what, _)| what == "wrong")
        .map(|f| f.1)
        .collect();
    let clicks = clicks_of(tx, site_id, &wrong).await?;
    delta.count_out(tx, site_id, Fact::Dialogs, &wrong).await?;
    delta
        .count_out(tx, site_id, Fact::ChatClicks, &clicks)
        .await?;
    for dialog_id in &wrong {
        tx.defer(
            "UPDATE dialogs SET match_kind = $3, confidence = NULL, session_id = NULL, \
             click_id = NULL WHERE site_id = $1 AND dialog_id = $2 AND match_kind = $4",
            args![
                site_id,
                *dialog_id,
                MatchKind::None.as_str(),
                MatchKind::Probable.as_str()
            ],
        );
    }
    delta.count_in(site_id, Fact::Dialogs, &wrong);
    delta.count_in(site_id, Fact::ChatClicks, &clicks);
    Ok(Match {
        kind: MatchKind::Exact,
        code: Some(coded.code.clone()),
        confidence: Some(1.0),
        session_id: Some(coded.session_id),
        click_id: click,
    })
}

/// The newest click on number `$2` in `[$3, $4]` of a session no dialog has claimed, and the
/// newest such click of another session: at most two rows, in one read, among the newest 64
/// clicks on the number in the window (a number busier than that has no single candidate
/// anyway), so its cost grows neither with the table nor with a flood of clicks. A click
/// counts only with its session's visit, from the client of that visit (a click beacon
/// alone, forged with nothing but the site key, cannot take a chat), and not from a client
/// whose clicks in the window (its first 17) belong to three sessions or more: a person has
/// one session at a time, so one address and browser behind three within minutes is a
/// forger's made-up sessions (or too many people to tell apart), which neither take a chat
/// nor make it ambiguous. That is checked once per client among the 64 (`flood`), not once
/// per click: a flood's clicks share a few clients. The qualifying clicks (`unclaimed`) are
/// found once and both rows picked from them (two queries each checked all 64 candidates
/// and every client). Rows from before the client signal (NULL) count as from an unknown
/// client.
pub const NEWEST_UNCLAIMED_CLICKS: &str = "WITH candidates AS (SELECT site_id, session_id, \
     clicked_at, click_id, client FROM clicks WHERE site_id = $1 AND number = $2 \
     AND clicked_at >= $3 AND clicked_at <= $4 ORDER BY clicked_at DESC LIMIT 64), \
     flood AS MATERIALIZED (SELECT k.client FROM (SELECT DISTINCT client FROM candidates \
     WHERE client IS NOT NULL) k WHERE (SELECT COUNT(DISTINCT session_id) FROM \
     (SELECT f.session_id FROM clicks f WHERE f.site_id = $1 AND f.client = k.client \
     AND f.clicked_at >= $3 AND f.clicked_at <= $4 LIMIT 17) seen) >= 3), \
     unclaimed AS MATERIALIZED (SELECT c.session_id, c.clicked_at, c.click_id \
     FROM candidates c \
     WHERE (c.client IS NULL OR c.client NOT IN (SELECT client FROM flood)) \
     AND NOT EXISTS (SELECT 1 FROM dialogs d \
     WHERE d.site_id = c.site_id AND d.session_id = c.session_id) \
     AND EXISTS (SELECT 1 FROM sessions s \
     WHERE s.site_id = c.site_id AND s.session_id = c.session_id \
     AND (s.client IS NULL OR c.client IS NULL OR s.client = c.client))), \
     newest AS MATERIALIZED (SELECT * FROM unclaimed \
     ORDER BY clicked_at DESC, click_id DESC LIMIT 1) \
     SELECT * FROM newest UNION ALL SELECT * FROM (SELECT * FROM unclaimed u \
     WHERE u.session_id <> (SELECT session_id FROM newest) \
     ORDER BY u.clicked_at DESC, u.click_id DESC LIMIT 1) AS other";

/// Sessions [`probable`] locks and reads again before it gives up: the candidate read after a
/// lock may be another session when the locked one was claimed meanwhile and a new click
/// came in.
const PROBABLE_TRIES: usize = 3;

/// The one session that clicked the number shortly before and that no dialog has claimed,
/// if there is exactly one ([`NEWEST_UNCLAIMED_CLICKS`]). On PostgreSQL the candidate is
/// read once more after its session's lock, and taken only if it still is the one: no
/// candidate, or two, answer at once and lock nothing.
async fn probable(
    tx: &mut Conn,
    m: &InboundMessage,
    policy: &DialogPolicy,
) -> Result<Match, sqlx::Error> {
    let mut found = newest_unclaimed(tx, m, policy).await?;
    let mut locked = None;
    for _ in 0..PROBABLE_TRIES {
        let Some((p, click_id)) = only_candidate(&found, m, policy) else {
            return Ok(Match::none());
        };
        if locked == Some(p.session_id) || tx.backend() == Backend::Sqlite {
            return Ok(Match {
                kind: MatchKind::Probable,
                code: None,
                confidence: Some(p.confidence),
                session_id: Some(p.session_id),
                click_id: Some(click_id),
            });
        }
        // Also waits for the session's visit if it is being written (its clicks came
        // first), so the dialog copies its attribution.
        tx.lock_sessions([p.session_id]).await?;
        locked = Some(p.session_id);
        found = newest_unclaimed(tx, m, policy).await?;
    }
    Ok(Match::none())
}

/// [`NEWEST_UNCLAIMED_CLICKS`] for `m`: `(session, clicked_at, click)`, at most two rows.
async fn newest_unclaimed(
    tx: &mut Conn,
    m: &InboundMessage,
    policy: &DialogPolicy,
) -> Result<Vec<(Uuid, i64, Uuid)>, sqlx::Error> {
    let (from, to) = probable::click_range(m.sent_at_ms, policy.probable_window_ms);
    tx.fetch_all(
        NEWEST_UNCLAIMED_CLICKS,
        args![m.site_id.0, &m.business_number, from, to],
    )
    .await
}

/// The probable match and its click when `found` has a single candidate session.
fn only_candidate(
    found: &[(Uuid, i64, Uuid)],
    m: &InboundMessage,
    policy: &DialogPolicy,
) -> Option<(probable::ProbableMatch, Uuid)> {
    // Two rows are two sessions, which `decide` refuses.
    let &(_, _, click_id) = found.first()?;
    let candidates: Vec<probable::Candidate> = found
        .iter()
        .map(|&(session_id, clicked_at, _)| probable::Candidate {
            session_id,
            clicked_at,
        })
        .collect();
    probable::decide(&candidates, m.sent_at_ms, policy.probable_window_ms).map(|p| (p, click_id))
}
