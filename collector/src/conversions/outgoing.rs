//! What a delivery comes to (a request to make, or a reason to make none), and the pieces of
//! a dialog's source card the platforms' requests share.

use serde_json::{Map, Value};

use crate::domain::conversion::Event;
use crate::storage::SourceCard;

/// An HTTP request to make. Its URL may hold a credential (Meta's access token, GA4's API
/// secret): it is never logged nor shown.
#[derive(Debug)]
pub struct Outgoing {
    /// Where to `POST`.
    pub url: String,
    /// Headers; `content-type` is `application/json` unless one is given here.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// What to do with a delivery.
#[derive(Debug)]
pub enum Built {
    /// Send this.
    Send(Outgoing),
    /// Nothing can be sent, for this reason (shown in the delivery log).
    Skip(String),
}

/// One click id of the session's (`gclid`, `fbclid` …), from its JSON object.
pub fn click_id(card: &SourceCard, key: &str) -> Option<String> {
    let ids: Map<String, Value> =
        serde_json::from_str(card.session.as_ref()?.click_ids.as_deref()?).ok()?;
    ids.get(key)?.as_str().map(str::to_owned)
}

/// `custom_data` (Meta) or GA4 params of a won event: value and currency.
pub fn money(event: &Event, into: &mut Map<String, Value>) {
    if let Some((value, currency)) = event.value() {
        into.insert("value".into(), value.into());
        into.insert("currency".into(), currency.into());
    }
}
