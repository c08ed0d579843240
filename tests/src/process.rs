//! Servers as child processes: the real `chatrail` binary, set up through its own command
//! line as an operator would (`chatrail site create`, then `chatrail serve`), and the ingest
//! benchmark's bare server. A child is killed when its [`Server`] is dropped.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

use crate::app::{APP_SECRET, PHONE_NUMBER_ID, TRACKED_NUMBER, VERIFY_TOKEN};

/// How long a server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The key of the site [`Chatrail::create_site`] creates.
pub const SITE: &str = "shop";

/// A running server process.
pub struct Server {
    child: Child,
    /// Its address, on 127.0.0.1.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log: PathBuf,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("base", &self.base).finish()
    }
}

/// A command whose output goes to `log` (appended) and which inherits no `CHATRAIL_*`
/// setting or `RUST_LOG` from this process: what it runs with is what the caller says.
pub fn command(bin: &Path, log: &Path) -> anyhow::Result<Command> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let mut cmd = Command::new(bin);
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .kill_on_drop(true);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CHATRAIL_") || name == "RUST_LOG" {
            cmd.env_remove(name.as_ref());
        }
    }
    Ok(cmd)
}

impl Server {
    /// Starts `cmd`, which listens on `addr`, and waits until it answers HTTP there.
    pub async fn start(mut cmd: Command, addr: SocketAddr, log: &Path) -> anyhow::Result<Server> {
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {:?}", cmd.as_std().get_program()))?;
        let mut server = Server {
            child,
            addr,
            base: format!("http://{addr}"),
            log: log.to_owned(),
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            // Any answer will do: the listener is bound after the database is open.
            if http
                .get(format!("{}/health", server.base))
                .send()
                .await
                .is_ok()
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited with {status}:\n{}", server.log_tail());
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "the server did not answer on {addr} within {START_TIMEOUT:?}:\n{}",
                    server.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Resident memory of the process (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid()?)
    }

    /// `kill -9`, and waits until the process is gone.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        // tokio's kill is SIGKILL on Unix.
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// The last lines the process wrote.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

/// Resident memory of process `pid` (`VmRSS` in `/proc/<pid>/status`), in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time (user and system) process `pid` has used so far, in seconds: fields 14 and 15
/// of `/proc/<pid>/stat`, in clock ticks of 1/100 s (Linux's `USER_HZ` on every common
/// architecture).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it do not.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// CPU time the whole machine has spent busy so far (every core; user, system, interrupts
/// and time stolen by the hypervisor), in seconds, from `/proc/stat`.
pub fn machine_busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = cpu
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already)
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum::<u64>();
    Some(busy as f64 / 100.0)
}

/// A free address on 127.0.0.1.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok((Ipv4Addr::LOCALHOST, crate::free_port()?).into())
}

/// The `chatrail` binary on one database.
#[derive(Debug, Clone)]
pub struct Chatrail {
    /// The binary.
    pub bin: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// HTTP worker threads (`--workers`).
    pub workers: usize,
    /// Its output, appended across starts.
    pub log: PathBuf,
}

impl Chatrail {
    /// Runs `chatrail site create` for the site [`SITE`] with the test site's domain, tracked
    /// number (bound to the Cloud API phone number id) and WhatsApp secrets.
    pub async fn create_site(&self) -> anyhow::Result<()> {
        let number = format!("{TRACKED_NUMBER}={PHONE_NUMBER_ID}");
        let status = command(&self.bin, &self.log)?
            .args(["site", "create", "--database-url", &self.database_url])
            .args(["--key", SITE, "--name", "Oak & Co", "--domain", "shop.test"])
            .args(["--number", &number, "--wa-app-secret", APP_SECRET])
            .args(["--wa-verify-token", VERIFY_TOKEN])
            .status()
            .await
            .with_context(|| format!("running {}", self.bin.display()))?;
        if !status.success() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            bail!("chatrail site create failed with {status}:\n{log}");
        }
        Ok(())
    }

    /// Runs `chatrail serve` on a free port and waits until it answers. The beacon rate
    /// limits (per client address and per site) are off: all the load comes from one
    /// loopback address. They are set through the environment, which builds without them
    /// ignore.
    pub async fn serve(&self) -> anyhow::Result<Server> {
        self.serve_with(&[]).await
    }

    /// [`Chatrail::serve`] with more environment variables (`CHATRAIL_LOG_FORMAT`, …).
    pub async fn serve_with(&self, env: &[(&str, &str)]) -> anyhow::Result<Server> {
        let addr = free_addr()?;
        let mut cmd = command(&self.bin, &self.log)?;
        cmd.envs(env.iter().copied());
        cmd.env("CHATRAIL_CLIENT_RATE", "0")
            .env("CHATRAIL_SITE_RATE", "0")
            .args(["serve", "--database-url", &self.database_url])
            .args(["--listen", &addr.to_string()])
            .args(["--workers", &self.workers.to_string()]);
        Server::start(cmd, addr, &self.log).await
    }
}
