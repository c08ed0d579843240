//! Destinations: where a site's conversions go, what each needs, and which events it gets
//! under which names.

use std::collections::BTreeMap;
use std::time::Duration;

use uuid::Uuid;

use super::checks::{
    check_url, client_id, digits, flag, measurement_id, token, url, GoogleCredentials,
};
use super::event::{Event, EventKind, Trigger};
use crate::domain::names::closed_names;
use crate::domain::secret::Secret;

/// The platforms chatrail sends to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// An HTTPS endpoint of the site's own (a CRM), signed per Standard Webhooks.
    Webhook,
    /// Meta's Conversions API (Click-to-WhatsApp chats and website chats with `fbclid`).
    Meta,
    /// GA4's Measurement Protocol.
    Ga4,
    /// Google Ads offline click conversions, through Google's Data Manager API.
    GoogleAds,
    /// Yandex Metrica's offline conversions (and chats) upload.
    YandexMetrica,
}

closed_names!(DestinationKind, "destination kind", {
    Webhook = "webhook",
    Meta = "meta",
    Ga4 = "ga4",
    GoogleAds = "google_ads",
    YandexMetrica = "yandex_metrica",
});

/// A setting's name and the check of its value.
type Setting = (&'static str, fn(&str) -> bool);

const DAY: Duration = Duration::from_secs(86_400);

impl DestinationKind {
    /// How long after its event a delivery is still worth trying: Meta takes events up to
    /// 7 days old, GA4 backdates up to 72 hours; a webhook is retried for 3 days, as
    /// Standard Webhooks senders do; Google Ads takes a click's conversions for up to 90
    /// days (the longest click-through window of a conversion action).
    pub fn window(self) -> Duration {
        match self {
            DestinationKind::Webhook => 3 * DAY,
            DestinationKind::Meta => 7 * DAY,
            DestinationKind::Ga4 => 3 * DAY,
            DestinationKind::GoogleAds => 90 * DAY,
            // Metrica attaches a conversion at most 21 days after the visit.
            DestinationKind::YandexMetrica => 21 * DAY,
        }
    }

    /// Where requests go unless the destination names another base URL.
    pub fn default_endpoint(self) -> Option<&'static str> {
        match self {
            DestinationKind::Webhook => None,
            DestinationKind::Meta => Some("https://graph.facebook.com/v21.0"),
            DestinationKind::Ga4 => Some("https://www.google-analytics.com"),
            DestinationKind::GoogleAds => Some("https://datamanager.googleapis.com"),
            DestinationKind::YandexMetrica => Some("https://api-metrika.yandex.net"),
        }
    }

    /// The settings it needs, with a check of each value.
    fn required_settings(self) -> &'static [Setting] {
        match self {
            DestinationKind::Webhook => &[],
            DestinationKind::Meta => &[("dataset_id", digits)],
            DestinationKind::Ga4 => &[("measurement_id", measurement_id)],
            DestinationKind::GoogleAds => &[("customer_id", digits), ("client_id", client_id)],
            DestinationKind::YandexMetrica => &[("counter_id", digits)],
        }
    }

    /// The settings it may have.
    fn optional_settings(self) -> &'static [Setting] {
        match self {
            DestinationKind::Webhook => &[],
            DestinationKind::Meta => &[
                ("whatsapp_business_account_id", digits),
                ("test_event_code", token),
            ],
            DestinationKind::Ga4 => &[],
            DestinationKind::GoogleAds => &[("login_customer_id", digits), ("token_url", url)],
            DestinationKind::YandexMetrica => &[("chats", flag)],
        }
    }

    /// The events it gets unless told otherwise, by their names there.
    pub fn default_events(self) -> BTreeMap<String, String> {
        let pairs: &[(&str, &str)] = match self {
            DestinationKind::Webhook => &[
                ("started", "dialog.started"),
                ("matched", "dialog.matched"),
                ("outcome", "outcome.changed"),
            ],
            // Meta's business-messaging event names (a plain `Lead` is refused there).
            DestinationKind::Meta => &[
                ("started", "LeadSubmitted"),
                ("stage:qualified", "QualifiedLead"),
                ("won", "Purchase"),
            ],
            // GA4's recommended lead events.
            DestinationKind::Ga4 => &[
                ("started", "generate_lead"),
                ("stage:qualified", "qualify_lead"),
                ("won", "purchase"),
            ],
            // Names there are conversion actions' ids: the site's own, none by default.
            DestinationKind::GoogleAds => &[],
            // Goal identifiers of the counter (JavaScript-event goals).
            DestinationKind::YandexMetrica => &[("started", "chat_started"), ("won", "purchase")],
        };
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }
}

