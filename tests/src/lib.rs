//! Test support for chatrail's integration tests: a throwaway PostgreSQL
//! server ([`postgres`]) and a headless Chromium driven through chromedriver
//! ([`browser`]). Both clean up after themselves even when the test process
//! is killed: each runs under a small `sh` watchdog that holds one end of a
//! pipe to the test process and tears everything down when it closes.

pub mod accounts;
pub mod app;
pub mod bench;
pub mod bench_args;
mod both;
pub mod browser;
pub mod dashboard_bench;
pub mod fake_endpoint;
pub mod geoip;
pub mod http1;
pub mod inbound;
pub mod loadgen;
pub mod money_bench;
pub mod openapi;
pub mod pages;
pub mod plan;
pub mod postgres;
pub mod process;
pub mod raw;
pub mod traffic;

use std::net::{Ipv4Addr, TcpListener};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it).
///
/// Another process may take it before the caller binds it; callers that can
/// bind a listener themselves should prefer binding port 0 directly.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}
