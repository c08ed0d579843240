//! `chatrail backup` under load and `chatrail restore` (SQLite; PostgreSQL is refused with
//! the pg_dump command): the restored copy holds every row acknowledged before the backup
//! began, is consistent (its report rollups equal its fact tables), and a restore never
//! replaces a database a running collector holds.

use std::path::Path;
use std::time::{Duration, Instant};

use chatrail_tests::app::{fresh_database, Backend};
use chatrail_tests::process::{command, SITE};

use super::{assert_nothing_lost, chatrail, Load};

/// Load before the backup begins, and while it runs.
const LOAD_BEFORE: Duration = Duration::from_millis(1500);

/// Runs `chatrail ARGS`; its success and what it printed.
async fn run(bin: &Path, log: &Path, args: &[&str]) -> (bool, String) {
    let out = command(bin, log)
        .unwrap()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .await
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_every_acknowledged_row() {
    let (database_url, _dir) = fresh_database(Backend::Sqlite).await;
    let work = tempfile::tempdir().unwrap();
    let chatrail = chatrail(&database_url, work.path());
    let bin = chatrail.bin.clone();
    let log = chatrail.log.clone();
    chatrail.create_site().await.unwrap();
    let server = chatrail.serve().await.unwrap();

    // The first load is over (every answer read) before the backup begins: all it
    // acknowledged must be in the backup. The second runs during the backup, which starts
    // at once: the first load's last commits are then still in the -wal file, which a
    // plain copy of the database file misses (it failed this test).
    let before = Load::start(server.addr).await;
    tokio::time::sleep(LOAD_BEFORE).await;
    let acked = before.finish().await;
    let during = Load::start(server.addr).await;
    let backup = work.path().join("chatrail.backup");
    let backup_s = backup.to_str().unwrap();
    let started = Instant::now();
    let (ok, said) = run(
        &bin,
        &log,
        &["backup", "--database-url", &database_url, backup_s],
    )
    .await;
    let took = started.elapsed();
    let during_backup = during.acked();
    let during = during.finish().await;
    assert!(ok, "backup failed: {said}\n{}", server.log_tail());
    let [v, c, m] = [0, 1, 2].map(|k| acked.kinds[k].acked);
    assert!(
        v >= 50 && c >= 20 && m >= 10 && during_backup > 0,
        "too little load:\n{}\nduring: {during_backup}\n{}",
        acked.describe(),
        during.describe()
    );
    // A backup refuses to overwrite a file, even its own.
    let (again, said_again) = run(
        &bin,
        &log,
        &["backup", "--database-url", &database_url, backup_s],
    )
    .await;
    assert!(!again && said_again.contains("exists"), "{said_again}");

    // The live database is held: restoring over it is refused, with --force too.
    for force in [false, true] {
        let mut args = vec!["restore", "--database-url", &database_url, backup_s];
        if force {
            args.push("--force");
        }
        let (ok, said) = run(&bin, &log, &args).await;
        assert!(!ok, "restore over a served database succeeded: {said}");
        let why = if force {
            "running chatrail holds"
        } else {
            "--force"
        };
        assert!(said.contains(why), "{said}");
    }

    let restored = work.path().join("restored.db");
    let restored_url = format!("sqlite://{}", restored.display());
    let (ok, said) = run(
        &bin,
        &log,
        &["restore", "--database-url", &restored_url, backup_s],
    )
    .await;
    assert!(ok, "restore failed: {said}");
    let what = format!("backup taken after {LOAD_BEFORE:?} of load, under load");
    let summary = assert_nothing_lost(&what, &acked.acked, &restored_url).await;

    // A consistent copy: the rollups written with the rows equal a recount of the rows.
    let (ok, said) = run(
        &bin,
        &log,
        &[
            "reports",
            "rebuild",
            "--database-url",
            &restored_url,
            "--site",
            SITE,
        ],
    )
    .await;
    assert!(ok && said.contains("0 differences"), "{said}");

    // Over a stopped database, with --force, the old one is kept beside it.
    drop(server);
    let (ok, said) = run(
        &bin,
        &log,
        &[
            "restore",
            "--database-url",
            &restored_url,
            backup_s,
            "--force",
        ],
    )
    .await;
    assert!(ok && said.contains("before-restore-"), "{said}");

    // PostgreSQL is pointed to pg_dump.
    let (ok, said) = run(
        &bin,
        &log,
        &[
            "backup",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "x",
        ],
    )
    .await;
    assert!(!ok && said.contains("pg_dump --format=custom"), "{said}");

    let bytes = std::fs::metadata(&backup).unwrap().len();
    eprintln!(
        "backup under load: {bytes} bytes in {:.2} s ({during_backup} requests of the second load acknowledged by its end); {summary}",
        took.as_secs_f64()
    );
}