/// A destination as stored.
#[derive(Debug, Clone)]
pub struct Destination {
    /// Its id.
    pub destination_id: Uuid,
    /// The site.
    pub site_id: Uuid,
    /// The platform.
    pub kind: DestinationKind,
    /// Its name in the site's settings.
    pub name: String,
    /// The base URL requests go to (the platform's unless overridden; the webhook's URL).
    pub endpoint: String,
    /// Ids and names the platform needs, which may be shown.
    pub settings: BTreeMap<String, String>,
    /// The credential (access token, API secret, signing secret); never shown back.
    pub secret: Option<Secret>,
    /// Trigger → the event's name there.
    pub events: BTreeMap<String, String>,
    /// Whether events are sent.
    pub enabled: bool,
}

impl Destination {
    /// The name `event` has at this destination, if it takes it: the most specific trigger
    /// the event fires that the destination lists.
    pub fn name_for(&self, event: &Event) -> Option<&str> {
        // A test goes to the destination asked for: `test` at a webhook, else the name of
        // its first event (a dialog's start, where it takes it).
        if event.kind == EventKind::Test {
            return match self.kind {
                DestinationKind::Webhook => Some("test"),
                _ => self
                    .events
                    .get("started")
                    .or_else(|| self.events.values().next())
                    .map(String::as_str),
            };
        }
        event
            .triggers()
            .iter()
            .find_map(|t| self.events.get(&t.to_string()))
            .map(String::as_str)
    }

    /// The destination as its creation answers it (API and CLI): never its secret, but one
    /// [`NewDestination::check`] made up (`made_up`), shown this once.
    pub fn as_created(&self, made_up: bool) -> serde_json::Value {
        let mut out = serde_json::json!({
            "destination_id": self.destination_id,
            "kind": self.kind,
            "name": self.name,
            "endpoint": self.endpoint,
            "settings": self.settings,
            "events": self.events,
            "enabled": self.enabled,
        });
        if made_up {
            out["secret"] = self.secret.as_ref().map(|s| s.expose()).into();
        }
        out
    }

    /// A setting's value.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(String::as_str)
    }
}

/// A destination as asked for: checked by [`NewDestination::check`].
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDestination {
    /// `webhook`, `meta`, `ga4`, `google_ads` or `yandex_metrica`.
    pub kind: DestinationKind,
    /// 1–60 characters.
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// A base URL overriding the platform's (tests, proxies); a webhook's URL (required).
    #[schema(max_length = 500)]
    pub endpoint: Option<String>,
    /// Meta: `dataset_id` (required), `whatsapp_business_account_id` (for Click-to-WhatsApp
    /// chats), `test_event_code`. GA4: `measurement_id` (`G-…`, required). Google Ads:
    /// `customer_id`, `client_id` (required), `login_customer_id`, `token_url`. Yandex
    /// Metrica: `counter_id` (required), `chats` (`true`: a dialog's start as a chat).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Meta: the access token; GA4: the API secret; Google Ads: `{"client_secret": "…",
    /// "refresh_token": "…"}`; Yandex Metrica: the OAuth token; webhook: a `whsec_…` signing secret
    /// (made up when left out, shown once). Never shown back.
    #[schema(max_length = 1000)]
    pub secret: Option<String>,
    /// Trigger (`started`, `matched`, `outcome`, `won`, `stage:NAME`) → the event's name
    /// there; the platform's usual names when left out.
    pub events: Option<BTreeMap<String, String>>,
}

impl NewDestination {
    /// Whether [`NewDestination::check`] makes up the secret (a webhook given none).
    pub fn makes_up_secret(&self) -> bool {
        self.kind == DestinationKind::Webhook && self.secret.is_none()
    }

