//! kill -9 under load, on both databases: restarted on the same database, the collector has
//! stored everything it acknowledged before it died.

use std::time::Duration;

use chatrail_tests::app::{fresh_database, Backend};
use chatrail_tests::on_both_backends;

use super::{assert_nothing_lost, chatrail, Load};

/// Load before the kill.
const LOAD_BEFORE_KILL: Duration = Duration::from_millis(1500);

async fn kill_9_under_load_loses_nothing_acknowledged(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let log_dir = tempfile::tempdir().unwrap();
    let chatrail = chatrail(&database_url, log_dir.path());
    chatrail.create_site().await.unwrap();
    let mut server = chatrail.serve().await.unwrap();

    let load = Load::start(server.addr).await;
    tokio::time::sleep(LOAD_BEFORE_KILL).await;
    server.kill9().await.unwrap();
    let out = load.finish().await;
    let [v, c, m] = [0, 1, 2].map(|k| out.kinds[k].acked);
    // The load must have been real for the check to mean anything.
    assert!(
        v >= 50 && c >= 20 && m >= 10,
        "too little load before the kill:\n{}\n{}",
        out.describe(),
        server.log_tail()
    );

    let restarted = chatrail.serve().await.unwrap();
    let what = format!("kill -9 after {LOAD_BEFORE_KILL:?} of load on {backend:?}");
    let summary = assert_nothing_lost(&what, &out.acked, &database_url).await;
    drop(restarted);
    eprintln!("{backend:?}: nothing lost: {summary}");
}

on_both_backends!(kill_9_under_load_loses_nothing_acknowledged);
