//! On SQLite, the claims of a whole batch at once: before its first message is stored, one
//! round trip says which of the batch's messages are new and reads each one's contact and
//! dialogs around its send time, and the new messages' rows go out with the next statement.
//! A message that follows up one of its contact's stored just before in the same batch then
//! costs no round trip of its own.
//!
//! What was read before the batch began holds for a message unless an earlier message of
//! the batch may have changed it: one of the same contact (a key in common, or the same
//! contact found), or an exact match that took back the session of one of its dialogs.
//! Such a message reads its contact and dialogs again, in its turn. On PostgreSQL, where
//! several writers run at once and a contact's dialogs are read only under its row lock,
//! every message claims in its turn ([`claim_and_find`]).

use std::collections::HashSet;
use std::mem;

use uuid::Uuid;

use super::claim::{
    claim_and_find, claimed, contact_and_dialogs_sql, Around, Claim, ClaimRow, Claimed, CLAIM_HEAD,
    CLAIM_TAIL,
};
use super::contacts;
use crate::args;
use crate::db::{union_all, Backend, Conn, Statement};
use crate::domain::dialog::MatchKind;
use crate::domain::inbound::InboundMessage;

/// What the batch's read found for one message.
enum Pre {
    /// Nothing read ahead: the message claims in its turn.
    Later,
    /// Stored before: a redelivery.
    Duplicate,
    /// New; its contact and that contact's dialogs around its send time, as they were.
    Found(Option<(Uuid, String)>, Box<Around>),
}

/// A batch's claims, taken message by message ([`BatchClaims::take`]) in order.
pub struct BatchClaims {
    pre: Vec<Pre>,
    /// `(site, channel, identity, phone or user id)` of the batch's messages stored so far.
    keys: HashSet<(Uuid, String, String)>,
    /// Their contacts.
    contacts: HashSet<Uuid>,
    /// The sessions their codes named.
    sessions: HashSet<Uuid>,
}

