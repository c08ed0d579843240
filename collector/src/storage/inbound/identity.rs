//! Contacts' identity changes (WhatsApp `system` messages): the system message is stored
//! under its id (so a redelivery changes nothing), then the contact known by the old
//! identity takes the new one.

use uuid::Uuid;

use super::claim::{claim_and_find, Claim};
use crate::args;
use crate::db::Conn;
use crate::domain::inbound::IdentityChange;
use crate::reports::rollups::messages::MessageDelta;
use crate::storage::IdentityOutcome;

/// Applies `c` in transaction `tx` (which the caller commits unless it is a duplicate).
pub async fn change(tx: &mut Conn, c: &IdentityChange) -> Result<IdentityOutcome, sqlx::Error> {
    let site_id = c.site_id.0;
    let claim = Claim {
        site_id,
        provider: c.provider.as_str(),
        provider_message_id: &c.provider_message_id,
        message_type: "system",
        body: &c.body,
        sent_at_ms: c.at_ms,
    };
    let claimed = claim_and_find(tx, claim, &c.old, c.at_ms).await?;
    if !claimed.new {
        return Ok(IdentityOutcome::Duplicate);
    }
    let mut received = MessageDelta::default();
    received.received(site_id, c.at_ms, 1);
    received.write(tx);
    let Some((contact_id, identity)) = claimed.contact else {
        return Ok(IdentityOutcome::UnknownContact);
    };
    // The key follows whatever it was made of: a phone-keyed contact takes the new phone, a
    // user-id-keyed one the new user id.
    let new_identity = match (identity.strip_prefix("user:"), &c.new_phone, &c.new_user_id) {
        (None, Some(phone), _) => phone.clone(),
        (Some(_), _, Some(user)) => format!("user:{user}"),
        _ => identity.clone(),
    };
    if new_identity != identity {
        let taken: Option<(Uuid,)> = tx
            .fetch_optional(
                "SELECT contact_id FROM contacts WHERE site_id = $1 AND channel = $2 \
                 AND identity = $3",
                args![site_id, c.old.channel.as_str(), &new_identity],
            )
            .await?;
        if taken.is_some() {
            tracing::warn!(%new_identity, "identity change left alone: new identity taken");
            return Ok(IdentityOutcome::Conflict);
        }
    }
    tx.execute(
        "UPDATE contacts SET identity = $3, phone = COALESCE($4, phone), \
         provider_user_id = COALESCE($5, provider_user_id) \
         WHERE site_id = $1 AND contact_id = $2",
        args![
            site_id,
            contact_id,
            &new_identity,
            &c.new_phone,
            &c.new_user_id
        ],
    )
    .await?;
    tx.execute(
        "UPDATE messages SET contact_id = $4 \
         WHERE site_id = $1 AND provider = $2 AND provider_message_id = $3",
        args![
            site_id,
            c.provider.as_str(),
            &c.provider_message_id,
            contact_id
        ],
    )
    .await?;
    Ok(IdentityOutcome::Applied)
}
