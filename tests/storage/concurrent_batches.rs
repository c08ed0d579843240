//! Ingest batches written side by side (several writer tasks; on PostgreSQL concurrent
//! transactions) that share sessions and clicks: each session and click is counted once,
//! whichever batch commits first.

use std::sync::Arc;

use chatrail_collector::db::Db;
use chatrail_collector::storage::{IngestEvent, SharedStore};
use chatrail_tests::app::{create_site, fresh_database, Backend, TRACKED_DIGITS};

use super::rollups::no_drift;
use super::{Browsing, T0};

const BATCHES: usize = 8;
const SESSIONS: usize = 12;

pub async fn batches_sharing_sessions_count_each_once(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let store: SharedStore = Arc::new(db.clone());
    let site = create_site(&store, "shop", &[TRACKED_DIGITS]).await;
    let browsing: Vec<Browsing> = (0..SESSIONS).map(|_| Browsing::new()).collect();
    // Each batch has a page view of every session; every one has the same click of each
    // (a beacon sent again), so all but one of those are redeliveries.
    let clicks: Vec<IngestEvent> = browsing
        .iter()
        .map(|b| b.click(&site, "https://shop.test/kids/", T0 + 500))
        .collect();
    let tasks: Vec<_> = (0..BATCHES)
        .map(|i| {
            let mut batch: Vec<IngestEvent> = browsing
                .iter()
                .map(|b| {
                    let url = format!("https://shop.test/kids/?page={i}");
                    b.visit(&site, &url, None, T0 + i as i64)
                })
                .collect();
            batch.extend(clicks.iter().cloned());
            let store = store.clone();
            tokio::spawn(async move { store.write_batch(&batch).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("batch written");
    }
    no_drift(&store, &site, "batches sharing sessions").await;
    let rows: Vec<(i64,)> = db
        .fetch_all("SELECT pageviews FROM sessions", Vec::new())
        .await
        .expect("sessions");
    assert_eq!(rows.len(), SESSIONS);
    assert!(rows.iter().all(|(n,)| *n == BATCHES as i64), "{rows:?}");
}
