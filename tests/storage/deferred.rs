//! Writes deferred with `Conn::defer`: they reach the database in order before the next
//! statement, are committed with the transaction, and one that fails fails the transaction
//! and stores nothing of it.

use chatrail_collector::args;
use chatrail_collector::db::Db;
use chatrail_tests::app::{fresh_database, Backend};

const PROBE: &str = "SELECT at FROM write_probe WHERE id = 1";

pub async fn deferred_writes_are_read_committed_or_fail_the_transaction(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let set = "UPDATE write_probe SET at = $1 WHERE id = 1";

    // Read back inside the transaction: the deferred writes went first, in order, each
    // with its own numbered parameter.
    let mut tx = db.begin().await.expect("begin");
    tx.defer(set, args![11i64]);
    tx.defer(
        "UPDATE write_probe SET at = at + $1 WHERE id = $2",
        args![5i64, 1i64],
    );
    let (at,): (i64,) = tx.fetch_one(PROBE, args![]).await.expect("read");
    assert_eq!(at, 16, "the deferred writes ran before the read, in order");
    tx.defer(set, args![42i64]);
    tx.commit().await.expect("commit");
    let (at,): (Option<i64>,) = db.fetch_optional(PROBE, args![]).await.unwrap().unwrap();
    assert_eq!(
        at,
        Some(42),
        "the write deferred last went out with the commit"
    );

    // A deferred write the database refuses fails the commit; the transaction's other
    // writes are rolled back with it.
    let mut tx = db.begin().await.expect("begin");
    tx.defer(set, args![7i64]);
    tx.defer(
        "INSERT INTO write_probe (id, at) VALUES ($1, $2)",
        args![1i64, 0i64],
    );
    assert!(
        tx.commit().await.is_err(),
        "a duplicate key fails the commit"
    );
    let (at,): (Option<i64>,) = db.fetch_optional(PROBE, args![]).await.unwrap().unwrap();
    assert_eq!(at, Some(42), "nothing of the failed transaction was kept");

    // The next writer is not held up by the failed one.
    let mut tx = db.begin().await.expect("begin after a failed commit");
    tx.defer(set, args![43i64]);
    tx.commit().await.expect("commit after a failed one");
    let (at,): (Option<i64>,) = db.fetch_optional(PROBE, args![]).await.unwrap().unwrap();
    assert_eq!(at, Some(43));
}

/// Deferred writes (on SQLite one script with its parameters renumbered) store every value as
/// it was given: quotes, backslashes, parameter marks and SQL in text, other scripts, empty
/// text and NULL, the extremes of integers, a double.
pub async fn deferred_writes_store_every_value_exactly(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("database");
    let site = uuid::Uuid::now_v7();
    let bodies = [
        Some("it's"),
        Some(r"back\slash \' \\' E'x' \x41"),
        Some("$1 ? ?1 $$ $q$ :name"),
        Some("'); DROP TABLE messages; --"),
        Some("Здравствуйте 👋 مرحبا"),
        Some("line\nbreak\ttab\r"),
        Some(""),
        None,
    ];
    let times = [i64::MIN, i64::MAX, 0, -1];
    let mut tx = db.begin().await.expect("begin");
    for (i, body) in bodies.iter().enumerate() {
        tx.defer(
            "INSERT INTO messages (site_id, provider, provider_message_id, message_type, body, \
             sent_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                site,
                "whatsapp",
                format!("m{i}"),
                "text",
                *body,
                times[i % times.len()],
                i as i64
            ],
        );
    }
    tx.defer(
        "UPDATE write_probe SET at = CAST($1 * 1000 AS BIGINT) WHERE id = 1",
        args![0.125f64],
    );
    tx.commit().await.expect("commit");
    let rows: Vec<(String, Option<String>, i64)> = db
        .fetch_all(
            "SELECT provider_message_id, body, sent_at FROM messages WHERE site_id = $1 \
             ORDER BY received_at",
            args![site],
        )
        .await
        .expect("read back");
    let expected: Vec<(String, Option<String>, i64)> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (
                format!("m{i}"),
                b.map(str::to_owned),
                times[i % times.len()],
            )
        })
        .collect();
    assert_eq!(rows, expected);
    let (at,): (Option<i64>,) = db.fetch_optional(PROBE, args![]).await.unwrap().unwrap();
    assert_eq!(at, Some(125), "the double reached the database as 0.125");
}
