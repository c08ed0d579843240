//! Domain types: parsed at the edge, so everything past a handler holds valid data.

pub mod account;
pub mod conversion;
pub mod dialog;
pub mod inbound;
pub mod names;
pub mod outcome;
pub mod page;
pub mod provider;
pub mod referral;
pub mod secret;
pub mod site;
pub mod status;
pub mod tag;
pub mod token;
pub mod visit;

/// Epoch milliseconds as an RFC 3339 UTC timestamp with milliseconds, as the API writes them.
pub fn rfc3339_ms(ms: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Milliseconds since the Unix epoch, the unit every stored timestamp uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
