//! Domain types: parsed at the edge, so everything past a handler holds valid data.

pub mod dialog;
pub mod inbound;
pub mod names;
pub mod provider;
pub mod referral;
pub mod secret;
pub mod site;
pub mod status;
pub mod tag;
pub mod token;
pub mod visit;

/// Milliseconds since the Unix epoch, the unit every stored timestamp uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
