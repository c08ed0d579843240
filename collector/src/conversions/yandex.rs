//! Yandex Metrica's uploads, one event a request as the outbox sends them (a CSV of one row,
//! `multipart/form-data`, `Authorization: OAuth <token>`):
//!
//! - offline conversions (<https://yandex.ru/dev/metrika/en/management/offline-conv>):
//!   `ClientId, Yclid, Target, DateTime, Price, Currency`, the goal being the event's name;
//! - with the setting `chats` = `true`, a dialog's start as a chat
//!   (<https://yandex.com/dev/metrika/en/management/openapi/chats/upload_chats.md>,
//!   `?type=CHATS`): `ClientId, Yclid, DateTime, ChatPlatform, ChatUserID`, the chat's id
//!   being the dialog's (no phone).
//!
//! Only visits with a Metrica ClientID (`_ym_uid`) or a `yclid`, and advertising consent.

use super::outgoing::{click_id, Built, Outgoing};
use crate::domain::conversion::{Destination, Event, EventKind};
use crate::storage::SourceCard;

/// The multipart boundary (never inside a CSV of ids, numbers and names we write).
const BOUNDARY: &str = "chatrail-metrica-upload-7f3a9c";

/// The upload for `event`, whose goal there is `goal`.
pub fn build(dest: &Destination, event: &Event, goal: &str, card: Option<&SourceCard>) -> Built {
    let Some(session) = card.and_then(|c| c.session.as_ref()) else {
        return Built::Skip("the dialog has no website visit".into());
    };
    let card = card.expect("a session comes with its card");
    let client = session.ym_client_id.clone().unwrap_or_default();
    let yclid = click_id(card, "yclid").unwrap_or_default();
    if client.is_empty() && yclid.is_empty() {
        return Built::Skip("the visit carried no Metrica ClientID (_ym_uid) nor yclid".into());
    }
    if !session.ads_consent {
        return Built::Skip("the visitor denied advertising consent".into());
    }
    let at = event.occurred_at.div_euclid(1000).to_string();
    let chat = dest.setting("chats") == Some("true") && event.kind == EventKind::DialogStarted;
    let (query, rows): (&str, [Vec<String>; 2]) = if chat {
        let platform = match card.contact.channel.as_str() {
            c @ ("telegram" | "viber") => c,
            _ => "whatsapp",
        };
        let header = [
            "ClientId",
            "Yclid",
            "DateTime",
            "ChatPlatform",
            "ChatUserID",
        ];
        let dialog = event.dialog_id.to_string();
        let row = [client, yclid, at, platform.to_owned(), dialog];
        ("?type=CHATS", [owned(&header), row.to_vec()])
    } else {
        let header = [
            "ClientId", "Yclid", "Target", "DateTime", "Price", "Currency",
        ];
        let (price, currency) = event
            .value()
            .map(|(v, c)| (format!("{v:.2}"), c.to_owned()))
            .unwrap_or_default();
        let row = [client, yclid, goal.to_owned(), at, price, currency];
        ("", [owned(&header), row.to_vec()])
    };
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        csv.write_record(r).expect("CSV into memory");
    }
    let csv = csv.into_inner().expect("CSV into memory");
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"conversions.csv\"\r\n\
         content-type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&csv);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let counter = dest.setting("counter_id").unwrap_or_default();
    let token = dest.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    Built::Send(Outgoing {
        url: format!(
            "{}/management/v1/counter/{counter}/offline_conversions/upload{query}",
            dest.endpoint
        ),
        headers: vec![
            ("authorization", format!("OAuth {token}")),
            (
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
        ],
        body,
    })
}

fn owned(header: &[&str]) -> Vec<String> {
    header.iter().map(|s| (*s).to_owned()).collect()
}
