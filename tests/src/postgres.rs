//! A throwaway PostgreSQL cluster, started once per test process, with a
//! fresh database for every caller of [`database`]; and [`Cluster::own`], a cluster of one
//! test's own, which it may stop and start again (the outage test).
//!
//! The cluster lives in a temporary directory and listens on 127.0.0.1 only,
//! with trust authentication. It is started by a `sh` watchdog whose standard
//! input is a pipe held by this process: when the process exits for any
//! reason (end of tests, panic, SIGKILL) the pipe closes, and the watchdog
//! stops the server and deletes the directory (within a fraction of a second
//! after the process has gone). Lines written to that pipe (`stop`, `start`) stop the
//! server (a fast shutdown) and start it again on the same data and port.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use sqlx::{Connection, PgConnection};

/// Where the PostgreSQL 15 server binaries live unless `CHATRAIL_PG_BIN` says otherwise.
const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The cluster's superuser (fixed by `initdb -U`, whatever the OS user is).
const SUPERUSER: &str = "postgres";
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// A port picked with [`crate::free_port`] can be taken before the server binds it.
const START_ATTEMPTS: usize = 3;

/// The one cluster of this test process; an `Err` is kept so every test
/// reports the same start-up failure instead of retrying it.
static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(1);
/// Whether the cluster keeps PostgreSQL's durable defaults (see [`use_durable_settings`]).
static DURABLE: AtomicBool = AtomicBool::new(false);

/// Makes the cluster, when this process starts it, keep `fsync`, `synchronous_commit` and
/// `full_page_writes` on. Tests run faster without them; the load test must not, since it
/// measures acknowledgements of durably stored messages. No effect once the cluster runs.
pub fn use_durable_settings() {
    DURABLE.store(true, Ordering::Relaxed);
}

/// A running cluster. The shared one is never dropped: it lives in [`CLUSTER`] until the
/// process exits. One of a test's own ([`Cluster::own`]) is stopped and deleted when dropped.
pub struct Cluster {
    port: u16,
    /// Holds the write end of the watchdog's stdin open while the cluster lives.
    watchdog: Child,
    /// The server's log, which the watchdog appends to across restarts.
    log: PathBuf,
}

impl Cluster {
    fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Starts a cluster for the caller alone, with PostgreSQL's durable defaults.
    pub async fn own() -> anyhow::Result<Cluster> {
        tokio::task::spawn_blocking(|| start(true))
            .await
            .context("the PostgreSQL start-up task failed")?
    }

    /// Creates a fresh database and returns its URL.
    pub async fn database(&self) -> anyhow::Result<String> {
        let name = format!("test_{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
        // sqlx rather than psql/createdb: it needs no client binaries
        // (postgresql-client) on the machine, and the tests use sqlx anyway.
        // A connection per call, not a shared pool: each #[tokio::test] has its
        // own runtime, and a pool must not outlive the runtime it was made on.
        let mut admin = PgConnection::connect(&self.url("postgres"))
            .await
            .context("connecting to the test cluster's `postgres` database")?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
        admin.close().await.ok();
        Ok(self.url(&name))
    }

    /// Stops the server (a fast shutdown: clients are disconnected, open transactions
    /// rolled back, committed ones kept) and waits until it has exited.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let from = fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0);
        self.tell("stop")?;
        let (port, log) = (self.port, self.log.clone());
        tokio::task::spawn_blocking(move || wait_until_stopped(port, &log, from)).await?
    }

    /// Starts the server again on the same data and port, and waits until it takes
    /// connections.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let from = fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0);
        self.tell("start")?;
        let (port, log) = (self.port, self.log.clone());
        tokio::task::spawn_blocking(move || wait_until_ready(port, &log, from)).await?
    }

    fn tell(&mut self, command: &str) -> anyhow::Result<()> {
        let stdin = self
            .watchdog
            .stdin
            .as_mut()
            .context("the watchdog is gone")?;
        writeln!(stdin, "{command}").context("writing to the PostgreSQL watchdog")?;
        stdin.flush()?;
        Ok(())
    }
}

