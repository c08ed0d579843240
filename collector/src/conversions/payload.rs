//! The request each platform gets for an event: built from the event (with the outcome as it
//! was) and the dialog's source card as it is when the delivery is made. Facts and sources:
//! `../shared/reference/conversions.md`; the shapes are pinned field by field in
//! `tests/api/conversions.rs` against fixtures that cite the platforms' pages.

use serde_json::{json, Map};
use sha2::{Digest, Sha256};

use super::outgoing::{click_id, money};
pub use super::outgoing::{Built, Outgoing};
use crate::domain::conversion::webhook;
use crate::domain::conversion::{Destination, DestinationKind, Event, EventKind};
use crate::domain::rfc3339_ms;
use crate::storage::SourceCard;

/// The request for `event` at `dest`, where it is called `name`; `card` is the dialog's
/// (`None` once erased, or for a test event on a site without dialogs); `now` is epoch ms.
pub fn build(
    dest: &Destination,
    event: &Event,
    name: &str,
    card: Option<&SourceCard>,
    now: i64,
) -> Built {
    match dest.kind {
        DestinationKind::Webhook => Built::Send(webhook_request(dest, event, name, card, now)),
        DestinationKind::Meta => meta(dest, event, name, card),
        DestinationKind::Ga4 => ga4(dest, event, name, card),
        DestinationKind::GoogleAds => super::google_ads::build(dest, event, name, card),
        DestinationKind::YandexMetrica => super::yandex::build(dest, event, name, card),
    }
}

/// Standard Webhooks: `{type, timestamp, data}`, the source card in `data.card`.
fn webhook_request(
    dest: &Destination,
    event: &Event,
    name: &str,
    card: Option<&SourceCard>,
    now: i64,
) -> Outgoing {
    let outcome = (event.kind == EventKind::OutcomeChanged).then(|| {
        json!({
            "stage": event.stage,
            "kind": event.stage_kind.map(|k| k.as_str()),
            "value": event.value_milli.map(|v| v as f64 / 1000.0),
            "currency": event.currency,
        })
    });
    let body = json!({
        "type": name,
        "timestamp": rfc3339_ms(event.occurred_at),
        "data": {
            "event_id": event.event_id,
            "event": event.kind.as_str(),
            "dialog_id": (event.kind != EventKind::Test || card.is_some()).then_some(event.dialog_id),
            "outcome": outcome,
            "card": card,
        },
    });
    let body = serde_json::to_vec(&body).expect("JSON of JSON");
    let id = format!("msg_{}", event.event_id.simple());
    let timestamp = now.div_euclid(1000);
    let key = dest
        .secret
        .as_ref()
        .and_then(|s| webhook::signing_key(s.expose()).ok())
        .unwrap_or_default();
    let signature = webhook::signature(&key, &id, timestamp, &body);
    Outgoing {
        url: dest.endpoint.clone(),
        headers: vec![
            ("webhook-id", id),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ],
        body,
    }
}

/// Meta's phone normalisation: digits with the country code, no leading zeros, SHA-256 hex.
pub fn hashed_phone(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0');
    (digits.len() >= 7).then(|| hex::encode(Sha256::digest(digits.as_bytes())))
}

