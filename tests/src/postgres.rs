//! A throwaway PostgreSQL cluster, started once per test process, with a
//! fresh database for every caller of [`database`].
//!
//! The cluster lives in a temporary directory and listens on 127.0.0.1 only,
//! with trust authentication. It is started by a `sh` watchdog whose standard
//! input is a pipe held by this process: when the process exits for any
//! reason (end of tests, panic, SIGKILL) the pipe closes, and the watchdog
//! stops the server and deletes the directory (within a fraction of a second
//! after the process has gone).

use std::fs;
use std::io::Read;
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

/// A running cluster. Never dropped: it lives in [`CLUSTER`] until the process exits.
struct Cluster {
    port: u16,
    /// Holds the write end of the watchdog's stdin open for the life of the process.
    _watchdog: Child,
}

impl Cluster {
    fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }
}

/// Creates a fresh, uniquely named database on this process's throwaway
/// cluster (starting the cluster on first use) and returns its URL,
/// `postgres://postgres@127.0.0.1:<port>/<db>`.
pub async fn database() -> anyhow::Result<String> {
    let cluster = tokio::task::spawn_blocking(cluster)
        .await
        .context("the PostgreSQL start-up task failed")??;
    let name = format!("test_{}", NEXT_DB.fetch_add(1, Ordering::Relaxed));
    // sqlx rather than psql/createdb: it needs no client binaries
    // (postgresql-client) on the machine, and the tests use sqlx anyway.
    // A connection per call, not a shared pool: each #[tokio::test] has its
    // own runtime, and a pool must not outlive the runtime it was made on.
    let mut admin = PgConnection::connect(&cluster.url("postgres"))
        .await
        .context("connecting to the test cluster's `postgres` database")?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating database {name}"))?;
    admin.close().await.ok();
    Ok(cluster.url(&name))
}

/// The running cluster, started on first call (blocking; thread-safe).
fn cluster() -> anyhow::Result<&'static Cluster> {
    CLUSTER
        .get_or_init(|| start().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow!("the test PostgreSQL server did not start: {e}"))
}

fn start() -> anyhow::Result<Cluster> {
    let bin = PathBuf::from(std::env::var_os("CHATRAIL_PG_BIN").unwrap_or(DEFAULT_PG_BIN.into()));
    let user = RunAs::detect()?;
    let mut last_error = None;
    for _ in 0..START_ATTEMPTS {
        match start_once(&bin, user) {
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

fn start_once(bin: &Path, user: Option<RunAs>) -> Result<Cluster, Start> {
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
    let fast: &[&str] = if DURABLE.load(Ordering::Relaxed) {
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
    // Immediate shutdown (SIGQUIT): nothing in the cluster is worth a checkpoint.
    let watchdog = user
        .apply(Command::new("sh"))
        .current_dir(&dir)
        .args([
            "-c",
            r#"dir=$1; shift
"$@" >"$dir/postgres.log" 2>&1 &
pid=$!
cat >/dev/null
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

    match wait_until_ready(port, &log) {
        Ok(()) => Ok(Cluster {
            port,
            _watchdog: watchdog,
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

/// Waits until the server logs that it is ready and accepts a TCP connection.
fn wait_until_ready(port: u16, log: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let text = read_lossy(log);
        if text.contains("ready to accept connections")
            && TcpStream::connect_timeout(
                &(Ipv4Addr::LOCALHOST, port).into(),
                Duration::from_secs(1),
            )
            .is_ok()
        {
            return Ok(());
        }
        if text.contains("FATAL")
            || text.contains("PANIC")
            || text.contains("database system is shut down")
        {
            bail!("PostgreSQL failed to start on port {port}");
        }
        if started.elapsed() > START_TIMEOUT {
            bail!("PostgreSQL did not accept connections on port {port} within {START_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = fs::File::open(path) {
        file.read_to_end(&mut bytes).ok();
    }
    String::from_utf8_lossy(&bytes).into_owned()
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
