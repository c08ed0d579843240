//! Writes of contacts' identity changes (WhatsApp `system` messages).

/// Body of `Store::change_identity`: the system message is stored under its id (so a
/// redelivery changes nothing), then the contact known by the old identity takes the new one.
macro_rules! change_identity {
    ($pool:expr, $c:expr) => {{
        use $crate::storage::IdentityOutcome;
        let c: &$crate::domain::inbound::IdentityChange = $c;
        let site_id = c.site_id.0;
        let mut tx = $pool.begin().await?;
        let inserted = $crate::storage::sql::inbound::claim_message!(
            tx,
            site_id,
            c.provider,
            &c.provider_message_id,
            "system",
            &c.body,
            c.at_ms
        );
        if !inserted {
            tx.rollback().await?;
            return Ok(IdentityOutcome::Duplicate);
        }
        let old_identity = c.old.identity();
        let existing: Option<(uuid::Uuid, String)> =
            sqlx::query_as($crate::storage::sql::inbound::FIND_CONTACT!())
        .bind(site_id)
        .bind(&c.old.channel)
        .bind(&old_identity)
        .bind(&c.old.phone)
        .bind(&c.old.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((contact_id, identity)) = existing else {
            tx.commit().await?;
            return Ok(IdentityOutcome::UnknownContact);
        };
        // The key follows whatever it was made of: a phone-keyed contact takes the new
        // phone, a user-id-keyed one the new user id.
        let new_identity = match (identity.strip_prefix("user:"), &c.new_phone, &c.new_user_id) {
            (None, Some(phone), _) => phone.clone(),
            (Some(_), _, Some(user)) => format!("user:{user}"),
            _ => identity.clone(),
        };
        if new_identity != identity {
            let taken: Option<(uuid::Uuid,)> = sqlx::query_as(
                "SELECT contact_id FROM contacts WHERE site_id = $1 AND channel = $2 \
                 AND identity = $3",
            )
            .bind(site_id)
            .bind(&c.old.channel)
            .bind(&new_identity)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                tracing::warn!(%new_identity, "identity change left alone: new identity taken");
                tx.commit().await?;
                return Ok(IdentityOutcome::Conflict);
            }
        }
        sqlx::query(
            "UPDATE contacts SET identity = $3, phone = COALESCE($4, phone), \
             provider_user_id = COALESCE($5, provider_user_id) \
             WHERE site_id = $1 AND contact_id = $2",
        )
        .bind(site_id)
        .bind(contact_id)
        .bind(&new_identity)
        .bind(&c.new_phone)
        .bind(&c.new_user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE messages SET contact_id = $4 \
             WHERE site_id = $1 AND provider = $2 AND provider_message_id = $3",
        )
        .bind(site_id)
        .bind(c.provider)
        .bind(&c.provider_message_id)
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(IdentityOutcome::Applied)
    }};
}
pub(crate) use change_identity;
