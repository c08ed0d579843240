//! Writes of inbound messages, matched to sessions and dialogs (statuses and identity
//! changes are in their own modules). Each message is one transaction that starts by
//! inserting its row under its provider id, so that unique key serialises concurrent
//! redeliveries of the same message before anything else is touched.

/// `(contact_id, identity)` of the contact of site `$1` and channel `$2` with identity `$3`,
/// else phone `$4`, else provider user id `$5`. One indexed lookup per branch: the same
/// condition written with `OR` made SQLite scan every contact of the site.
macro_rules! FIND_CONTACT {
    () => {
        "SELECT contact_id, identity FROM ( \
         SELECT contact_id, identity, 0 AS rank FROM contacts \
         WHERE site_id = $1 AND channel = $2 AND identity = $3 \
         UNION ALL SELECT contact_id, identity, 1 AS rank FROM contacts \
         WHERE site_id = $1 AND channel = $2 AND phone = $4 \
         UNION ALL SELECT contact_id, identity, 2 AS rank FROM contacts \
         WHERE site_id = $1 AND channel = $2 AND provider_user_id = $5 \
         ) AS found ORDER BY rank LIMIT 1"
    };
}
pub(crate) use FIND_CONTACT;

/// Finds the contact a message comes from — by identity, phone or provider user id, so a
/// contact first seen with only a business-scoped user id is found again once its phone is
/// known — updating it, or creates it. Evaluates to its id.
macro_rules! resolve_contact {
    ($tx:ident, $site_id:expr, $c:expr, $at_ms:expr) => {{
        let c: &$crate::domain::inbound::ContactIdentity = $c;
        let identity = c.identity();
        let existing: Option<(uuid::Uuid, String)> =
            sqlx::query_as($crate::storage::sql::inbound::FIND_CONTACT!())
        .bind($site_id)
        .bind(&c.channel)
        .bind(&identity)
        .bind(&c.phone)
        .bind(&c.user_id)
        .fetch_optional(&mut *$tx)
        .await?;
        match existing {
            Some((contact_id, _)) => {
                sqlx::query(
                    "UPDATE contacts SET name = COALESCE($3, name), phone = COALESCE($4, phone), \
                     provider_user_id = COALESCE($5, provider_user_id), \
                     username = COALESCE($6, username), last_seen_at = CASE \
                     WHEN $7 > last_seen_at THEN $7 ELSE last_seen_at END \
                     WHERE site_id = $1 AND contact_id = $2",
                )
                .bind($site_id)
                .bind(contact_id)
                .bind(&c.name)
                .bind(&c.phone)
                .bind(&c.user_id)
                .bind(&c.username)
                .bind($at_ms)
                .execute(&mut *$tx)
                .await?;
                contact_id
            }
            None => {
                // Two first messages of a new contact may race here: the unique identity
                // makes the second one update the first one's row.
                let (contact_id,): (uuid::Uuid,) = sqlx::query_as(
                    "INSERT INTO contacts (site_id, contact_id, channel, identity, phone, \
                     provider_user_id, name, username, first_seen_at, last_seen_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                     ON CONFLICT (site_id, channel, identity) DO UPDATE SET \
                     name = COALESCE(excluded.name, contacts.name), \
                     phone = COALESCE(excluded.phone, contacts.phone), \
                     provider_user_id = COALESCE(excluded.provider_user_id, contacts.provider_user_id), \
                     username = COALESCE(excluded.username, contacts.username), \
                     last_seen_at = CASE WHEN excluded.last_seen_at > contacts.last_seen_at \
                     THEN excluded.last_seen_at ELSE contacts.last_seen_at END \
                     RETURNING contact_id",
                )
                .bind($site_id)
                .bind(uuid::Uuid::now_v7())
                .bind(&c.channel)
                .bind(&identity)
                .bind(&c.phone)
                .bind(&c.user_id)
                .bind(&c.name)
                .bind(&c.username)
                .bind($at_ms)
                .fetch_one(&mut *$tx)
                .await?;
                contact_id
            }
        }
    }};
}
pub(crate) use resolve_contact;

