//! Google Ads offline click conversions through Google's Data Manager API (`events:ingest`,
//! <https://developers.google.com/data-manager/api/reference/rest/v1/events/ingest>): the
//! conversion action is the event's name at the destination, the click the session's
//! `gclid`, `gbraid` or `wbraid`, the event's id its `transactionId` (Google deduplicates on
//! it). The access token comes from [`super::oauth`].

use serde_json::{json, Map, Value};

use super::outgoing::{click_id, money, Built, Outgoing};
use crate::domain::conversion::{Destination, Event};
use crate::domain::rfc3339_ms;
use crate::storage::SourceCard;

/// Google's OAuth token endpoint, unless the destination's `token_url` names another.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";

/// The `events:ingest` request (without its `Authorization`, added by the sender).
pub fn build(dest: &Destination, event: &Event, action: &str, card: Option<&SourceCard>) -> Built {
    let Some(session) = card.and_then(|c| c.session.as_ref()) else {
        return Built::Skip("the dialog has no website visit".into());
    };
    let card = card.expect("a session comes with its card");
    let mut ids = Map::new();
    for key in ["gclid", "gbraid", "wbraid"] {
        if let Some(id) = click_id(card, key) {
            ids.insert(key.into(), id.into());
        }
    }
    if ids.is_empty() {
        return Built::Skip(
            "the visit came with no Google click id (gclid, gbraid, wbraid)".into(),
        );
    }
    if !session.ads_consent {
        return Built::Skip("the visitor denied advertising consent".into());
    }
    let account = |id: &str| json!({"accountType": "GOOGLE_ADS", "accountId": id});
    let mut destination = json!({
        "operatingAccount": account(dest.setting("customer_id").unwrap_or_default()),
        "productDestinationId": action,
    });
    if let Some(login) = dest.setting("login_customer_id") {
        destination["loginAccount"] = account(login);
    }
    let mut e = Map::new();
    e.insert("adIdentifiers".into(), ids.into());
    e.insert(
        "eventTimestamp".into(),
        rfc3339_ms(event.occurred_at).into(),
    );
    e.insert("transactionId".into(), event.event_id.to_string().into());
    e.insert("eventSource".into(), "WEB".into());
    let mut money_of = Map::new();
    money(event, &mut money_of);
    if let (Some(value), Some(currency)) = (money_of.remove("value"), money_of.remove("currency")) {
        e.insert("conversionValue".into(), value);
        e.insert("currency".into(), currency);
    }
    let body: Value = json!({"destinations": [destination], "events": [e]});
    Built::Send(Outgoing {
        url: format!("{}/v1/events:ingest", dest.endpoint),
        headers: Vec::new(),
        body: serde_json::to_vec(&body).expect("JSON of JSON"),
    })
}
