//! Operating the collector: `/metrics` (scraped and parsed while real beacons and webhooks
//! arrive), JSON logs of the real binary, the systemd unit in `deploy/`, erasing a contact
//! and retention.

mod erasure;
mod logs;
mod metrics;
mod reports;
mod retention;
mod systemd;
