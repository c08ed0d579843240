//! Inbound messages stored in one transaction (the inbound queue's batches) end as they do
//! stored one by one, and on PostgreSQL a batch that finds a lock held elsewhere only tries
//! it and says so, instead of waiting while it holds others.

use chatrail_collector::args;
use chatrail_collector::db::Db;
use chatrail_collector::domain::inbound::InboundMessage;
use chatrail_collector::domain::site::Site;
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::storage::{IngestOutcome, SharedStore};
use chatrail_tests::app::{create_site, fresh_database, Backend, TRACKED_DIGITS};
use std::sync::Arc;
use uuid::Uuid;

use super::rollups::no_drift;
use super::{message, Browsing, T0};

/// The dialogs of the site, contact by contact: phone, match kind, code, start, messages.
type Dialogs = Vec<(Option<String>, String, Option<String>, i64, i64)>;

async fn dialogs(db: &Db) -> Dialogs {
    db.fetch_all(
        "SELECT c.phone, d.match_kind, d.code, d.started_at, \
         (SELECT COUNT(*) FROM messages m WHERE m.site_id = d.site_id \
          AND m.dialog_id = d.dialog_id) AS n \
         FROM dialogs d JOIN contacts c ON c.site_id = d.site_id AND c.contact_id = d.contact_id \
         ORDER BY c.phone, d.started_at",
        args![],
    )
    .await
    .unwrap()
}

/// What a fresh database stores of the same traffic and messages (after `earlier`, stored
/// one by one either way); the outcomes of the messages.
async fn store_all(
    backend: Backend,
    browsings: &[Browsing],
    batch: bool,
    earlier: impl Fn(&Site) -> Vec<InboundMessage>,
    messages: impl Fn(&Site) -> Vec<InboundMessage>,
) -> (Vec<IngestOutcome>, Dialogs) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let store: SharedStore = Arc::new(db.clone());
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    for (i, b) in browsings.iter().enumerate() {
        let at = T0 + i as i64 * 1_000;
        let landing = "https://shop.test/%D0%BA%D0%B8%D0%B5%D0%B2?utm_source=yandex&yclid=77";
        store
            .write_batch(&[
                b.visit(&site, landing, Some("https://yandex.ru/"), at),
                b.click(&site, "https://shop.test/prices", at + 500),
            ])
            .await
            .unwrap();
    }
    let policy = DialogPolicy::default();
    for m in earlier(&site) {
        store.ingest_message(&m, &policy).await.unwrap();
    }
    let all = messages(&site);
    let outcomes = if batch {
        let all: Vec<&InboundMessage> = all.iter().collect();
        store.ingest_messages(&all, &policy).await.unwrap()
    } else {
        let mut out = Vec::new();
        for m in &all {
            out.push(store.ingest_message(m, &policy).await.unwrap());
        }
        out
    };
    no_drift(&store, &site, "the messages").await;
    (outcomes, dialogs(&db).await)
}

pub async fn a_batch_of_messages_ends_as_one_by_one(backend: Backend) {
    let browsings: Vec<Browsing> = (0..3).map(|_| Browsing::new()).collect();
    let codes: Vec<String> = browsings.iter().map(|b| b.code.to_string()).collect();
    let messages = |site: &Site| {
        let at = T0 + 60_000;
        let first = message(
            site,
            "w.1",
            "5511900000001",
            &format!("Hi (ref {})", codes[0]),
            at,
        );
        vec![
            first.clone(),
            message(site, "w.2", "5511900000001", "second", at + 1_000),
            message(
                site,
                "w.3",
                "5511900000002",
                &format!("Oi (ref {})", codes[1]),
                at + 2_000,
            ),
            // A redelivery in the same batch.
            first,
            // Without a code: a probable match on the clicks, if any qualifies.
            message(site, "w.4", "5511900000003", "price?", at + 3_000),
            // Late: the first message of contact 1's dialog, sent before the others.
            message(site, "w.5", "5511900000001", "earlier", at - 5_000),
            // Contact 3's code after all: its dialog becomes exact.
            message(
                site,
                "w.6",
                "5511900000003",
                &format!("(ref {})", codes[2]),
                at + 4_000,
            ),
            // NUL-free Cyrillic text, as real chats send.
            message(
                site,
                "w.7",
                "5511900000002",
                "Привет, сколько стоит?",
                at + 5_000,
            ),
        ]
    };
    let none = |_: &Site| Vec::new();
    let (one_by_one, expected) = store_all(backend, &browsings, false, none, messages).await;
    let (batched, got) = store_all(backend, &browsings, true, none, messages).await;
    assert_eq!(kinds(&batched), kinds(&one_by_one));
    assert_eq!(kinds(&batched)[3], None, "the redelivery is a duplicate");
    assert_eq!(got, expected);
    assert!(
        got.iter().filter(|d| d.1 == "exact").count() >= 2,
        "the codes matched: {got:?}"
    );
}

/// Whether each message started a dialog; `None` for a duplicate.
fn kinds(outcomes: &[IngestOutcome]) -> Vec<Option<bool>> {
    outcomes
        .iter()
        .map(|o| match o {
            IngestOutcome::Duplicate => None,
            IngestOutcome::Stored { started_dialog, .. } => Some(*started_dialog),
        })
        .collect()
}