/// A row of the batch's read: the message's index in the batch, then a [`ClaimRow`].
type IndexedRow = (
    i64,
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

impl BatchClaims {
    /// Reads ahead for `messages` on SQLite (one round trip) and queues the new ones' rows;
    /// on PostgreSQL reads nothing.
    pub async fn read(
        tx: &mut Conn,
        messages: &[&InboundMessage],
    ) -> Result<BatchClaims, sqlx::Error> {
        let mut claims = BatchClaims {
            pre: messages.iter().map(|_| Pre::Later).collect(),
            keys: HashSet::new(),
            contacts: HashSet::new(),
            sessions: HashSet::new(),
        };
        if tx.backend() != Backend::Sqlite {
            return Ok(claims);
        }
        // A message sent twice in one batch: the second copy claims in its turn, after the
        // first one's row, and comes out a duplicate.
        let mut ids = HashSet::new();
        let first: Vec<usize> = (0..messages.len())
            .filter(|&i| {
                let m = messages[i];
                ids.insert((
                    m.site_id.0,
                    m.provider.as_str(),
                    m.provider_message_id.as_str(),
                ))
            })
            .collect();
        if first.is_empty() {
            return Ok(claims);
        }
        let queries = first.iter().map(|&i| read_sql(i, messages[i])).collect();
        let (sql, args) = union_all(queries);
        let rows: Vec<IndexedRow> = tx.fetch_all(&sql, args).await?;
        let mut by_message: Vec<Vec<ClaimRow>> = messages.iter().map(|_| Vec::new()).collect();
        for (i, inserted, c, id, d, s, st, l, k, a, r) in rows {
            let at = usize::try_from(i).map_err(|e| sqlx::Error::Decode(e.into()))?;
            let rows = by_message.get_mut(at).ok_or(sqlx::Error::RowNotFound)?;
            rows.push((inserted, c, id, d, s, st, l, k, a, r));
        }
        let mut new_rows = Vec::new();
        for i in first {
            let m = messages[i];
            let found = claimed(mem::take(&mut by_message[i]), Some(m.sent_at_ms))?;
            claims.pre[i] = match (found.new, found.around) {
                (true, Some(around)) => {
                    new_rows.push(Claim::of(m).values());
                    Pre::Found(found.contact, Box::new(around))
                }
                _ => Pre::Duplicate,
            };
        }
        let inserts = tx.rows_statements(CLAIM_HEAD, CLAIM_TAIL, new_rows);
        tx.defer_all(inserts);
        Ok(claims)
    }

    /// The claim of the `i`-th message of the batch, `m`.
    pub async fn take(
        &mut self,
        tx: &mut Conn,
        i: usize,
        m: &InboundMessage,
    ) -> Result<Claimed, sqlx::Error> {
        let pre = self
            .pre
            .get_mut(i)
            .map_or(Pre::Later, |p| mem::replace(p, Pre::Later));
        match pre {
            Pre::Later => claim_and_find(tx, Claim::of(m), &m.contact, m.sent_at_ms).await,
            Pre::Duplicate => Ok(Claimed {
                new: false,
                contact: None,
                around: None,
            }),
            Pre::Found(contact, around) if !self.touched(m, &contact, &around) => Ok(Claimed {
                new: true,
                contact,
                around: Some(*around),
            }),
            Pre::Found(..) => {
                let (sql, args) = find_sql("1", m);
                let rows: Vec<ClaimRow> = tx.fetch_all(&sql, args).await?;
                claimed(rows, Some(m.sent_at_ms))
            }
        }
    }

    /// Notes message `m`, stored for `contact_id` with the session its code named.
    pub fn stored(&mut self, m: &InboundMessage, contact_id: Uuid, coded: Option<Uuid>) {
        self.keys.extend(keys(m));
        self.contacts.insert(contact_id);
        self.sessions.extend(coded);
    }

    /// Whether an earlier message of the batch may have changed what was read for `m`.
    fn touched(
        &self,
        m: &InboundMessage,
        contact: &Option<(Uuid, String)>,
        (before, after): &Around,
    ) -> bool {
        keys(m).any(|k| self.keys.contains(&k))
            || contact
                .as_ref()
                .is_some_and(|(c, _)| self.contacts.contains(c))
            || [before, after].into_iter().flatten().any(|d| {
                d.match_kind == MatchKind::Probable
                    && d.session_id.is_some_and(|s| self.sessions.contains(&s))
            })
    }
}

/// The values a contact of `m` is found by (see [`contacts::FIND_CONTACT`]).
fn keys(m: &InboundMessage) -> impl Iterator<Item = (Uuid, String, String)> + '_ {
    let c = &m.contact;
    let at = move |v: String| (m.site_id.0, c.channel.as_str().to_owned(), v);
    std::iter::once(c.identity())
        .chain(c.phone.clone())
        .chain(c.user_id.clone())
        .map(at)
}

/// The query for message `m`'s contact and its dialogs around its send time, a
/// [`ClaimRow`] each (one of NULLs if there is no contact), `inserted` being `inserted`.
fn find_sql<'a>(inserted: &str, m: &'a InboundMessage) -> Statement<'a> {
    let (find, mut args) = contacts::find_statement(m.site_id.0, &m.contact);
    args.push(m.sent_at_ms.into());
    let sql = format!(
        "SELECT {inserted} AS inserted, q.* FROM (SELECT 1 AS one) o \
         LEFT JOIN ({}) q ON 1 = 1",
        contact_and_dialogs_sql(&find)
    );
    (sql, args)
}

/// [`find_sql`] for the `i`-th message of the batch, `m`, with `i` in front and whether its
/// row is new.
fn read_sql<'a>(i: usize, m: &'a InboundMessage) -> Statement<'a> {
    let (find, mut args) = find_sql(
        "CASE WHEN EXISTS (SELECT 1 FROM messages WHERE site_id = $1 AND provider = $7 \
         AND provider_message_id = $8) THEN 0 ELSE 1 END",
        m,
    );
    args.extend(args![m.provider.as_str(), &m.provider_message_id]);
    (format!("SELECT {i} AS i, f.* FROM ({find}) f"), args)
}
