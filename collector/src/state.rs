//! State shared by all handlers.

use std::sync::Arc;

use crate::enrich::client_ip::TrustedProxies;
use crate::enrich::filter::FilterStats;
use crate::enrich::geo::GeoIp;
use crate::ingest::{InboundQueue, IngestQueue};
use crate::limits::Limits;
use crate::matching::DialogPolicy;
use crate::snippet::Snippet;
use crate::storage::SharedStore;

/// Everything a handler may need; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: SharedStore,
    /// Queue to the batch writer.
    pub queue: IngestQueue,
    /// Queue to the inbound message writer.
    pub inbound: InboundQueue,
    /// The tracker files, when this binary was built with them.
    pub snippet: Option<Snippet>,
    /// Dialog matching rules.
    pub policy: DialogPolicy,
    /// The GeoIP databases (none configured: region unknown).
    pub geo: Arc<GeoIp>,
    /// Proxies whose forwarding headers are believed.
    pub proxies: TrustedProxies,
    /// Per-client and per-site rate limits of beacons and `/go`.
    pub limits: Arc<Limits>,
    /// The client signal of probable matching.
    pub clients: Arc<crate::client_signal::Clients>,
    /// Counters of beacons dropped as robots or referrer spam.
    pub filtered: Arc<FilterStats>,
    /// Sign-in attempts per e-mail address and per client address.
    pub sign_ins: Arc<crate::sign_in_limits::SignInLimits>,
    /// Whether session cookies are `Secure` (all but plain-http development).
    pub secure_cookies: bool,
    /// Public base URL (`CHATRAIL_PUBLIC_URL`), without a trailing slash.
    pub public_url: Option<String>,
}
