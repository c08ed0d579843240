//! Conversions as facts: what happened to a dialog ([`event`]), where a site's events go
//! ([`destination`]), and how a webhook to the site's own systems is signed ([`webhook`]).
//! Sending them is [`crate::conversions`]; the outbox is [`crate::storage::conversions`].

pub mod checks;
pub mod destination;
pub mod event;
pub mod webhook;

pub use destination::{Destination, DestinationKind, DestinationPatch, NewDestination};
pub use event::{Event, EventKind, Trigger};