    /// Checks every field; the destination to store, or what is wrong with it.
    pub fn check(self, site_id: Uuid) -> Result<Destination, String> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err("name must be 1-60 characters, none of them a control character".into());
        }
        let endpoint = match (self.endpoint.as_deref().map(str::trim), self.kind) {
            (Some(url), _) => check_url(url)?,
            (None, kind) => kind
                .default_endpoint()
                .ok_or("a webhook needs its endpoint URL")?
                .to_owned(),
        };
        for (key, value) in &self.settings {
            let known = self.kind.required_settings().iter();
            let check = known
                .chain(self.kind.optional_settings())
                .find(|(k, _)| k == key)
                .ok_or_else(|| format!("{} takes no setting {key:?}", self.kind))?;
            if !(check.1)(value) {
                return Err(format!("setting {key} {value:?} is malformed"));
            }
        }
        if let Some((key, _)) = self
            .kind
            .required_settings()
            .iter()
            .find(|(k, _)| !self.settings.contains_key(*k))
        {
            return Err(format!("{} needs setting {key}", self.kind));
        }
        let secret = match (self.secret, self.kind) {
            (Some(s), _) if s.trim().is_empty() || s.len() > 1000 => {
                return Err("secret must be 1-1000 characters".into())
            }
            (Some(s), DestinationKind::Webhook) => {
                super::webhook::signing_key(&s)?;
                s
            }
            (Some(s), DestinationKind::GoogleAds) => {
                GoogleCredentials::parse(&s)?;
                s
            }
            (Some(s), _) => s,
            (None, DestinationKind::Webhook) => super::webhook::new_secret(),
            (None, kind) => return Err(format!("{kind} needs its secret")),
        };
        let events = self.events.unwrap_or_else(|| self.kind.default_events());
        let ads = self.kind == DestinationKind::GoogleAds;
        if ads && (events.is_empty() || !events.values().all(|v| digits(v))) {
            return Err("google_ads events name conversion actions by their ids: \
                        {\"won\": \"123456789\"}"
                .into());
        }
        if events.is_empty() || events.len() > 30 {
            return Err("events must list 1-30 triggers".into());
        }
        for (trigger, there) in &events {
            Trigger::parse(trigger)?;
            if there.trim().is_empty() || there.chars().count() > 100 {
                return Err(format!(
                    "the name of event {trigger} must be 1-100 characters"
                ));
            }
        }
        Ok(Destination {
            destination_id: Uuid::now_v7(),
            site_id,
            kind: self.kind,
            name: name.to_owned(),
            endpoint,
            settings: self.settings,
            secret: Some(Secret::from(secret)),
            events,
            enabled: true,
        })
    }
}

/// Changes to a stored destination: each field left out (or `null`) keeps its value, each
/// given replaces it whole (`settings`, `events`), and the result is checked as a new
/// destination is ([`NewDestination::check`]). A secret left out or `null` keeps the stored
/// one (every kind needs one); its kind cannot change.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationPatch {
    /// The destination's own kind, if given: a kind cannot be changed (add another
    /// destination instead).
    pub kind: Option<DestinationKind>,
    /// 1–60 characters.
    #[schema(min_length = 1, max_length = 60)]
    pub name: Option<String>,
    /// `false` pauses it: no new events, and its pending deliveries are held until it is
    /// enabled again.
    pub enabled: Option<bool>,
    /// A base URL overriding the platform's; a webhook's URL. Left out, the stored one stays;
    /// `null` resets it to the platform's own (a webhook has none: it needs its URL).
    #[schema(max_length = 500, value_type = Option<String>, nullable)]
    #[serde(default, deserialize_with = "given")]
    pub endpoint: Option<Option<String>>,
    /// Replaces every setting (the same as on creation).
    pub settings: Option<BTreeMap<String, String>>,
    /// A new credential (a webhook's: `whsec_…`); left out or `null`, the stored one stays.
    /// Never shown back.
    #[schema(max_length = 1000)]
    pub secret: Option<String>,
    /// Replaces the events it gets: trigger → the event's name there.
    pub events: Option<BTreeMap<String, String>>,
}

