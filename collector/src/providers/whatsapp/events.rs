//! A Cloud API delivery turned into domain events, routed to sites by the receiving number.
//!
//! The whole delivery is parsed before anything is stored, so a payload that breaks the
//! documented shape is refused with 400 as a whole and leaves nothing half-stored.

use super::{Envelope, Message, Status, Value};
use crate::domain::inbound::{
    provider_id, unix_seconds_str_ms, IdentityChange, InboundEvent, InboundMessage, InvalidInbound,
};
use crate::domain::now_ms;
use crate::domain::provider::Provider;
use crate::domain::site::Site;
use crate::domain::status::{DeliveryStatus, StatusUpdate};
use crate::text::{clip, field, MAX_SHORT, MAX_TEXT};

/// What a delivery holds for the verified sites.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Events to store, in payload order.
    pub events: Vec<InboundEvent>,
    /// Messages and statuses for numbers no verified site tracks, without a sender, or with
    /// a status this collector does not know.
    pub skipped: usize,
}

/// Walks every entry, change, message and status of `envelope` for `sites` (the sites whose
/// secret signed the delivery).
pub fn events(envelope: &Envelope, sites: &[Site]) -> Result<Delivery, InvalidInbound> {
    if envelope.object != "whatsapp_business_account" {
        return Err(InvalidInbound(
            "object must be 'whatsapp_business_account'".into(),
        ));
    }
    let mut out = Delivery::default();
    for change in envelope.entry.iter().flat_map(|e| &e.changes) {
        // Other fields (template status, account updates, …) are not chats.
        let Some(value) = change.value.as_ref().filter(|_| change.field == "messages") else {
            continue;
        };
        let receiver = receiver(value, sites);
        for message in &value.messages {
            let id = provider_id("messages[].id", &message.id)?;
            let sent_at_ms = event_time("messages[].timestamp", &message.timestamp)?;
            let Some((site, number)) = receiver else {
                tracing::warn!(%id, "message skipped: number not tracked by a signing site");
                out.skipped += 1;
                continue;
            };
            let Some(sender) = message.sender(&value.contacts) else {
                tracing::warn!(%id, "message skipped: neither wa_id nor user id given");
                out.skipped += 1;
                continue;
            };
            if message.kind == "system" {
                out.events
                    .push(identity_change(message, site, id, sender, sent_at_ms));
                continue;
            }
            out.events
                .push(InboundEvent::Message(Box::new(InboundMessage {
                    site_id: site.id,
                    provider: Provider::WhatsApp,
                    provider_message_id: id,
                    business_number: number.to_owned(),
                    contact: sender,
                    message_type: field(Some(&message.kind), MAX_SHORT).unwrap_or_default(),
                    text: message.stored_text(),
                    sent_at_ms,
                    referral: message.referral.as_ref().and_then(|r| r.to_referral()),
                })));
        }
        for status in &value.statuses {
            match status_update(status, receiver.map(|(site, _)| site))? {
                Some(update) => out.events.push(InboundEvent::Status(update)),
                None => out.skipped += 1,
            }
        }
    }
    Ok(out)
}

/// The verified site tracking the change's business number, and that number.
fn receiver<'a>(value: &Value, sites: &'a [Site]) -> Option<(&'a Site, &'a str)> {
    let m = value.metadata.as_ref()?;
    sites.iter().find_map(|site| {
        let number = site.tracked_number(&m.phone_number_id, &m.display_phone_number)?;
        Some((site, number))
    })
}

/// Meta always sends a timestamp; a missing one falls back to receipt time, a garbled one
/// is a broken payload.
fn event_time(name: &str, raw: &str) -> Result<i64, InvalidInbound> {
    if raw.trim().is_empty() {
        Ok(now_ms())
    } else {
        unix_seconds_str_ms(name, raw)
    }
}

fn identity_change(
    message: &Message,
    site: &Site,
    id: String,
    old: crate::domain::inbound::ContactIdentity,
    at_ms: i64,
) -> InboundEvent {
    let system = message.system.as_ref();
    let kind = system.map(|s| s.kind.as_str()).unwrap_or_default();
    let pick =
        |a: Option<&String>, b: Option<&String>| field(a.or(b).map(String::as_str), MAX_SHORT);
    let (new_phone, new_user_id) = match kind {
        "user_changed_number" => (
            pick(
                system.and_then(|s| s.new_wa_id.as_ref()),
                system.and_then(|s| s.wa_id.as_ref()),
            )
            .and_then(|p| chatrail_core::phone::normalize_number(&p)),
            None,
        ),
        "user_changed_user_id" => (
            None,
            pick(
                system.and_then(|s| s.new_user_id.as_ref()),
                system.and_then(|s| s.user_id.as_ref()),
            ),
        ),
        _ => (None, None),
    };
    InboundEvent::IdentityChange(Box::new(IdentityChange {
        site_id: site.id,
        provider: Provider::WhatsApp,
        provider_message_id: id,
        old,
        new_phone,
        new_user_id,
        body: field(system.and_then(|s| s.body.as_deref()), MAX_TEXT),
        at_ms,
    }))
}

/// A status as stored; `None` for an untracked number or a status this collector does not
/// know (validated either way, so a broken payload is refused whole).
fn status_update(
    status: &Status,
    site: Option<&Site>,
) -> Result<Option<StatusUpdate>, InvalidInbound> {
    let id = provider_id("statuses[].id", &status.id)?;
    let at_ms = event_time("statuses[].timestamp", &status.timestamp)?;
    let Some(kind) = DeliveryStatus::parse(&status.status) else {
        tracing::info!(%id, status = %status.status, "status skipped: unknown status");
        return Ok(None);
    };
    let Some(site) = site else {
        return Ok(None);
    };
    Ok(Some(StatusUpdate {
        site_id: site.id,
        provider: Provider::WhatsApp,
        provider_message_id: id,
        recipient: field(status.recipient_id.as_deref(), MAX_SHORT),
        status: kind,
        at_ms,
        errors: status
            .errors
            .as_ref()
            .map(|e| clip(&e.to_string(), MAX_TEXT)),
        pricing_category: field(
            status.pricing.as_ref().and_then(|p| p.category.as_deref()),
            MAX_SHORT,
        ),
    }))
}