/// Creates a fresh, uniquely named database on this process's throwaway
/// cluster (starting the cluster on first use) and returns its URL,
/// `postgres://postgres@127.0.0.1:<port>/<db>`.
pub async fn database() -> anyhow::Result<String> {
    let cluster = tokio::task::spawn_blocking(cluster)
        .await
        .context("the PostgreSQL start-up task failed")??;
    cluster.database().await
}

/// The running cluster, started on first call (blocking; thread-safe).
fn cluster() -> anyhow::Result<&'static Cluster> {
    CLUSTER
        .get_or_init(|| start(DURABLE.load(Ordering::Relaxed)).map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow!("the test PostgreSQL server did not start: {e}"))
}

fn start(durable: bool) -> anyhow::Result<Cluster> {
    let bin = PathBuf::from(std::env::var_os("CHATRAIL_PG_BIN").unwrap_or(DEFAULT_PG_BIN.into()));
    let user = RunAs::detect()?;
    let mut last_error = None;
    for _ in 0..START_ATTEMPTS {
        match start_once(&bin, user, durable) {
            Ok(cluster) => return Ok(cluster),
            Err(Start::PortTaken(e)) => last_error = Some(e),
            Err(Start::Failed(e)) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow!("no start attempt was made")))
}

enum Start {
    /// Worth another try with a new port.
    PortTaken(anyhow::Error),
    Failed(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Start {
    fn from(e: E) -> Self {
        Start::Failed(e.into())
    }
}

fn start_once(bin: &Path, user: Option<RunAs>, durable: bool) -> Result<Cluster, Start> {
    let dir = tempfile::Builder::new()
        .prefix("chatrail-pg-")
        .tempdir()
        .context("creating the cluster's temporary directory")?;
    if let Some(user) = user {
        std::os::unix::fs::chown(dir.path(), Some(user.uid), Some(user.gid))
            .context("giving the cluster directory to the postgres user")?;
    }
    let data = dir.path().join("data");
    let log = dir.path().join("postgres.log");

    // initdb fails here (not in the watchdog), so the TempDir still removes the directory.
    let output = user
        .apply(Command::new(bin.join("initdb")))
        .current_dir(dir.path())
        .arg("--pgdata")
        .arg(&data)
        .args([
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ])
        .args(["--no-sync", "--no-instructions"])
        .output()
        .with_context(|| format!("running {}", bin.join("initdb").display()))?;
    if !output.status.success() {
        return Err(Start::Failed(anyhow!(
            "initdb failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }

    let port = crate::free_port().context("picking a port for PostgreSQL")?;
    // From here the watchdog owns the directory: it deletes it once the
    // server has stopped, so the TempDir must not.
    let dir = dir.keep();
    let fast: &[&str] = if durable {
        &[]
    } else {
        &[
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
    };
    // `stop` is a fast shutdown (SIGINT); at the end, an immediate one (SIGQUIT): nothing in
    // the cluster is worth a checkpoint then.
    let watchdog = user
        .apply(Command::new("sh"))
        .current_dir(&dir)
        .args([
            "-c",
            r#"dir=$1; shift
"$@" >>"$dir/postgres.log" 2>&1 &
pid=$!
while read -r command; do
  case $command in
    stop) kill -INT "$pid"; wait "$pid" ;;
    start) "$@" >>"$dir/postgres.log" 2>&1 & pid=$! ;;
  esac
done
kill -QUIT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$dir""#,
            "chatrail-pg-watchdog",
        ])
        .arg(&dir)
        .arg(bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .arg("-p")
        .arg(port.to_string())
        .arg("-c")
        .arg("listen_addresses=127.0.0.1")
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        .args(fast)
        .args(["-c", "max_connections=200"])
        .args(extra_settings())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a Ctrl-C in the terminal must not kill the
        // watchdog before it has cleaned up; closing the pipe is its signal.
        .process_group(0)
        .spawn();
    let mut watchdog = match watchdog {
        Ok(child) => child,
        Err(e) => {
            fs::remove_dir_all(&dir).ok();
            return Err(Start::Failed(
                anyhow::Error::new(e).context("starting the PostgreSQL watchdog (sh)"),
            ));
        }
    };

    match wait_until_ready(port, &log, 0) {
        Ok(()) => Ok(Cluster {
            port,
            watchdog,
            log,
        }),
        Err(e) => {
            let server_log = fs::read_to_string(&log).unwrap_or_default();
            // Closing the pipe stops the server and deletes the directory.
            drop(watchdog.stdin.take());
            watchdog.wait().ok();
            let e = e.context(format!("PostgreSQL log ({}):\n{server_log}", log.display()));
            if server_log.contains("could not bind")
                || server_log.contains("could not create any TCP/IP sockets")
            {
                Err(Start::PortTaken(e))
            } else {
                Err(Start::Failed(e))
            }
        }
    }
}

/// Waits until the server logs (after byte `from` of its log) that it is ready, and accepts
/// a TCP connection.
/// `-c` arguments for the settings in `CHATRAIL_PG_SETTINGS` (space-separated `name=value`),
/// e.g. `shared_preload_libraries=pg_stat_statements` to see where a benchmark's time goes.
fn extra_settings() -> Vec<String> {
    let settings = std::env::var("CHATRAIL_PG_SETTINGS").unwrap_or_default();
    settings
        .split_whitespace()
        .flat_map(|s| ["-c".to_owned(), s.to_owned()])
        .collect()
}

fn wait_until_ready(port: u16, log: &Path, from: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let text = read_lossy(log, from);
        if text.contains("ready to accept connections")
            && TcpStream::connect_timeout(
                &(Ipv4Addr::LOCALHOST, port).into(),
                Duration::from_secs(1),
            )
            .is_ok()
        {
            return Ok(());
        }
        if failed(&text) {
            bail!("PostgreSQL failed to start on port {port}");
        }
        if started.elapsed() > START_TIMEOUT {
            bail!("PostgreSQL did not accept connections on port {port} within {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the server's log says it failed: a `PANIC`, a shutdown, or a `FATAL` error other
/// than those it answers clients while it starts up (a restarted server's clients are
/// already trying to reconnect).
fn failed(log: &str) -> bool {
    log.contains("PANIC")
        || log.contains("database system is shut down")
        || log.lines().any(|line| {
            line.contains("FATAL") && !line.contains("the database system is starting up")
        })
}

/// Waits until the server logs (after byte `from`) that it has shut down, and refuses
/// connections.
fn wait_until_stopped(port: u16, log: &Path, from: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if read_lossy(log, from).contains("database system is shut down")
            && TcpStream::connect_timeout(
                &(Ipv4Addr::LOCALHOST, port).into(),
                Duration::from_secs(1),
            )
            .is_err()
        {
            return Ok(());
        }
        if started.elapsed() > START_TIMEOUT {
            bail!("PostgreSQL on port {port} did not stop within {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The file at `path` from byte `from` on, as text.
fn read_lossy(path: &Path, from: u64) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = fs::File::open(path) {
        file.read_to_end(&mut bytes).ok();
    }
    let from = (from as usize).min(bytes.len());
    String::from_utf8_lossy(&bytes[from..]).into_owned()
}

/// The user to run initdb and postgres as: they refuse to run as root, so as
/// root we switch to the `postgres` system user (from the `postgresql` package).
#[derive(Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl RunAs {
    /// `None` when not root: run as the current user.
    fn detect() -> anyhow::Result<Option<RunAs>> {
        // /proc/self is owned by the process's effective uid: no libc (and no unsafe) needed.
        let euid = fs::metadata("/proc/self")
            .context("reading /proc/self to find the effective uid")?
            .uid();
        if euid != 0 {
            return Ok(None);
        }
        let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
        passwd
            .lines()
            .find_map(|line| match line.split(':').collect::<Vec<_>>().as_slice() {
                ["postgres", _, uid, gid, ..] => Some(RunAs {
                    uid: uid.parse().ok()?,
                    gid: gid.parse().ok()?,
                }),
                _ => None,
            })
            .map(Some)
            .context(
                "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` \
                 user to run it as (apt-get install postgresql creates it)",
            )
    }
}

trait ApplyRunAs {
    fn apply(self, cmd: Command) -> Command;
}

impl ApplyRunAs for Option<RunAs> {
    fn apply(self, mut cmd: Command) -> Command {
        if let Some(user) = self {
            cmd.uid(user.uid).gid(user.gid);
        }
        cmd
    }
}
