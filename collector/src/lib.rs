//! chatrail's collector: serves the tracker, stores visits, matches inbound chats to them and
//! answers source cards. `main.rs` only parses the command line; everything lives here.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backup;
pub mod cli;
pub mod client_signal;
pub mod config;
pub mod conversions;
pub mod db;
pub mod domain;
pub mod enrich;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod limits;
pub mod logging;
pub mod matching;
pub mod metrics;
pub mod providers;
pub mod reports;
pub mod request_span;
pub mod routes;
pub mod sign_in_limits;
pub mod snippet;
pub mod startup;
pub mod state;
pub mod storage;
pub mod text;
