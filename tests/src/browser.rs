//! A real headless Chromium, driven through chromedriver with fantoccini,
//! that cannot reach the network: every host except 127.0.0.1 and localhost
//! resolves to "not found" (IP literals included), so a click on a
//! `https://wa.me/...` link fails inside the browser and the test reads where
//! it was going with [`Browser::click_and_capture_navigation`].
//!
//! chromedriver runs in its own process group (Chromium joins it), watched by
//! a `sh` whose stdin is a pipe from this process. When the [`Browser`] is
//! dropped, or the test process dies, the pipe closes and the watchdog kills
//! the whole group and deletes the profile directory. Killing chromedriver
//! alone is not enough: Chromium outlives it.

use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_CHROME: &str = "/usr/bin/chromium";
/// Keeps every request on this machine; IP literals are mapped too.
/// The user agent the test browser presents: desktop Chrome on Linux.
pub const DESKTOP_CHROME_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

const HOST_RULES: &str =
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost";
/// How long chromedriver may take to listen.
const DRIVER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a click may take to lead to a navigation.
const NAVIGATION_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// A headless Chromium session. [`Browser::close`] it at the end of a test;
/// dropping it (a failed test) also kills the browser and removes its files.
pub struct Browser {
    /// The WebDriver session: `goto`, `find`, `execute`, ...
    pub client: Client,
    processes: Processes,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("dir", &self.processes.dir)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts chromedriver on a free port (`CHROMEDRIVER` overrides the
    /// binary) and opens a headless Chromium session (`CHROME` overrides the
    /// binary) with a fresh profile, browser console logging, and no route
    /// off this machine.
    pub async fn start() -> anyhow::Result<Browser> {
        let mut processes = Processes::start()?;
        let port = processes.port;
        processes.wait_for_driver().await?;

        let chrome = std::env::var("CHROME").unwrap_or_else(|_| DEFAULT_CHROME.into());
        let profile = processes.dir.join("profile");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chrome,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                    // A desktop Chrome's user agent: the collector drops headless browsers
                    // (their "HeadlessChrome" token) as robots, and these tests play a person.
                    format!("--user-agent={DESKTOP_CHROME_UA}"),
                    HOST_RULES,
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("json!({{...}}) is an object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .with_context(|| format!("opening a Chromium session\n{}", processes.log()))?;
        Ok(Browser { client, processes })
    }

    /// The browser's temporary directory (profile, `chromedriver.log`),
    /// deleted when the browser is closed or dropped.
    pub fn dir(&self) -> &Path {
        &self.processes.dir
    }

    /// Ends the session (Chromium quits), then stops chromedriver and
    /// deletes the profile.
    pub async fn close(self) -> anyhow::Result<()> {
        let result = self.client.clone().close().await;
        drop(self);
        result.context("closing the WebDriver session")
    }

    /// Clicks the element at `css_selector` with a real WebDriver click and
    /// returns the URL the browser then navigated to, as the browser
    /// serialized it (the element's `href` property, not the raw attribute).
    ///
    /// Off-machine navigations fail locally, and the failed tab keeps the
    /// URL it was sent to. A link that opens a new window (`target="_blank"`
    /// or `window.open`) is followed into it; that window is then closed and
    /// the original one selected again. A navigation in the same tab leaves
    /// the tab on the (error) page: `client.back()` returns to the page.
    pub async fn click_and_capture_navigation(&self, css_selector: &str) -> anyhow::Result<String> {
        let client = &self.client;
        let window = client.window().await?;
        let windows = client.windows().await?;
        let start = client.current_url().await?;
        client
            .find(Locator::Css(css_selector))
            .await
            .with_context(|| format!("finding {css_selector}"))?
            .click()
            .await
            .with_context(|| format!("clicking {css_selector}"))?;

        let deadline = Instant::now() + NAVIGATION_TIMEOUT;
        loop {
            if let Some(new) = client
                .windows()
                .await?
                .into_iter()
                .find(|w| !windows.contains(w))
            {
                client.switch_to_window(new).await?;
                let url = self
                    .wait_for_url(deadline, |url| url != "about:blank")
                    .await;
                client.close_window().await?;
                client.switch_to_window(window).await?;
                return url.with_context(|| format!("clicking {css_selector} opened a window"));
            }
            let url = client.current_url().await?;
            if url != start {
                return Ok(url.into());
            }
            if Instant::now() > deadline {
                bail!("clicking {css_selector} did not navigate away from {start} within {NAVIGATION_TIMEOUT:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The current window's URL once `ready` accepts it.
    async fn wait_for_url(
        &self,
        deadline: Instant,
        ready: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        loop {
            let url = self.client.current_url().await?;
            if ready(url.as_str()) {
                return Ok(url.into());
            }
            if Instant::now() > deadline {
                bail!("the window stayed at {url}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Every browser log entry (console messages, failed loads, uncaught
    /// exceptions) since the previous call: reading the log empties it.
    pub async fn console_log(&self) -> anyhow::Result<Vec<LogEntry>> {
        let entries = self
            .client
            .issue_cmd(GetLog {
                log_type: "browser",
            })
            .await
            .context("reading the browser log")?;
        serde_json::from_value(entries).context("parsing the browser log")
    }

    /// The messages of the SEVERE browser log entries since the previous
    /// read (`console.error`, uncaught exceptions, failed loads), without the
    /// 404 for `/favicon.ico` that Chromium asks every test server for.
    pub async fn console_errors(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .console_log()
            .await?
            .into_iter()
            .filter(|e| {
                e.level == "SEVERE"
                    && !(e.source == "network" && e.message.contains("/favicon.ico"))
            })
            .map(|e| e.message)
            .collect())
    }
}

/// A Chrome DevTools Protocol command through chromedriver
/// (`POST /session/{id}/goog/cdp/execute`), e.g. `Network.setBlockedURLs`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Browser {
    /// Runs a DevTools command, e.g. `("Network.setBlockedURLs", {"urls": [...]})` to make
    /// some URLs unreachable (after `Network.enable`).
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> anyhow::Result<Value> {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .with_context(|| format!("DevTools command {cmd}"))
    }
}

/// One entry of Chromium's browser log.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// Where it came from: `console-api`, `javascript`, `network`, ...
    #[serde(default)]
    pub source: String,
    /// The text, prefixed with the script URL and line for console calls.
    pub message: String,
    /// Milliseconds since the epoch.
    pub timestamp: u64,
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`), which the W3C
/// protocol lacks and fantoccini has no method for.
#[derive(Debug)]
struct GetLog {
    log_type: &'static str,
}

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.log_type }).to_string()),
        )
    }
}

/// chromedriver and its watchdog, and the directory they use; dropping this
/// kills them and deletes the directory.
struct Processes {
    port: u16,
    chromedriver: Child,
    watchdog: Child,
    dir: PathBuf,
}

impl Processes {
    fn start() -> anyhow::Result<Processes> {
        let bin = std::env::var_os("CHROMEDRIVER").unwrap_or(DEFAULT_CHROMEDRIVER.into());
        let dir = tempfile::Builder::new()
            .prefix("chatrail-browser-")
            .tempdir()
            .context("creating the browser's temporary directory")?;
        // Chromium's own temporary directories go here too (TMPDIR), so they
        // are removed even when Chromium is killed before it can remove them.
        let tmp = dir.path().join("tmp");
        fs::create_dir(&tmp)?;
        let log = File::create(dir.path().join("chromedriver.log"))?;
        let port = crate::free_port().context("picking a port for chromedriver")?;

        let mut chromedriver = Command::new(&bin)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own group, which Chromium joins, so the watchdog can kill both.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", bin.to_string_lossy()))?;
        let watchdog = Command::new("sh")
            .args([
                "-c",
                r#"cat >/dev/null
kill -KILL -"$1" 2>/dev/null
rm -rf "$2""#,
                "chatrail-browser-watchdog",
            ])
            .arg(chromedriver.id().to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Not in the terminal's group: Ctrl-C must not kill it before it cleans up.
            .process_group(0)
            .spawn();
        match watchdog {
            Ok(watchdog) => Ok(Processes {
                port,
                chromedriver,
                watchdog,
                // The watchdog deletes it from now on.
                dir: dir.keep(),
            }),
            Err(e) => {
                // No session yet, so no Chromium to outlive chromedriver.
                chromedriver.kill().ok();
                chromedriver.wait().ok();
                Err(e).context("starting the browser watchdog (sh)")
            }
        }
    }

    /// Waits until chromedriver accepts connections.
    async fn wait_for_driver(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.chromedriver.try_wait()? {
                bail!("chromedriver exited ({status})\n{}", self.log());
            }
            if started.elapsed() > DRIVER_TIMEOUT {
                bail!(
                    "chromedriver did not listen on port {} within {DRIVER_TIMEOUT:?}\n{}",
                    self.port,
                    self.log()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// chromedriver's output so far, for error messages.
    fn log(&self) -> String {
        let path = self.dir.join("chromedriver.log");
        let text = fs::read_to_string(&path).unwrap_or_default();
        format!("chromedriver log ({}):\n{text}", path.display())
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog kill chromedriver's process
        // group (Chromium included) and delete the directory; both are quick.
        drop(self.watchdog.stdin.take());
        self.watchdog.wait().ok();
        // In case the watchdog could not: chromedriver at least must not outlive us.
        self.chromedriver.kill().ok();
        self.chromedriver.wait().ok();
    }
}
