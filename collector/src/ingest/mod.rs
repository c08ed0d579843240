//! The two write-heavy paths, each behind a group-commit queue ([`queue`]): handlers push
//! what they parsed and wait; writer tasks drain the queue in batches, write each batch in
//! one transaction and answer every item once its batch is committed.
//!
//! - [`IngestQueue`]: visits and clicks from beacons (a `202` is a commit).
//! - [`InboundQueue`]: chat messages from webhooks (a `2xx` is a commit), matched to sessions
//!   and dialogs; a delivery's messages stay together and in order.

pub mod queue;

use async_trait::async_trait;

use crate::domain::inbound::InboundMessage;
use crate::matching::DialogPolicy;
use crate::storage::{IngestEvent, IngestOutcome, SharedStore, StoreError};
pub use queue::{NotStored, Queue, QueueStats, Writers};

/// Beacons' visits and clicks, written by [`Ingest::write_batch`](crate::storage::Ingest).
#[derive(Debug, Clone)]
pub struct Beacons(pub SharedStore);

#[async_trait]
impl queue::Batch for Beacons {
    type Item = IngestEvent;
    type Answer = ();

    async fn write(&self, events: &[IngestEvent]) -> Result<Vec<()>, StoreError> {
        self.0.write_batch(events).await?;
        Ok(vec![(); events.len()])
    }
}

/// Inbound messages, each item the consecutive messages of one delivery (kept together, in
/// order, in one batch), stored in order by
/// [`Inbound::ingest_messages`](crate::storage::Inbound::ingest_messages) under `policy`.
#[derive(Debug, Clone)]
pub struct Messages {
    /// Where they go.
    pub store: SharedStore,
    /// How they are matched to dialogs.
    pub policy: DialogPolicy,
}

#[async_trait]
impl queue::Batch for Messages {
    type Item = Vec<InboundMessage>;
    type Answer = Vec<IngestOutcome>;

    async fn write(
        &self,
        deliveries: &[Vec<InboundMessage>],
    ) -> Result<Vec<Vec<IngestOutcome>>, StoreError> {
        let all: Vec<&InboundMessage> = deliveries.iter().flatten().collect();
        let mut outcomes = self
            .store
            .ingest_messages(&all, &self.policy)
            .await?
            .into_iter();
        Ok(deliveries
            .iter()
            .map(|d| outcomes.by_ref().take(d.len()).collect())
            .collect())
    }
}

/// The queue of beacon events.
pub type IngestQueue = Queue<Beacons>;
/// The queue of inbound messages.
pub type InboundQueue = Queue<Messages>;
