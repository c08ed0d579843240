//! Inbound messages, matched to sessions and dialogs; delivery statuses; identity changes.
//!
//! Messages are stored in batches, one transaction each (see
//! [`crate::ingest::InboundQueue`]); each message starts by inserting its row under its
//! provider id ([`claim_and_find`]), so that unique key serialises concurrent redeliveries
//! of the same message before anything else is touched. Then, top to bottom in
//! [`ingest_message`]: the referral is kept, the contact found, the codes looked up, the
//! contact's dialogs around the send time read, [`decide`] says where the message goes,
//! and the dialog is continued, prepended to or started (and attributed, see
//! [`attribution`]).

mod attribution;
mod claim;
mod contacts;
mod dialog;
mod identity;
mod statuses;
pub use attribution::NEWEST_UNCLAIMED_CLICKS;
pub use claim::contact_and_dialogs_sql;
pub use contacts::FIND_CONTACT;
pub use statuses::{first_reply_sql, refresh_first_replies};

use async_trait::async_trait;
use uuid::Uuid;

use crate::args;
use crate::db::{Arg, Conn, Db, StoreError};
use crate::domain::inbound::{IdentityChange, InboundMessage};
use crate::domain::now_ms;
use crate::domain::provider::Provider;
use crate::domain::referral::Referral;
use crate::domain::site::SiteId;
use crate::domain::status::StatusUpdate;
use crate::matching::{ad_key, decide, DialogDecision, DialogPolicy, Evidence};
use crate::reports::rollups::messages::MessageDelta;
use crate::reports::rollups::RollupDelta;
use crate::storage::{IdentityOutcome, IngestOutcome, StatusView};
use attribution::CodedSession;
use claim::{claim_and_find, dialogs_around, Claim};
use dialog::{continue_dialog, prepend_to_dialog, start_dialog, Start};

/// The chat side of storage.
#[async_trait]
pub trait Inbound: Send + Sync {
    /// Stores one inbound message, matching it to a session and a dialog, atomically.
    /// A provider message id seen before yields [`IngestOutcome::Duplicate`].
    async fn ingest_message(
        &self,
        message: &InboundMessage,
        policy: &DialogPolicy,
    ) -> Result<IngestOutcome, StoreError> {
        let mut outcomes = self.ingest_messages(&[message], policy).await?;
        Ok(outcomes.remove(0))
    }
    /// Stores `messages` in order in one transaction, as [`Inbound::ingest_message`] would
    /// one after the other (each sees the ones before it); their outcomes in order. If one
    /// fails, none of its transaction is stored; on PostgreSQL a message that found a lock
    /// held elsewhere starts a second transaction, after the ones before it committed.
    async fn ingest_messages(
        &self,
        messages: &[&InboundMessage],
        policy: &DialogPolicy,
    ) -> Result<Vec<IngestOutcome>, StoreError>;
    /// Records a delivery status; a status never replaces a later one in the forward order.
    async fn record_status(&self, status: &StatusUpdate) -> Result<(), StoreError>;
    /// The delivery status of a message the business sent.
    async fn message_status(
        &self,
        site_id: SiteId,
        provider: Provider,
        provider_message_id: &str,
    ) -> Result<Option<StatusView>, StoreError>;
    /// Moves a contact to its new phone or user id, once per system message.
    async fn change_identity(&self, change: &IdentityChange)
        -> Result<IdentityOutcome, StoreError>;
}

#[async_trait]
impl Inbound for Db {
    async fn ingest_messages(
        &self,
        messages: &[&InboundMessage],
        policy: &DialogPolicy,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let mut outcomes = Vec::with_capacity(messages.len());
        let mut end = messages.len();
        while outcomes.len() < messages.len() {
            let start = outcomes.len();
            match ingest_run(self, &messages[start..end], policy, &mut outcomes).await? {
                Run::Committed => end = messages.len(),
                // Those before it again, without it; then it first, waiting for its lock.
                Run::Contended(at) => end = start + at,
            }
        }
        Ok(outcomes)
    }

    async fn record_status(&self, status: &StatusUpdate) -> Result<(), StoreError> {
        statuses::record(self, status).await
    }

    async fn message_status(
        &self,
        site_id: SiteId,
        provider: Provider,
        provider_message_id: &str,
    ) -> Result<Option<StatusView>, StoreError> {
        statuses::of_message(self, site_id, provider, provider_message_id).await
    }

