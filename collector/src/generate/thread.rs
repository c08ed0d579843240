//! A dialog's messages: the contact's (the first one and follow-ups) and the business's
//! replies, known by their delivery statuses (sent → delivered → read, some failed), with
//! first replies quick in business hours and the next morning at night.

use chrono::Timelike;
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::Rng;
use uuid::Uuid;

use super::people::{one, FOLLOW_UPS_EN, FOLLOW_UPS_RU};
use super::rows::{SyntheticBatch, SyntheticMessage, SyntheticStatus, RECEIVED_AFTER_MS};

const MINUTE: i64 = 60_000;

/// A provider message id shaped like Cloud API's.
pub(super) fn wamid(rng: &mut StdRng) -> String {
    format!("wamid.HBgL{:024X}", rng.random::<u128>() >> 32)
}

/// The dialog whose messages are written.
pub(super) struct Chat<'a> {
    pub(super) dialog_id: Uuid,
    pub(super) contact_id: Uuid,
    pub(super) phone: &'a str,
    pub(super) started_at: i64,
    pub(super) first_message: &'a str,
    pub(super) first_id: String,
    pub(super) russian: bool,
}

/// How long the business takes to answer a message sent at `at`: minutes from 9:00 to 21:00
/// local time, else until a little after nine the next morning.
fn first_reply_delay(rng: &mut StdRng, tz: Tz, at: i64) -> i64 {
    let hour = i64::from(crate::reports::time::local(tz, at).hour());
    // Exponential, median about 4 minutes, at least 20 seconds.
    let quick = (-(1.0 - rng.random::<f64>()).ln() * 6.0 * MINUTE as f64) as i64 + 20_000;
    match hour {
        9..=20 => quick,
        _ => {
            let until_nine = (9 - hour).rem_euclid(24) * 60 * MINUTE;
            until_nine + rng.random_range(0..45 * MINUTE) + quick
        }
    }
}

/// One message the business sent at `at`, with the statuses it got by `end`.
fn sent(rng: &mut StdRng, phone: &str, at: i64, end: i64) -> SyntheticStatus {
    let mut s = SyntheticStatus {
        provider_message_id: wamid(rng),
        recipient: phone.to_owned(),
        sent_at: at,
        delivered_at: None,
        read_at: None,
        failed_at: None,
    };
    match rng.random_range(0..100) {
        // Undeliverable: the number has no WhatsApp, or it is off.
        0..3 => s.failed_at = Some(at + rng.random_range(1_000..20_000)),
        // Still only sent: the phone is off.
        3..8 => {}
        n => {
            let delivered = at + rng.random_range(500..15_000);
            s.delivered_at = Some(delivered);
            // Most are read, some minutes later.
            if n >= 25 {
                s.read_at = Some(delivered + rng.random_range(2_000..40 * MINUTE));
            }
        }
    }
    // What would come after the history's end has not come yet.
    s.failed_at = s.failed_at.filter(|&t| t <= end);
    s.delivered_at = s.delivered_at.filter(|&t| t <= end);
    s.read_at = s.read_at.filter(|&t| t <= end);
    s
}

/// Writes the chat's messages into `batch`, none after `end` (the history's end: a live
/// dashboard would otherwise get them as they come due); the number of rows.
pub(super) fn write(
    rng: &mut StdRng,
    tz: Tz,
    end: i64,
    chat: Chat<'_>,
    batch: &mut SyntheticBatch,
) -> u64 {
    let follow_ups = if chat.russian {
        FOLLOW_UPS_RU
    } else {
        FOLLOW_UPS_EN
    };
    let mut rows = 1;
    batch.messages.push(SyntheticMessage {
        dialog_id: chat.dialog_id,
        contact_id: chat.contact_id,
        provider_message_id: chat.first_id,
        body: chat.first_message.to_owned(),
        sent_at: chat.started_at,
    });
    // A few chats are never answered.
    if rng.random::<f64>() < 0.07 {
        return rows;
    }
    let mut at = chat.started_at + first_reply_delay(rng, tz, chat.started_at);
    let exchanges = rng.random_range(1..=4);
    for i in 0..exchanges {
        for _ in 0..rng.random_range(1..=2) {
            if at > end {
                return rows;
            }
            batch.statuses.push(sent(rng, chat.phone, at, end));
            rows += 1;
            at += rng.random_range(10_000..3 * MINUTE);
        }
        if i + 1 == exchanges {
            break;
        }
        at += rng.random_range(MINUTE..40 * MINUTE);
        if at + RECEIVED_AFTER_MS > end {
            return rows;
        }
        batch.messages.push(SyntheticMessage {
            dialog_id: chat.dialog_id,
            contact_id: chat.contact_id,
            provider_message_id: wamid(rng),
            body: one(rng, follow_ups).to_owned(),
            sent_at: at,
        });
        rows += 1;
        at += rng.random_range(MINUTE..15 * MINUTE);
    }
    rows
}