/// Columns of a [`ContactDialog`](crate::matching::ContactDialog) for contact `$2` of site `$1`.
macro_rules! SELECT_CONTACT_DIALOG {
    () => {
        "SELECT d.dialog_id, d.session_id, d.started_at, d.last_message_at, d.match_kind, \
         COALESCE(r.source_id, r.source_url, r.ctwa_clid) AS ad_key, d.referral_id \
         FROM dialogs d \
         LEFT JOIN referrals r ON r.site_id = d.site_id AND r.referral_id = d.referral_id \
         WHERE d.site_id = $1 AND d.contact_id = $2"
    };
}
pub(crate) use SELECT_CONTACT_DIALOG;

/// How a starting dialog is attributed: exact (code), referral (ad) or probable (the only
/// recent unmatched click on the number), else none. Evaluates to
/// `(match_kind, code, confidence, session_id, click_id)`.
macro_rules! attribute_start {
    ($tx:ident, $db:ty, $site_id:expr, $m:expr, $contact_id:expr, $matched:expr, $policy:expr, $delta:ident) => {{
        let m: &$crate::domain::inbound::InboundMessage = $m;
        let matched: Option<(uuid::Uuid, chatrail_core::code::SessionCode)> = $matched;
        // On PostgreSQL this row lock serialises dialog starts on one number, so two chats
        // cannot both see the same click as the only candidate, and an exact match cannot
        // miss a probable claim committed a moment earlier. SQLite already holds the
        // database's write lock here.
        sqlx::query(
            "UPDATE tracked_numbers SET last_dialog_at = $3 WHERE site_id = $1 AND number = $2",
        )
        .bind($site_id)
        .bind(&m.business_number)
        .bind(m.sent_at_ms)
        .execute(&mut *$tx)
        .await?;
        if let Some((session_id, code)) = matched {
            let click: Option<(uuid::Uuid,)> = sqlx::query_as(
                "SELECT click_id FROM clicks WHERE site_id = $1 AND session_id = $2 \
                 AND number = $3 ORDER BY clicked_at DESC LIMIT 1",
            )
            .bind($site_id)
            .bind(session_id)
            .bind(&m.business_number)
            .fetch_optional(&mut *$tx)
            .await?;
            // The code proves whose session it is: another contact's probable claim on it
            // was wrong, so that dialog goes back to unattributed.
            let wrong: Vec<(uuid::Uuid,)> = sqlx::query_as(
                "SELECT dialog_id FROM dialogs WHERE site_id = $1 AND session_id = $2 \
                 AND match_kind = 'probable' AND contact_id <> $3",
            )
            .bind($site_id)
            .bind(session_id)
            .bind($contact_id)
            .fetch_all(&mut *$tx)
            .await?;
            let wrong: Vec<uuid::Uuid> = wrong.into_iter().map(|(d,)| d).collect();
            $crate::storage::sql::rollups::collect_rollups!(
                $tx,
                $site_id,
                $crate::storage::Fact::Dialogs,
                wrong,
                -1,
                $delta
            );
            for dialog_id in &wrong {
                sqlx::query(
                    "UPDATE dialogs SET match_kind = 'none', confidence = NULL, \
                     session_id = NULL, click_id = NULL WHERE site_id = $1 AND dialog_id = $2 \
                     AND match_kind = 'probable'",
                )
                .bind($site_id)
                .bind(dialog_id)
                .execute(&mut *$tx)
                .await?;
            }
            $crate::storage::sql::rollups::collect_rollups!(
                $tx,
                $site_id,
                $crate::storage::Fact::Dialogs,
                wrong,
                1,
                $delta
            );
            (
                "exact",
                Some(code.as_str().to_owned()),
                Some(1.0_f64),
                Some(session_id),
                click.map(|(c,)| c),
            )
        } else if m.referral.is_some() {
            ("referral", None, Some(1.0_f64), None, None)
        } else if $policy.probable_window_ms > 0 {
            use $crate::matching::probable;
            let (from, to) = probable::click_range(m.sent_at_ms, $policy.probable_window_ms);
            // Sessions that clicked the number in the window and that no dialog has claimed;
            // two rows are enough to know the case is ambiguous.
            let candidates: Vec<probable::Candidate> = sqlx::query_as(
                "SELECT c.session_id, MAX(c.clicked_at) AS clicked_at FROM clicks c \
                 WHERE c.site_id = $1 AND c.number = $2 AND c.clicked_at >= $3 \
                 AND c.clicked_at <= $4 AND NOT EXISTS (SELECT 1 FROM dialogs d \
                 WHERE d.site_id = c.site_id AND d.session_id = c.session_id) \
                 GROUP BY c.session_id LIMIT 2",
            )
            .bind($site_id)
            .bind(&m.business_number)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *$tx)
            .await?;
            match probable::decide(&candidates, m.sent_at_ms, $policy.probable_window_ms) {
                Some(p) => {
                    // The session may be arriving only now (its clicks came first): wait for
                    // it, so the dialog copies its attribution (SessionLocks).
                    $crate::storage::sql::rollups::lock_sessions!($tx, $db, [p.session_id]);
                    let click: Option<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT click_id FROM clicks WHERE site_id = $1 AND session_id = $2 \
                         AND number = $3 AND clicked_at = $4 LIMIT 1",
                    )
                    .bind($site_id)
                    .bind(p.session_id)
                    .bind(&m.business_number)
                    .bind(p.clicked_at)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    (
                        "probable",
                        None,
                        Some(p.confidence),
                        Some(p.session_id),
                        click.map(|(c,)| c),
                    )
                }
                None => ("none", None, None, None, None),
            }
        } else {
            ("none", None, None, None, None)
        }
    }};
}
pub(crate) use attribute_start;

