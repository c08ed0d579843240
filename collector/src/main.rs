//! The `chatrail` binary.
#![forbid(unsafe_code)]

use clap::Parser;

/// jemalloc, with its background thread purging freed pages (see [`main`]). Built unprefixed
/// (the workspace's `tikv-jemallocator` features), it is SQLite's `malloc` too.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    chatrail_collector::logging::init();
    // Memory freed after a burst of load goes back to the system within seconds (jemalloc's
    // decay, run by its own thread even while the collector is idle).
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(error = %e, "jemalloc's background thread not started");
    }
    chatrail_collector::cli::Cli::parse().run().await
}