/// Messages of one batch see what the earlier ones changed, as they would stored one by one
/// (a batch that read its messages' contacts and dialogs ahead, tried on SQLite, had to read
/// these again). Here: a code that takes a session back from another contact's probable
/// dialog, whose contact then sends the same code; and one contact writing by phone and then
/// by its user id alone. Stored before the batch: the probable dialog (a minute old), and
/// the second contact's first dialog, two days old (a new one starts).
pub async fn a_batch_sees_what_its_earlier_messages_changed(backend: Backend) {
    let browsings = vec![Browsing::new()];
    let code = browsings[0].code.to_string();
    let (bea, cid, dan) = ("5511900000002", "5511900000003", "5511900000004");
    let by_user = |mut m: InboundMessage| {
        m.contact.phone = None;
        m.contact.user_id = Some("BR.dan".into());
        m
    };
    let earlier = |site: &Site| {
        let mut d = message(site, "e.2", dan, "first time", T0 + 70_000);
        d.contact.user_id = Some("BR.dan".into());
        vec![message(site, "e.1", cid, "price?", T0 + 60_000), d]
    };
    let t2 = T0 + 2 * 24 * 3600 * 1000;
    let messages = |site: &Site| {
        vec![
            message(site, "b.1", bea, &format!("Hi (ref {code})"), T0 + 120_000),
            message(
                site,
                "b.2",
                cid,
                &format!("me too (ref {code})"),
                T0 + 130_000,
            ),
            message(site, "b.3", dan, "hi again", t2 + 2_000),
            by_user(message(site, "b.4", dan, "and again", t2 + 3_000)),
            // A redelivery of a message stored before the batch.
            message(site, "e.1", cid, "price?", T0 + 60_000),
        ]
    };
    let (one_by_one, expected) = store_all(backend, &browsings, false, earlier, messages).await;
    let (batched, got) = store_all(backend, &browsings, true, earlier, messages).await;
    assert_eq!(kinds(&batched), kinds(&one_by_one));
    assert_eq!(kinds(&batched)[4], None, "the redelivery is a duplicate");
    assert_eq!(
        kinds(&batched)[3],
        Some(false),
        "dan's second message continues"
    );
    assert_eq!(got, expected);
    let probable = got.iter().filter(|d| d.1 == "probable").count();
    assert_eq!(probable, 0, "bea's code took the session back: {got:?}");
}

/// PostgreSQL: under `try_locks` a lock another transaction holds fails the statement and
/// marks the transaction contended; locks it holds itself, and free ones, are taken.
pub async fn a_tried_lock_held_elsewhere_is_reported_not_waited_for(backend: Backend) {
    if backend != Backend::Postgres {
        return;
    }
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let (held, own, free) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut other = db.begin().await.unwrap();
    other.lock_sessions([held]).await.unwrap();

    let mut tx = db.begin().await.unwrap();
    tx.lock_sessions([own]).await.unwrap();
    tx.try_locks();
    tx.lock_sessions([own, free])
        .await
        .expect("its own and a free lock");
    assert!(!tx.contended());
    let started = std::time::Instant::now();
    assert!(tx.lock_sessions([held]).await.is_err(), "a held lock fails");
    assert!(tx.contended());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "not waited for"
    );
    drop(tx);
    other.commit().await.unwrap();
    // Released with the other transaction: now it is free.
    let mut tx = db.begin().await.unwrap();
    tx.try_locks();
    tx.lock_sessions([held]).await.expect("released");
    assert!(!tx.contended());
}

/// A batch whose second message claims a session another transaction holds (PostgreSQL) is
/// rolled back whole; the first message is stored alone at once, the rest once the lock is
/// free, each exactly once. On SQLite, one writer at a time, the batch waits for the other
/// transaction whole.
pub async fn a_batch_meeting_a_held_lock_stores_every_message_once(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let store: SharedStore = Arc::new(db.clone());
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    let b = Browsing::new();
    store
        .write_batch(&[
            b.visit(&site, "https://shop.test/", None, T0),
            b.click(&site, "https://shop.test/", T0 + 500),
        ])
        .await
        .unwrap();
    let session = Uuid::parse_str(&b.session).unwrap();
    let coded = format!("Olá (ref {})", b.code.as_str());
    let messages = [
        message(&site, "w.1", "5511900000001", "Olá", T0 + 60_000),
        message(&site, "w.2", "5511900000002", &coded, T0 + 61_000),
        message(&site, "w.3", "5511900000001", "Tem desconto?", T0 + 62_000),
    ];
    let mut other = db.begin().await.unwrap();
    other.lock_sessions([session]).await.unwrap();
    let batch = {
        let (store, messages) = (store.clone(), messages.clone());
        // No probable matches: only the code claims the session.
        let policy = DialogPolicy {
            probable_window_ms: 0,
            ..DialogPolicy::default()
        };
        tokio::spawn(async move {
            let all: Vec<&InboundMessage> = messages.iter().collect();
            store.ingest_messages(&all, &policy).await
        })
    };
    let stored = || async {
        let rows: Vec<(i64,)> = db
            .fetch_all("SELECT COUNT(*) FROM messages", args![])
            .await
            .unwrap();
        rows[0].0
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let while_held = if backend == Backend::Postgres { 1 } else { 0 };
    assert_eq!(stored().await, while_held, "stored while the lock is held");
    other.commit().await.unwrap();
    let outcomes = batch.await.unwrap().unwrap();
    let started: Vec<bool> = outcomes
        .iter()
        .map(|o| {
            matches!(
                o,
                IngestOutcome::Stored {
                    started_dialog: true,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(started, [true, true, false]);
    assert_eq!(stored().await, 3);
    let found = dialogs(&db).await;
    let kinds: Vec<(&str, i64)> = found.iter().map(|d| (d.1.as_str(), d.4)).collect();
    assert_eq!(kinds, [("none", 2), ("exact", 1)], "{found:?}");
    no_drift(&store, &site, "a batch meeting a held lock").await;
}