/// Stores a message row under its provider id inside transaction `$tx`, and says whether it
/// is new. The row's unique key is what serialises simultaneous redeliveries of one message,
/// so every inbound write claims its message this way before touching anything else.
macro_rules! claim_message {
    ($tx:ident, $site_id:expr, $provider:expr, $id:expr, $kind:expr, $body:expr, $sent_at:expr) => {
        sqlx::query(
            "INSERT INTO messages (site_id, provider, provider_message_id, message_type, body, \
             sent_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (site_id, provider, provider_message_id) DO NOTHING",
        )
        .bind($site_id)
        .bind($provider)
        .bind($id)
        .bind($kind)
        .bind($body)
        .bind($sent_at)
        .bind($crate::domain::now_ms())
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            > 0
    };
}
pub(crate) use claim_message;

/// Body of `Store::ingest_message`.
macro_rules! ingest_message {
    ($pool:expr, $db:ty, $m:expr, $policy:expr) => {{
        use $crate::matching::{ad_key, decide, ContactDialog, DialogDecision, Evidence};
        use $crate::storage::sql::rollups::collect_rollups;
        use $crate::storage::Fact;
        let m: &$crate::domain::inbound::InboundMessage = $m;
        let policy: &$crate::matching::DialogPolicy = $policy;
        let site_id = m.site_id.0;
        let mut tx = $pool.begin().await?;
        let inserted = $crate::storage::sql::inbound::claim_message!(
            tx,
            site_id,
            m.provider,
            &m.provider_message_id,
            m.message_type.as_str(),
            &m.text,
            m.sent_at_ms
        );
        if !inserted {
            tx.rollback().await?;
            return Ok($crate::storage::IngestOutcome::Duplicate);
        }
        // Dialogs changed below are counted out of the rollups before and back in after.
        let mut delta = $crate::storage::rollups::RollupDelta::default();
        // The referral is kept per message whatever happens to the dialog: middleware that
        // dropped it is the most reported way CTWA attribution gets lost.
        let referral_id = match &m.referral {
            Some(r) => {
                let referral_id = uuid::Uuid::now_v7();
                sqlx::query(
                    "INSERT INTO referrals (site_id, referral_id, provider, provider_message_id, \
                     source_id, source_url, source_type, headline, body, media_type, media_id, \
                     image_url, video_url, thumbnail_url, ctwa_clid, welcome_message, \
                     received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                     $13, $14, $15, $16, $17)",
                )
                .bind(site_id)
                .bind(referral_id)
                .bind(m.provider)
                .bind(&m.provider_message_id)
                .bind(&r.source_id)
                .bind(&r.source_url)
                .bind(&r.source_type)
                .bind(&r.headline)
                .bind(&r.body)
                .bind(&r.media_type)
                .bind(&r.media_id)
                .bind(&r.image_url)
                .bind(&r.video_url)
                .bind(&r.thumbnail_url)
                .bind(&r.ctwa_clid)
                .bind(&r.welcome_message)
                .bind($crate::domain::now_ms())
                .execute(&mut *tx)
                .await?;
                Some(referral_id)
            }
            None => None,
        };
        let contact_id = $crate::storage::sql::inbound::resolve_contact!(
            tx,
            site_id,
            &m.contact,
            m.sent_at_ms
        );
        // A message may carry several codes: a tagged link copied into a page, or baked
        // into a prerendered one, gets the visitor's code beside the one it had. The newest
        // of their live sessions is the visitor's.
        let mut matched: Option<(uuid::Uuid, chatrail_core::code::SessionCode)> = None;
        let mut newest = i64::MIN;
        for code in m.codes() {
            let session: Option<(uuid::Uuid, i64)> = sqlx::query_as(
                "SELECT session_id, started_at FROM sessions WHERE site_id = $1 AND code = $2 \
                 AND started_at >= $3 ORDER BY started_at DESC LIMIT 1",
            )
            .bind(site_id)
            .bind(code.as_str())
            .bind(m.sent_at_ms - policy.code_lookback_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((session_id, started_at)) = session.filter(|s| s.1 > newest) {
                newest = started_at;
                matched = Some((session_id, code));
            }
        }
        // The contact's dialogs around the send time: the one in effect then, and the next.
        let before: Option<ContactDialog> = sqlx::query_as(concat!(
            $crate::storage::sql::inbound::SELECT_CONTACT_DIALOG!(),
            " AND d.started_at <= $3 ORDER BY d.started_at DESC LIMIT 1"
        ))
        .bind(site_id)
        .bind(contact_id)
        .bind(m.sent_at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let after: Option<ContactDialog> = sqlx::query_as(concat!(
            $crate::storage::sql::inbound::SELECT_CONTACT_DIALOG!(),
            " AND d.started_at > $3 ORDER BY d.started_at ASC LIMIT 1"
        ))
        .bind(site_id)
        .bind(contact_id)
        .bind(m.sent_at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let evidence = Evidence {
            session: matched.map(|(s, _)| s),
            ad: m.referral.as_ref().and_then(ad_key),
        };
        let decision = decide(before.as_ref(), after.as_ref(), evidence, m.sent_at_ms, policy);
        let (dialog_id, started_dialog) = match decision {
            DialogDecision::Continue(dialog_id) => {
                sqlx::query(
                    "UPDATE dialogs SET last_message_at = CASE WHEN $3 > last_message_at \
                     THEN $3 ELSE last_message_at END WHERE site_id = $1 AND dialog_id = $2",
                )
                .bind(site_id)
                .bind(dialog_id)
                .bind(m.sent_at_ms)
                .execute(&mut *tx)
                .await?;
                // The contact's own code confirms a probable match: it becomes exact.
                if let (Some(d), Some((session_id, code))) = (&before, matched) {
                    if d.match_kind == "probable" && d.session_id == Some(session_id) {
                        collect_rollups!(tx, site_id, Fact::Dialogs, [dialog_id], -1, delta);
                        sqlx::query(
                            "UPDATE dialogs SET match_kind = 'exact', code = $3, \
                             confidence = 1.0 WHERE site_id = $1 AND dialog_id = $2",
                        )
                        .bind(site_id)
                        .bind(dialog_id)
                        .bind(code.as_str())
                        .execute(&mut *tx)
                        .await?;
                        collect_rollups!(tx, site_id, Fact::Dialogs, [dialog_id], 1, delta);
                    }
                }
                (dialog_id, false)
            }
            DialogDecision::Prepend(dialog_id) => {
                collect_rollups!(tx, site_id, Fact::Dialogs, [dialog_id], -1, delta);
                sqlx::query(
                    "UPDATE dialogs SET started_at = $3, first_message = $4 \
                     WHERE site_id = $1 AND dialog_id = $2",
                )
                .bind(site_id)
                .bind(dialog_id)
                .bind(m.sent_at_ms)
                .bind(&m.text)
                .execute(&mut *tx)
                .await?;
                // The late first message may carry what the dialog lacked: its code or ad.
                let d = after.as_ref().filter(|d| d.is_unattributed());
                let upgrade = match (d, matched.is_some() || m.referral.is_some()) {
                    (Some(_), true) => Some(
                        $crate::storage::sql::inbound::attribute_start!(
                            tx, $db, site_id, m, contact_id, matched, policy, delta
                        ),
                    ),
                    _ => None,
                };
                if let Some((match_kind, code, confidence, session_id, click_id)) = upgrade {
                    sqlx::query(
                        "UPDATE dialogs SET match_kind = $3, code = $4, confidence = $5, \
                         session_id = $6, click_id = $7 WHERE site_id = $1 AND dialog_id = $2",
                    )
                    .bind(site_id)
                    .bind(dialog_id)
                    .bind(match_kind)
                    .bind(code)
                    .bind(confidence)
                    .bind(session_id)
                    .bind(click_id)
                    .execute(&mut *tx)
                    .await?;
                }
                if after.as_ref().is_some_and(|d| d.referral_id.is_none()) && referral_id.is_some()
                {
                    sqlx::query(
                        "UPDATE dialogs SET referral_id = $3 WHERE site_id = $1 AND dialog_id = $2",
                    )
                    .bind(site_id)
                    .bind(dialog_id)
                    .bind(referral_id)
                    .execute(&mut *tx)
                    .await?;
                }
                collect_rollups!(tx, site_id, Fact::Dialogs, [dialog_id], 1, delta);
                (dialog_id, false)
            }
            DialogDecision::Start => {
                let (match_kind, code, confidence, session_id, click_id) =
                    $crate::storage::sql::inbound::attribute_start!(
                        tx, $db, site_id, m, contact_id, matched, policy, delta
                    );
                let dialog_id = uuid::Uuid::now_v7();
                let kind = if before.is_some() { "repeat" } else { "new" };
                if after.is_some() {
                    // A late message started the contact's first dialog: the ones after it
                    // are repeats.
                    let later: Vec<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT dialog_id FROM dialogs WHERE site_id = $1 \
                         AND contact_id = $2 AND started_at > $3 AND kind = 'new'",
                    )
                    .bind(site_id)
                    .bind(contact_id)
                    .bind(m.sent_at_ms)
                    .fetch_all(&mut *tx)
                    .await?;
                    let later: Vec<uuid::Uuid> = later.into_iter().map(|(d,)| d).collect();
                    collect_rollups!(tx, site_id, Fact::Dialogs, later, -1, delta);
                    for later_id in &later {
                        sqlx::query(
                            "UPDATE dialogs SET kind = 'repeat' \
                             WHERE site_id = $1 AND dialog_id = $2 AND kind = 'new'",
                        )
                        .bind(site_id)
                        .bind(later_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    collect_rollups!(tx, site_id, Fact::Dialogs, later, 1, delta);
                }
                sqlx::query(
                    "INSERT INTO dialogs (site_id, dialog_id, contact_id, kind, started_at, \
                     last_message_at, business_number, first_message, match_kind, code, \
                     confidence, session_id, click_id, referral_id) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(site_id)
                .bind(dialog_id)
                .bind(contact_id)
                .bind(kind)
                .bind(m.sent_at_ms)
                .bind(&m.business_number)
                .bind(&m.text)
                .bind(match_kind)
                .bind(code)
                .bind(confidence)
                .bind(session_id)
                .bind(click_id)
                .bind(referral_id)
                .execute(&mut *tx)
                .await?;
                collect_rollups!(tx, site_id, Fact::Dialogs, [dialog_id], 1, delta);
                (dialog_id, true)
            }
        };
        sqlx::query(
            "UPDATE messages SET dialog_id = $4, contact_id = $5 \
             WHERE site_id = $1 AND provider = $2 AND provider_message_id = $3",
        )
        .bind(site_id)
        .bind(m.provider)
        .bind(&m.provider_message_id)
        .bind(dialog_id)
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
        $crate::storage::sql::rollups::apply_rollups!(tx, $db, delta);
        tx.commit().await?;
        Ok($crate::storage::IngestOutcome::Stored {
            dialog_id,
            started_dialog,
        })
    }};
}
pub(crate) use ingest_message;
