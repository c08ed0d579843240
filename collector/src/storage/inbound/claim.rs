//! The first step of every inbound write: the message's row claimed under its provider id,
//! and what is read in the same round trip (the contact; on SQLite its dialogs too).

use uuid::Uuid;

use super::contacts;
use crate::args;
use crate::db::{Backend, Conn};
use crate::domain::dialog::MatchKind;
use crate::domain::inbound::ContactIdentity;
use crate::domain::now_ms;
use crate::matching::ContactDialog;

/// A message row to store under its provider id.
pub struct Claim<'a> {
    pub site_id: Uuid,
    pub provider: &'a str,
    pub provider_message_id: &'a str,
    pub message_type: &'a str,
    pub body: &'a Option<String>,
    pub sent_at_ms: i64,
}

/// What [`claim_and_find`] learned in its round trip.
pub struct Claimed {
    /// Whether the message is new (else a redelivery).
    pub new: bool,
    /// The stored contact, as `(contact_id, identity)`.
    pub contact: Option<(Uuid, String)>,
    /// On SQLite, that contact's dialogs around the send time ([`dialogs_around`]).
    pub around: Option<Around>,
}

/// A contact's dialog in effect at a time, and the next one after it.
pub type Around = (Option<ContactDialog>, Option<ContactDialog>);

/// A row of [`claim_and_find`]: whether the message was new, the contact, one dialog.
type ClaimRow = (
    i64,
    Option<Uuid>,
    Option<String>,
    Option<Uuid>,
    Option<Uuid>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<Uuid>,
);

/// Stores a message row under its provider id and says whether it is new, with the stored
/// contact `contact` names (see [`contacts::find_statement`]), in one round trip. The row's
/// unique key is what serialises simultaneous redeliveries of one message, so every inbound
/// write claims its message this way before touching anything else. On SQLite, where one
/// writer runs at a time, the same round trip reads the contact's dialogs around `at_ms`;
/// on PostgreSQL they are read once the contact's row is locked by its update, since
/// another writer may be starting a dialog for the same contact.
pub async fn claim_and_find(
    tx: &mut Conn,
    m: Claim<'_>,
    contact: &ContactIdentity,
    at_ms: i64,
) -> Result<Claimed, sqlx::Error> {
    let claim = (
        "INSERT INTO messages (site_id, provider, provider_message_id, message_type, body, \
         sent_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (site_id, provider, provider_message_id) DO NOTHING"
            .to_owned(),
        args![
            m.site_id,
            m.provider,
            m.provider_message_id,
            m.message_type,
            m.body,
            m.sent_at_ms,
            now_ms()
        ],
    );
    let (find, mut find_args) = contacts::find_statement(m.site_id, contact);
    let with_dialogs = tx.backend() == Backend::Sqlite;
    let query = if with_dialogs {
        find_args.push(at_ms.into());
        contact_and_dialogs_sql(&find)
    } else {
        format!(
            "SELECT f.contact_id, f.identity, CAST(NULL AS UUID), CAST(NULL AS UUID), \
             CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS TEXT), \
             CAST(NULL AS TEXT), CAST(NULL AS UUID) FROM ({find}) f"
        )
    };
    let rows: Vec<ClaimRow> = tx.fetch_after_insert(claim, (query, find_args)).await?;
    let new = rows.first().ok_or(sqlx::Error::RowNotFound)?.0 > 0;
    let contact = rows.first().and_then(|r| r.1.zip(r.2.clone()));
    let mut dialogs = Vec::new();
    for (_, _, _, dialog_id, session_id, started, last, kind, ad_key, referral_id) in rows {
        let (Some(dialog_id), Some(started_at), Some(last_message_at), Some(kind)) =
            (dialog_id, started, last, kind)
        else {
            continue;
        };
        dialogs.push(ContactDialog {
            dialog_id,
            session_id,
            started_at,
            last_message_at,
            match_kind: MatchKind::try_from(kind).map_err(|e| sqlx::Error::Decode(e.into()))?,
            ad_key,
            referral_id,
        });
    }
    Ok(Claimed {
        new,
        contact,
        around: with_dialogs.then(|| split_around(dialogs, at_ms)),
    })
}

/// The contact that `find` (`$1` site, up to `$5`) finds, with its dialogs around time `$6`
/// (one row per dialog; NULL columns where there is none), each through an index: the
/// contact's by its unique keys, the dialogs' by `dialogs_by_contact`.
pub fn contact_and_dialogs_sql(find: &str) -> String {
    format!(
        "SELECT f.contact_id, f.identity, {DIALOG_COLUMNS} FROM ({find}) f \
         LEFT JOIN dialogs d ON d.site_id = $1 AND d.dialog_id IN ( \
         (SELECT x.dialog_id FROM dialogs x WHERE x.site_id = $1 \
          AND x.contact_id = f.contact_id AND x.started_at <= $6 \
          ORDER BY x.started_at DESC LIMIT 1), \
         (SELECT x.dialog_id FROM dialogs x WHERE x.site_id = $1 \
          AND x.contact_id = f.contact_id AND x.started_at > $6 \
          ORDER BY x.started_at ASC LIMIT 1)) \
         LEFT JOIN referrals r ON r.site_id = d.site_id AND r.referral_id = d.referral_id"
    )
}

/// A [`ContactDialog`]'s columns, of dialog `d` and its referral `r`.
const DIALOG_COLUMNS: &str = "d.dialog_id, d.session_id, d.started_at, d.last_message_at, \
    d.match_kind, COALESCE(r.source_id, r.source_url, r.ctwa_clid) AS ad_key, d.referral_id";

/// The contact's dialog in effect at `at_ms` and the next one after it, in one query.
pub async fn dialogs_around(
    tx: &mut Conn,
    site_id: Uuid,
    contact_id: Uuid,
    at_ms: i64,
) -> Result<Around, sqlx::Error> {
    let select = format!(
        "SELECT {DIALOG_COLUMNS} FROM dialogs d \
         LEFT JOIN referrals r ON r.site_id = d.site_id AND r.referral_id = d.referral_id \
         WHERE d.site_id = $1 AND d.contact_id = $2"
    );
    let sql = format!(
        "SELECT * FROM ({select} AND d.started_at <= $3 ORDER BY d.started_at DESC LIMIT 1) \
         AS before_at UNION ALL \
         SELECT * FROM ({select} AND d.started_at > $3 ORDER BY d.started_at ASC LIMIT 1) \
         AS after_at"
    );
    let found: Vec<ContactDialog> = tx
        .fetch_all(&sql, args![site_id, contact_id, at_ms])
        .await?;
    Ok(split_around(found, at_ms))
}

/// The dialog of `found` in effect at `at_ms`, and the next one.
fn split_around(found: Vec<ContactDialog>, at_ms: i64) -> Around {
    let (before, after): (Vec<_>, Vec<_>) = found.into_iter().partition(|d| d.started_at <= at_ms);
    (before.into_iter().next(), after.into_iter().next())
}
