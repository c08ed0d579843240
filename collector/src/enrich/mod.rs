//! Enrichment of visits: attribution parameters, device, traffic channel.

pub mod attribution;
pub mod channel;
pub mod user_agent;