/// A field given, `null` included (`Some(None)`); left out it is `None` (`serde(default)`).
fn given<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl DestinationPatch {
    /// `stored` with these changes, checked as a new destination is; or what is wrong.
    pub fn apply(self, stored: &Destination) -> Result<Destination, String> {
        if self.kind.is_some_and(|k| k != stored.kind) {
            return Err(format!(
                "kind cannot be changed (this one is {}): add another destination",
                stored.kind
            ));
        }
        let checked = NewDestination {
            kind: stored.kind,
            name: self.name.unwrap_or_else(|| stored.name.clone()),
            endpoint: self
                .endpoint
                .unwrap_or_else(|| Some(stored.endpoint.clone())),
            settings: self.settings.unwrap_or_else(|| stored.settings.clone()),
            secret: self
                .secret
                .or_else(|| stored.secret.as_ref().map(|s| s.expose().to_owned())),
            events: Some(self.events.unwrap_or_else(|| stored.events.clone())),
        }
        .check(stored.site_id)?;
        Ok(Destination {
            destination_id: stored.destination_id,
            enabled: self.enabled.unwrap_or(stored.enabled),
            ..checked
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> NewDestination {
        NewDestination {
            kind: DestinationKind::Meta,
            name: "Meta ads".into(),
            endpoint: None,
            settings: [("dataset_id".to_owned(), "123".to_owned())].into(),
            secret: Some("EAAB".into()),
            events: None,
        }
    }

    #[test]
    fn a_destination_is_checked_field_by_field() {
        let d = meta().check(Uuid::nil()).unwrap();
        assert_eq!(d.endpoint, "https://graph.facebook.com/v21.0");
        assert_eq!(d.events["won"], "Purchase");
        let mut no_token = meta();
        no_token.secret = None;
        assert_eq!(
            no_token.check(Uuid::nil()).unwrap_err(),
            "meta needs its secret"
        );
        let mut bad = meta();
        bad.settings.insert("dataset_id".into(), "12a".into());
        assert!(bad.check(Uuid::nil()).unwrap_err().contains("dataset_id"));
        let mut unknown = meta();
        unknown.settings.insert("pixel".into(), "1".into());
        assert!(unknown.check(Uuid::nil()).unwrap_err().contains("pixel"));
        let mut creds = meta();
        creds.endpoint = Some("https://u:p@example.com".into());
        assert!(creds.check(Uuid::nil()).is_err());
    }

    #[test]
    fn google_ads_needs_its_credentials_and_conversion_action_ids() {
        let ads = |secret: &str, events: Option<BTreeMap<String, String>>| NewDestination {
            kind: DestinationKind::GoogleAds,
            name: "Ads".into(),
            endpoint: None,
            settings: [("customer_id", "123"), ("client_id", "c.apps")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            secret: Some(secret.into()),
            events,
        };
        let creds = r#"{"client_secret": "s", "refresh_token": "r"}"#;
        let won = || Some([("won".to_owned(), "456".to_owned())].into());
        assert!(ads(creds, won()).check(Uuid::nil()).is_ok());
        let e = ads("r-only", won()).check(Uuid::nil()).unwrap_err();
        assert!(e.contains("client_secret") && !e.contains("r-only"), "{e}");
        assert!(ads(creds, None)
            .check(Uuid::nil())
            .unwrap_err()
            .contains("ids"));
        let named = Some([("won".to_owned(), "Purchase".to_owned())].into());
        assert!(ads(creds, named).check(Uuid::nil()).is_err());
    }

    #[test]
    fn a_webhook_needs_a_url_and_gets_a_secret() {
        let hook = NewDestination {
            kind: DestinationKind::Webhook,
            name: "CRM".into(),
            endpoint: None,
            settings: BTreeMap::new(),
            secret: None,
            events: None,
        };
        assert!(hook.clone().check(Uuid::nil()).is_err());
        let d = NewDestination {
            endpoint: Some("https://crm.example/hooks/".into()),
            ..hook
        }
        .check(Uuid::nil())
        .unwrap();
        assert_eq!(d.endpoint, "https://crm.example/hooks");
        assert!(d.secret.unwrap().expose().starts_with("whsec_"));
    }

    #[test]
    fn a_patch_keeps_what_it_leaves_out_and_is_checked_as_a_new_one() {
        let stored = meta().check(Uuid::nil()).unwrap();
        let paused = DestinationPatch {
            enabled: Some(false),
            name: Some(" Meta 2 ".into()),
            ..Default::default()
        }
        .apply(&stored)
        .unwrap();
        assert_eq!(paused.destination_id, stored.destination_id);
        assert!(!paused.enabled);
        assert_eq!(paused.name, "Meta 2");
        assert_eq!(paused.secret.unwrap().expose(), "EAAB");
        assert_eq!(paused.events, stored.events);
        let kind = DestinationPatch {
            kind: Some(DestinationKind::Ga4),
            ..Default::default()
        };
        assert!(kind.apply(&stored).unwrap_err().contains("kind"));
        let settings = DestinationPatch {
            settings: Some(BTreeMap::new()),
            ..Default::default()
        };
        assert!(settings.apply(&stored).unwrap_err().contains("dataset_id"));
        let secret = DestinationPatch {
            secret: Some(" ".into()),
            ..Default::default()
        };
        assert!(secret.apply(&stored).is_err());
    }
}
