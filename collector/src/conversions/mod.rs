//! Conversions sent back to where the money is spent, and to the site's own systems: Meta's
//! Conversions API, GA4's Measurement Protocol and signed outbound webhooks (a CRM).
//!
//! - [`payload`]: the request each platform gets for an event and a dialog's source card.
//! - [`sender`]: the background task that delivers the outbox.
//! - [`google_ads`], [`oauth`]: Google's Data Manager API and its access tokens.
//! - [`yandex`]: Yandex Metrica's offline conversions and chats uploads.
//!
//! Events and destinations themselves are [`crate::domain::conversion`]; the outbox (written
//! in the transaction of the change) and the delivery log are
//! [`crate::storage::conversions`]. How it all works: `README.md` here.

pub mod export;
pub mod google_ads;
pub mod oauth;
pub mod outgoing;
pub mod payload;
pub mod sender;
pub mod yandex;

pub use crate::domain::conversion::{
    Destination, DestinationKind, DestinationPatch, Event, EventKind, NewDestination, Trigger,
};