/// Meta's Conversions API: a business-messaging event for a chat from a Click-to-WhatsApp
/// ad (its `ctwa_clid`), else a website event for a chat whose visit came with `fbclid`.
fn meta(dest: &Destination, event: &Event, name: &str, card: Option<&SourceCard>) -> Built {
    let Some(card) = card else {
        return Built::Skip("the dialog is gone (erased) or there is none yet".into());
    };
    let mut e = Map::new();
    e.insert("event_name".into(), name.into());
    e.insert(
        "event_time".into(),
        event.occurred_at.div_euclid(1000).into(),
    );
    e.insert("event_id".into(), event.event_id.to_string().into());
    let ctwa = card.referral.as_ref().and_then(|r| r.ctwa_clid.clone());
    if let Some(ctwa_clid) = ctwa {
        let Some(waba) = dest.setting("whatsapp_business_account_id") else {
            return Built::Skip(
                "a Click-to-WhatsApp chat needs the setting whatsapp_business_account_id".into(),
            );
        };
        e.insert("action_source".into(), "business_messaging".into());
        e.insert("messaging_channel".into(), "whatsapp".into());
        e.insert(
            "user_data".into(),
            json!({"whatsapp_business_account_id": waba, "ctwa_clid": ctwa_clid}),
        );
    } else if let Some(fbclid) = click_id(card, "fbclid") {
        let session = card
            .session
            .as_ref()
            .expect("a click id comes with its session");
        if !session.ads_consent {
            return Built::Skip("the visitor denied advertising consent".into());
        }
        let mut user = Map::new();
        user.insert(
            "fbc".into(),
            format!("fb.1.{}.{fbclid}", session.started_at).into(),
        );
        if let Some(ph) = card.contact.phone.as_deref().and_then(hashed_phone) {
            user.insert("ph".into(), json!([ph]));
        }
        e.insert("action_source".into(), "website".into());
        e.insert(
            "event_source_url".into(),
            session.landing_page.clone().into(),
        );
        e.insert("user_data".into(), user.into());
    } else {
        return Built::Skip(
            "neither a Click-to-WhatsApp ad (ctwa_clid) nor a website visit with fbclid".into(),
        );
    }
    let mut custom = Map::new();
    money(event, &mut custom);
    if !custom.is_empty() {
        e.insert("custom_data".into(), custom.into());
    }
    let mut body = json!({"data": [e], "partner_agent": "chatrail"});
    if let Some(code) = dest.setting("test_event_code") {
        body["test_event_code"] = code.into();
    }
    let dataset = dest.setting("dataset_id").unwrap_or_default();
    let token = dest.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    Built::Send(Outgoing {
        url: format!(
            "{}/{dataset}/events?access_token={}",
            dest.endpoint,
            encode(token)
        ),
        headers: Vec::new(),
        body: serde_json::to_vec(&body).expect("JSON of JSON"),
    })
}

/// GA4's Measurement Protocol: the event under the visitor's GA client id (and session id),
/// backdated to when it happened.
fn ga4(dest: &Destination, event: &Event, name: &str, card: Option<&SourceCard>) -> Built {
    let Some(session) = card.and_then(|c| c.session.as_ref()) else {
        return Built::Skip("the dialog has no website visit".into());
    };
    let Some(client_id) = session.ga_client_id.clone() else {
        return Built::Skip("the visit carried no GA4 client id (no _ga cookie)".into());
    };
    if !session.ads_consent {
        return Built::Skip("the visitor denied advertising consent".into());
    }
    let mut params = Map::new();
    if let Some(id) = &session.ga_session_id {
        params.insert("session_id".into(), id.clone().into());
    }
    params.insert("engagement_time_msec".into(), 100.into());
    money(event, &mut params);
    if event.value().is_some() {
        params.insert("transaction_id".into(), event.event_id.to_string().into());
    }
    let body = json!({
        "client_id": client_id,
        "timestamp_micros": event.occurred_at * 1000,
        "events": [{"name": name, "params": params}],
    });
    let measurement = dest.setting("measurement_id").unwrap_or_default();
    let secret = dest.secret.as_ref().map(|s| s.expose()).unwrap_or_default();
    Built::Send(Outgoing {
        url: format!(
            "{}/mp/collect?measurement_id={}&api_secret={}",
            dest.endpoint,
            encode(measurement),
            encode(secret)
        ),
        headers: Vec::new(),
        body: serde_json::to_vec(&body).expect("JSON of JSON"),
    })
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_hashed_as_meta_normalises_them() {
        // Meta: digits with the country code, no "+", no leading zeros.
        let a = hashed_phone("+44 7700 900123").unwrap();
        assert_eq!(a, hashed_phone("00447700900123").unwrap());
        assert_eq!(a, hex::encode(Sha256::digest(b"447700900123")));
        assert_eq!(hashed_phone("12"), None);
    }
}
