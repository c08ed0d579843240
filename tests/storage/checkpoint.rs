//! SQLite's WAL reaches the database file in the background, not on a writer's commit.

use std::time::{Duration, Instant};

use chatrail_collector::args;
use chatrail_collector::db::Db;
use chatrail_tests::app::{fresh_database, Backend};

/// Rows written in one transaction, far fewer WAL pages than the writer's own checkpoint
/// waits for, are copied into the database file within a second all the same: the file
/// grows while the database stays open (closing it would checkpoint too).
#[tokio::test]
async fn the_wal_is_copied_into_the_database_in_the_background() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let file = dir
        .as_ref()
        .expect("a SQLite file")
        .path()
        .join("chatrail.db");
    let db = Db::connect(&url).await.expect("database");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = std::fs::metadata(&file).unwrap().len();
    let site = uuid::Uuid::now_v7();
    let body = "ж".repeat(2_000);
    let mut tx = db.begin().await.expect("begin");
    for i in 0..300i64 {
        tx.defer(
            "INSERT INTO messages (site_id, provider, provider_message_id, message_type, body, \
             sent_at, received_at) VALUES ($1, 'whatsapp', $2, 'text', $3, $4, $4)",
            args![site, format!("m{i}"), &body, i],
        );
    }
    tx.commit().await.expect("commit");
    let wal = file.with_extension("db-wal");
    let written = std::fs::metadata(&wal).unwrap().len();
    assert!(
        written > 1_000_000,
        "the rows went to the WAL: {written} bytes"
    );
    let start = Instant::now();
    let mut size = before;
    while size < before + 1_000_000 && start.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        size = std::fs::metadata(&file).unwrap().len();
    }
    assert!(
        size >= before + 1_000_000,
        "the database file grew from {before} to {size} bytes in {:?}",
        start.elapsed()
    );
    let count = "SELECT COUNT(*) FROM messages WHERE site_id = $1";
    let n: Option<(i64,)> = db.fetch_optional(count, args![site]).await.unwrap();
    assert_eq!(n, Some((300,)));
}
