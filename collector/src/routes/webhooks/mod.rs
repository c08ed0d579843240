//! Inbound webhooks of messaging providers.
//!
//! Each provider's handler authenticates the request, parses the whole body into domain
//! events (a malformed body is refused with 400 before anything is stored), and stores them
//! in order with [`store_events`] before answering: an acknowledged message is committed.

pub mod telegram;
pub mod twilio;
pub mod whatsapp;

use actix_web::web;

use crate::domain::inbound::{InboundEvent, InvalidInbound};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{IdentityOutcome, IngestOutcome};

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    whatsapp::configure(cfg);
    twilio::configure(cfg);
    telegram::configure(cfg);
}

/// What one delivery did.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
#[schema(as = WebhookReport)]
pub struct Report {
    /// Messages stored now.
    pub stored: usize,
    /// Messages (and system messages) stored before: redeliveries.
    pub duplicates: usize,
    /// Messages and statuses for numbers no verified site tracks, without a sender, or of a
    /// kind that is not a chat message.
    pub skipped: usize,
    /// Delivery statuses recorded.
    pub statuses: usize,
    /// Contacts moved to a new phone or user id.
    pub identity_changes: usize,
    /// Dialogs of the stored messages, in order.
    pub dialogs: Vec<uuid::Uuid>,
}

impl From<InvalidInbound> for ApiError {
    fn from(e: InvalidInbound) -> Self {
        ApiError::BadRequest(e.0)
    }
}

/// Stores `events` in order, adding to `report`. Messages go through the inbound queue
/// (each run of consecutive messages together), so concurrent deliveries share commits;
/// statuses and identity changes are stored on their own, each in its own transaction.
pub async fn store_events(
    state: &AppState,
    events: &[InboundEvent],
    report: &mut Report,
) -> Result<(), ApiError> {
    let mut rest = events;
    while let Some((event, after)) = rest.split_first() {
        match event {
            InboundEvent::Message(_) => {
                let run = rest
                    .iter()
                    .take_while(|e| matches!(e, InboundEvent::Message(_)))
                    .count();
                let messages = rest[..run]
                    .iter()
                    .filter_map(|e| match e {
                        InboundEvent::Message(m) => Some((**m).clone()),
                        _ => None,
                    })
                    .collect();
                let outcomes = state
                    .inbound
                    .store(vec![messages])
                    .await
                    .map_err(|e| ApiError::Unavailable(e.message()))?;
                for outcome in outcomes.into_iter().flatten() {
                    match outcome {
                        IngestOutcome::Duplicate => report.duplicates += 1,
                        IngestOutcome::Stored { dialog_id, .. } => {
                            report.stored += 1;
                            report.dialogs.push(dialog_id);
                        }
                    }
                }
                rest = &rest[run..];
                continue;
            }
            InboundEvent::Status(s) => {
                state.store.record_status(s).await?;
                report.statuses += 1;
            }
            InboundEvent::IdentityChange(c) => match state.store.change_identity(c).await? {
                IdentityOutcome::Duplicate => report.duplicates += 1,
                IdentityOutcome::Applied => report.identity_changes += 1,
                IdentityOutcome::UnknownContact | IdentityOutcome::Conflict => report.skipped += 1,
            },
        }
        rest = after;
    }
    Ok(())
}
