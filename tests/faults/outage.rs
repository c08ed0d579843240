//! Storage outages under load: the collector answers `503` while its storage fails, never
//! `500` and never an acknowledgement it cannot keep, says so at `/health`, and takes
//! writes again by itself once the storage is back.
//! - SQLite: its file lives on a small tmpfs, which a filler file fills up, then frees.
//! - PostgreSQL: a cluster of the test's own is stopped (a fast shutdown), then started.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chatrail_tests::postgres::Cluster;
use chatrail_tests::process::Server;

use super::{assert_nothing_lost, chatrail, Load};

/// Load before the fault, and how long the fault lasts.
const LOAD_BEFORE: Duration = Duration::from_millis(1000);
const OUTAGE: Duration = Duration::from_secs(3);
/// How long the collector may take to notice the storage is back.
const RECOVERY: Duration = Duration::from_secs(30);
/// Size of the tmpfs the SQLite database lives on.
const TMPFS_MB: u64 = 64;

/// A storage fault, begun and ended by the test.
trait Outage {
    /// What it is, for the messages.
    fn name(&self) -> &'static str;
    async fn begin(&mut self);
    async fn end(&mut self);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_is_503_then_recovers_without_restart() {
    let disk = Tmpfs::mount(TMPFS_MB);
    let database_url = format!("sqlite://{}", disk.dir.join("chatrail.db").display());
    let mut full = DiskFull {
        dir: disk.dir.clone(),
        filler: None,
    };
    ride_out(&database_url, &mut full).await;
    drop(disk);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_is_503_then_recovers_without_restart() {
    let mut cluster = Cluster::own()
        .await
        .expect("a PostgreSQL cluster of the test's own");
    let database_url = cluster.database().await.unwrap();
    let mut down = PostgresDown(&mut cluster);
    ride_out(&database_url, &mut down).await;
}

/// The scenario: load, the fault, recovery, and the count of what was acknowledged against
/// what is stored.
async fn ride_out(database_url: &str, outage: &mut impl Outage) {
    let what = outage.name();
    let log_dir = tempfile::tempdir().unwrap();
    let chatrail = chatrail(database_url, log_dir.path());
    chatrail.create_site().await.unwrap();
    let server = chatrail.serve().await.unwrap();
    let load = Load::start(server.addr).await;
    tokio::time::sleep(LOAD_BEFORE).await;
    let before = load.acked();
    assert!(
        before > 100,
        "{what}: only {before} acknowledged before the fault"
    );

    outage.begin().await;
    let began = Instant::now();
    let degraded = wait_for_health(&server, 503, OUTAGE).await;
    tokio::time::sleep(OUTAGE.saturating_sub(began.elapsed())).await;
    let during = load.acked() - before;
    outage.end().await;

    // Recovery without a restart: acknowledgements resume and /health is 200 again.
    let ended = Instant::now();
    let at_end = load.acked();
    while load.acked() < at_end + 100 && ended.elapsed() < RECOVERY {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let resumed = load.acked() - at_end;
    let recovered_in = ended.elapsed();
    let healthy = wait_for_health(&server, 200, RECOVERY).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = load.finish().await;
    let report = format!(
        "{what}: {before} acknowledged before the fault, {during} during it, {resumed} in the \
         {recovered_in:?} after it\n{}\n{}",
        out.describe(),
        server.log_tail()
    );
    assert!(
        degraded,
        "{what}: /health never answered 503 during the fault\n{report}"
    );
    assert!(
        resumed >= 100,
        "{what}: acknowledgements did not resume within {RECOVERY:?}\n{report}"
    );
    assert!(
        healthy,
        "{what}: /health not 200 again after the fault\n{report}"
    );
    let unavailable: u64 = out.kinds.iter().map(|o| o.unavailable).sum();
    // Answered at once, not held: each of the 44 connections got a 503 at least twice in the
    // 3 s outage (held for PostgreSQL's 3 s acquire timeout, each got about one).
    assert!(
        unavailable >= 2 * 44,
        "{what}: only {unavailable} answers 503 in {OUTAGE:?}: held, not refused\n{report}"
    );
    for o in &out.kinds {
        assert_eq!(
            o.refused, 0,
            "{what}: answers other than 2xx and 503\n{report}"
        );
        assert_eq!(o.failed, 0, "{what}: requests without an answer\n{report}");
    }
    let summary = assert_nothing_lost(what, &out.acked, database_url).await;
    eprintln!("{what}: nothing lost: {summary}\n{}", out.describe());
    drop(server);
}

/// Polls `/health` until it answers `status`, for at most `within`.
async fn wait_for_health(server: &Server, status: u16, within: Duration) -> bool {
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < within {
        let answer = http
            .get(format!("{}/health", server.base))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status().as_u16() == status) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A tmpfs of its own, unmounted when dropped. Mounting needs root (CI runs as root), or
/// `sudo` without a password.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u64) -> Tmpfs {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("disk");
        std::fs::create_dir(&dir).unwrap();
        let size = format!("size={megabytes}m");
        let ok = privileged(&["mount", "-t", "tmpfs", "-o", &size, "tmpfs"], &dir);
        assert!(
            ok,
            "could not mount a tmpfs at {}: the full-disk test needs root (as CI runs) or \
             sudo without a password",
            dir.display()
        );
        Tmpfs {
            dir,
            _parent: parent,
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a process still holding a file there lets go when it exits.
        privileged(&["umount", "-l"], &self.dir);
    }
}

/// Runs `args dir` as root: directly when root, else through `sudo -n`.
fn privileged(args: &[&str], dir: &Path) -> bool {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let mut cmd = if root {
        Command::new(args[0])
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", args[0]]);
        c
    };
    cmd.args(&args[1..])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// The disk under SQLite's file filled to the last byte by a filler file, then freed.
struct DiskFull {
    dir: PathBuf,
    filler: Option<PathBuf>,
}

impl Outage for DiskFull {
    fn name(&self) -> &'static str {
        "SQLite on a full disk"
    }

    async fn begin(&mut self) {
        let path = self.dir.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        // Large writes until the first refusal, then ever smaller ones down to a page: the
        // disk ends up without a free byte.
        let mut chunk = 1 << 20;
        let block = vec![0u8; chunk];
        while chunk >= 4096 {
            if file.write_all(&block[..chunk]).is_err() {
                chunk /= 2;
            }
        }
        file.sync_all().ok();
        self.filler = Some(path);
    }

    async fn end(&mut self) {
        if let Some(path) = self.filler.take() {
            std::fs::remove_file(path).unwrap();
        }
    }
}

/// The PostgreSQL server stopped, then started again.
struct PostgresDown<'c>(&'c mut Cluster);

impl Outage for PostgresDown<'_> {
    fn name(&self) -> &'static str {
        "PostgreSQL stopped"
    }

    async fn begin(&mut self) {
        self.0.stop().await.unwrap();
    }

    async fn end(&mut self) {
        self.0.start().await.unwrap();
    }
}
