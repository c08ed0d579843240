//! Chats racing for one visitor's session (on PostgreSQL in concurrent transactions): a
//! session is claimed by one dialog, and a chat carrying its code takes it from a guess,
//! whichever transaction commits first.

use std::collections::BTreeMap;

use chatrail_collector::db::Db;
use chatrail_collector::matching::DialogPolicy;
use chatrail_tests::app::Backend;
use uuid::Uuid;

use super::rollups::no_drift;
use super::{fixture, message, Browsing, T0};

/// Sessions raced for: each alone in its probable-match window.
const SESSIONS: i64 = 12;
const HOUR: i64 = 3_600_000;

/// In even rounds two chats without a code race for the only recent click, in odd rounds one
/// without a code and one with the clicking session's code. In any order of their commits,
/// the session ends with one dialog attributed to it: probable (the first guess) or exact.
pub async fn racing_chats_claim_a_session_once(backend: Backend) {
    let f = fixture(backend).await;
    let policy = DialogPolicy::default();
    let mut tasks = Vec::new();
    let mut coded_phones = BTreeMap::new();
    for i in 0..SESSIONS {
        let b = Browsing::new();
        let t = T0 + i * 3 * HOUR;
        f.store
            .write_batch(&[
                b.visit(&f.site, "https://shop.test/a", None, t - 60_000),
                b.click(&f.site, "https://shop.test/a", t),
            ])
            .await
            .unwrap();
        let second = if i % 2 == 0 {
            "Здравствуйте".to_owned()
        } else {
            format!("Здравствуйте (ref {})", b.code.as_str())
        };
        let phones = [format!("55118000{i:05}"), format!("55117000{i:05}")];
        if i % 2 == 1 {
            coded_phones.insert(b.session.clone(), phones[1].clone());
        }
        let chats = [
            message(&f.site, &format!("w.a{i}"), &phones[0], "Olá", t + 60_000),
            message(&f.site, &format!("w.b{i}"), &phones[1], &second, t + 61_000),
        ];
        for chat in chats {
            let (store, policy) = (f.store.clone(), policy.clone());
            tasks.push(tokio::spawn(async move {
                store.ingest_message(&chat, &policy).await.map(|_| ())
            }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let db = Db::connect(&f.url).await.unwrap();
    let rows: Vec<(Option<Uuid>, String, String)> = db
        .fetch_all(
            "SELECT d.session_id, d.match_kind, c.phone FROM dialogs d \
             JOIN contacts c ON c.site_id = d.site_id AND c.contact_id = d.contact_id",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2 * SESSIONS as usize, "{rows:?}");
    let mut claims: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (session, kind, phone) in rows {
        match session {
            Some(s) => claims
                .entry(chatrail_core::beacon::format_id(*s.as_bytes()))
                .or_default()
                .push((kind, phone)),
            None => assert_eq!(kind, "none"),
        }
    }
    assert_eq!(claims.len(), SESSIONS as usize, "{claims:?}");
    for (session, dialogs) in &claims {
        let [(kind, phone)] = dialogs.as_slice() else {
            panic!("session {session} claimed by {dialogs:?}");
        };
        match coded_phones.get(session) {
            Some(coded) => assert_eq!((kind.as_str(), phone), ("exact", coded)),
            None => assert_eq!(kind, "probable"),
        }
    }
    no_drift(&f.store, &f.site, "chats racing for a session").await;
}