    async fn change_identity(
        &self,
        change: &IdentityChange,
    ) -> Result<IdentityOutcome, StoreError> {
        let mut tx = self.begin().await?;
        let outcome = identity::change(&mut tx, change).await?;
        if outcome != IdentityOutcome::Duplicate {
            tx.commit().await?;
        }
        Ok(outcome)
    }
}

/// How a run of messages in one transaction ended ([`ingest_run`]).
enum Run {
    /// Committed, every message's outcome added.
    Committed,
    /// Rolled back, nothing added: the message at this index (never the first) found a lock
    /// held by another transaction.
    Contended(usize),
}

/// Stores `messages` in one transaction and adds their outcomes to `outcomes`, unless one of
/// them would wait on PostgreSQL for a lock another transaction holds: waiting while
/// holding the locks of the messages before it could deadlock, so the whole transaction is
/// rolled back and the caller stores the ones before it again, then starts the next run
/// with it (where it waits like any first message). Contention is rare (two chats claiming
/// one session at once), so a message costs no savepoint for it. SQLite takes no locks.
async fn ingest_run(
    db: &Db,
    messages: &[&InboundMessage],
    policy: &DialogPolicy,
    outcomes: &mut Vec<IngestOutcome>,
) -> Result<Run, StoreError> {
    let mut tx = db.begin().await?;
    let mut run = Vec::with_capacity(messages.len());
    // The messages' rollup changes, written once before the commit in key order: written
    // per message, two messages' rows would be locked in their order, not in the order
    // every other writer locks them in.
    let mut rollups = RollupDelta::default();
    let mut received = MessageDelta::default();
    let mut placed = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        if i == 1 {
            tx.try_locks();
        }
        match ingest_message(&mut tx, m, policy, &mut rollups, &mut placed).await {
            Ok(outcome) => {
                if outcome != IngestOutcome::Duplicate {
                    received.received(m.site_id.0, m.sent_at_ms, 1);
                }
                run.push(outcome);
            }
            Err(_) if tx.contended() => {
                tx.rollback().await?;
                return Ok(Run::Contended(i));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if run.iter().any(|o| *o != IngestOutcome::Duplicate) {
        let placing = tx.rows_statements(PLACE_MESSAGES, PLACE_MESSAGES_TAIL, placed);
        tx.defer_all(placing);
        rollups.write(&mut tx).await?;
        received.write(&mut tx);
        tx.commit().await?;
    }
    outcomes.extend(run);
    Ok(Run::Committed)
}

/// The dialog and contact of a run's stored messages ([`ingest_message`]'s `placed`), set in
/// one statement before the commit: an upsert on rows the run has claimed, so it only
/// updates (PostgreSQL binds one array per column, SQLite one row of values each).
const PLACE_MESSAGES: &str = "INSERT INTO messages (site_id, provider, provider_message_id, \
    message_type, sent_at, received_at, dialog_id, contact_id)";
/// [`PLACE_MESSAGES`]' conflict clause, which sets the two columns.
const PLACE_MESSAGES_TAIL: &str = "ON CONFLICT (site_id, provider, provider_message_id) \
    DO UPDATE SET dialog_id = excluded.dialog_id, contact_id = excluded.contact_id";

/// Stores one message in transaction `tx` (which the caller commits unless the message is
/// a duplicate), adding the changes to the report rollups of the dialogs it changed to
/// `delta` and its dialog and contact to `placed` ([`PLACE_MESSAGES`]), for the caller to
/// write, and leaving its own count to the caller.
async fn ingest_message(
    tx: &mut Conn,
    m: &InboundMessage,
    policy: &DialogPolicy,
    delta: &mut RollupDelta,
    placed: &mut Vec<Vec<Arg<'static>>>,
) -> Result<IngestOutcome, sqlx::Error> {
    let site_id = m.site_id.0;
    let claim = Claim {
        site_id,
        provider: m.provider.as_str(),
        provider_message_id: &m.provider_message_id,
        message_type: m.message_type.as_str(),
        body: &m.text,
        sent_at_ms: m.sent_at_ms,
    };
    let claimed = claim_and_find(tx, claim, &m.contact, m.sent_at_ms).await?;
    if !claimed.new {
        return Ok(IngestOutcome::Duplicate);
    }
    // Dialogs changed below are counted out of the rollups (`delta`) before and back in
    // after.
    // The referral is kept per message whatever happens to the dialog: middleware that
    // dropped it is the most reported way CTWA attribution gets lost.
    let referral_id = match &m.referral {
        Some(r) => Some(insert_referral(tx, m, r).await?),
        None => None,
    };
    let contact = contacts::resolve(tx, site_id, &m.contact, claimed.contact, m.sent_at_ms).await?;
    let contact_id = contact.contact_id;
    let coded = coded_session(tx, m, policy).await?;
    // The contact's dialogs around the send time: the one in effect then, and the next (a
    // contact made just now has none).
    let (before, after) = match (contact.created, claimed.around) {
        (true, _) => (None, None),
        (false, Some(around)) => around,
        (false, None) => dialogs_around(tx, site_id, contact_id, m.sent_at_ms).await?,
    };
    let evidence = Evidence {
        session: coded.as_ref().map(|c| c.session_id),
        ad: m.referral.as_ref().and_then(ad_key),
    };
    let decision = decide(
        before.as_ref(),
        after.as_ref(),
        evidence,
        m.sent_at_ms,
        policy,
    );
    let (dialog_id, started_dialog) = match decision {
        DialogDecision::Continue(dialog_id) => {
            continue_dialog(tx, m, dialog_id, before.as_ref(), coded.as_ref(), delta).await?;
            (dialog_id, false)
        }
        DialogDecision::Prepend(dialog_id) => {
            let start = Start {
                m,
                contact_id,
                coded: coded.as_ref(),
                referral_id,
                policy,
            };
            let target = [before.as_ref(), after.as_ref()]
                .into_iter()
                .flatten()
                .find(|d| d.dialog_id == dialog_id);
            prepend_to_dialog(tx, &start, target, delta).await?;
            (dialog_id, false)
        }
        DialogDecision::Start => {
            let start = Start {
                m,
                contact_id,
                coded: coded.as_ref(),
                referral_id,
                policy,
            };
            let first = before.is_none();
            let dialog_id = start_dialog(tx, &start, first, after.is_some(), delta).await?;
            (dialog_id, true)
        }
    };
    placed.push(args![
        site_id,
        m.provider.as_str(),
        m.provider_message_id.clone(),
        m.message_type.as_str().to_owned(),
        m.sent_at_ms,
        now_ms(),
        dialog_id,
        contact_id
    ]);
    if let Some(text) = &m.text {
        let event = crate::storage::dialogs::outcome::RuleEvent::Text(text);
        crate::storage::dialogs::outcome::apply_rules(tx, site_id, dialog_id, event).await?;
    }
    Ok(IngestOutcome::Stored {
        dialog_id,
        started_dialog,
    })
}

/// Stores the message's ad referral; its id.
async fn insert_referral(
    tx: &mut Conn,
    m: &InboundMessage,
    r: &Referral,
) -> Result<Uuid, sqlx::Error> {
    let referral_id = Uuid::now_v7();
    tx.defer(
        "INSERT INTO referrals (site_id, referral_id, provider, provider_message_id, \
         source_id, source_url, source_type, headline, body, media_type, media_id, \
         image_url, video_url, thumbnail_url, ctwa_clid, welcome_message, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        args![
            m.site_id.0,
            referral_id,
            m.provider.as_str(),
            &m.provider_message_id,
            &r.source_id,
            &r.source_url,
            &r.source_type,
            &r.headline,
            &r.body,
            &r.media_type,
            &r.media_id,
            &r.image_url,
            &r.video_url,
            &r.thumbnail_url,
            &r.ctwa_clid,
            &r.welcome_message,
            now_ms(),
        ],
    );
    Ok(referral_id)
}

/// The live session a code in the message names. A message may carry several codes: a
/// tagged link copied into a page, or baked into a prerendered one, gets the visitor's code
/// beside the one it had. The newest of their live sessions is the visitor's.
async fn coded_session(
    tx: &mut Conn,
    m: &InboundMessage,
    policy: &DialogPolicy,
) -> Result<Option<CodedSession>, sqlx::Error> {
    let mut matched: Option<CodedSession> = None;
    let mut newest = i64::MIN;
    for code in m.codes() {
        let session: Option<(Uuid, i64)> = tx
            .fetch_optional(
                "SELECT session_id, started_at FROM sessions WHERE site_id = $1 AND code = $2 \
                 AND started_at >= $3 ORDER BY started_at DESC LIMIT 1",
                args![
                    m.site_id.0,
                    code.as_str(),
                    m.sent_at_ms - policy.code_lookback_ms
                ],
            )
            .await?;
        if let Some((session_id, started_at)) = session.filter(|s| s.1 > newest) {
            newest = started_at;
            matched = Some(CodedSession {
                session_id,
                code: code.as_str().to_owned(),
            });
        }
    }
    Ok(matched)
}
