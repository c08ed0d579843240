//! The `chatrail` binary.
#![forbid(unsafe_code)]

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    chatrail_collector::logging::init();
    chatrail_collector::cli::Cli::parse().run().await
}
