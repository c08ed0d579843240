//! Enrichment of visits: attribution parameters, device, region, traffic channel, and the
//! filter that keeps robots, referrer spam and other sites' pages out of storage.

pub mod attribution;
pub mod channel;
pub mod client_ip;
pub mod filter;
pub mod geo;
pub mod user_agent;
