//! Contacts: who writes, found again by identity, phone or provider user id.

use uuid::Uuid;

use crate::args;
use crate::db::{Backend, Conn, Statement};
use crate::domain::inbound::ContactIdentity;
use crate::storage::fold;

/// `(contact_id, identity)` of the contact of site `$1` and channel `$2` with identity `$3`,
/// else phone `$4`, else provider user id `$5`. One indexed lookup per branch: the same
/// condition written with `OR` made SQLite scan every contact of the site.
pub const FIND_CONTACT: &str = "SELECT contact_id, identity FROM ( \
    SELECT contact_id, identity, 0 AS rank FROM contacts \
    WHERE site_id = $1 AND channel = $2 AND identity = $3 \
    UNION ALL SELECT contact_id, identity, 1 AS rank FROM contacts \
    WHERE site_id = $1 AND channel = $2 AND phone = $4 \
    UNION ALL SELECT contact_id, identity, 2 AS rank FROM contacts \
    WHERE site_id = $1 AND channel = $2 AND provider_user_id = $5 \
    ) AS found ORDER BY rank LIMIT 1";

/// The query for the stored contact `c` names, as `(contact_id, identity)`.
pub fn find_statement(site_id: Uuid, c: &ContactIdentity) -> Statement<'_> {
    (
        FIND_CONTACT.to_owned(),
        args![
            site_id,
            c.channel.as_str(),
            c.identity(),
            &c.phone,
            &c.user_id
        ],
    )
}

/// A new contact, or the one holding its identity updated.
const INSERT_CONTACT: &str = "INSERT INTO contacts (site_id, contact_id, channel, identity, \
    phone, provider_user_id, name, username, first_seen_at, last_seen_at, name_folded) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
    ON CONFLICT (site_id, channel, identity) DO UPDATE SET \
    name = COALESCE(excluded.name, contacts.name), \
    name_folded = COALESCE(excluded.name_folded, contacts.name_folded), \
    phone = COALESCE(excluded.phone, contacts.phone), \
    provider_user_id = COALESCE(excluded.provider_user_id, contacts.provider_user_id), \
    username = COALESCE(excluded.username, contacts.username), \
    last_seen_at = CASE WHEN excluded.last_seen_at > contacts.last_seen_at \
    THEN excluded.last_seen_at ELSE contacts.last_seen_at END";

/// A message's contact as [`resolve`] found it.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    pub contact_id: Uuid,
    /// Whether this transaction created it: then it has no dialogs yet.
    pub created: bool,
}

/// The contact a message comes from — `found` by identity, phone or provider user id
/// ([`find_statement`]), so a contact first seen with only a business-scoped user id is
/// found again once its phone is known — updated, or created. `found` must have been read
/// in `tx`, after its earlier writes: on SQLite a contact it does not name is created
/// without a round trip.
pub async fn resolve(
    tx: &mut Conn,
    site_id: Uuid,
    c: &ContactIdentity,
    found: Option<(Uuid, String)>,
    at_ms: i64,
) -> Result<Resolved, sqlx::Error> {
    if let Some((contact_id, _)) = found {
        tx.defer(
            "UPDATE contacts SET name = COALESCE($3, name), \
             name_folded = COALESCE($8, name_folded), phone = COALESCE($4, phone), \
             provider_user_id = COALESCE($5, provider_user_id), \
             username = COALESCE($6, username), last_seen_at = CASE \
             WHEN $7 > last_seen_at THEN $7 ELSE last_seen_at END \
             WHERE site_id = $1 AND contact_id = $2",
            args![
                site_id,
                contact_id,
                &c.name,
                &c.phone,
                &c.user_id,
                &c.username,
                at_ms,
                c.name.as_deref().map(fold)
            ],
        );
        return Ok(Resolved {
            contact_id,
            created: false,
        });
    }
    let fresh = Uuid::now_v7();
    let args = args![
        site_id,
        fresh,
        c.channel.as_str(),
        c.identity(),
        &c.phone,
        &c.user_id,
        &c.name,
        &c.username,
        at_ms,
        c.name.as_deref().map(fold),
    ];
    if tx.backend() == Backend::Sqlite {
        // One writer at a time, and `found` was read in this transaction by the identity
        // the unique key holds: the row is new, and its id need not come back.
        tx.defer(INSERT_CONTACT, args);
        return Ok(Resolved {
            contact_id: fresh,
            created: true,
        });
    }
    // Two first messages of a new contact may race here on PostgreSQL: the unique identity
    // makes the second one update the first one's row (and get the first one's id back).
    let (contact_id,): (Uuid,) = tx
        .fetch_one(&format!("{INSERT_CONTACT} RETURNING contact_id"), args)
        .await?;
    Ok(Resolved {
        contact_id,
        created: contact_id == fresh,
    })
}
