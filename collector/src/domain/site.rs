//! Sites: the tenants. One site never sees another's data.

use chatrail_core::beacon::PageRule;
use chatrail_core::links::{normalize_bot, DEFAULT_TEMPLATE};
use chatrail_core::phone::normalize_number;
use uuid::Uuid;

use super::secret::{sha256_hex, Secret};
use crate::enrich::channel::{ChannelRule, RuleError};

/// The internal id of a site; part of every stored key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SiteId(pub Uuid);

/// A number whose chat links are tracked, with how providers identify it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TrackedNumber {
    /// Digits only, international format.
    pub number: String,
    /// The WhatsApp Cloud API `phone_number_id` of this number, when known.
    pub wa_phone_number_id: Option<String>,
}

/// A registered site.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Site {
    /// Internal id.
    pub id: SiteId,
    /// Public key used in the script tag.
    pub key: String,
    /// Display name.
    pub name: String,
    /// The site's own domains (internal referrers).
    pub domains: Vec<String>,
    /// Message template with `{text}` and `{code}`.
    pub template: String,
    /// Tracked numbers.
    pub numbers: Vec<TrackedNumber>,
    /// The site's own channel rules, checked before the default channel group.
    #[serde(serialize_with = "rules_as_text")]
    pub channel_rules: Vec<ChannelRule>,
    /// Telegram bots (lower-case usernames) whose `t.me` links carry the code.
    pub bots: Vec<String>,
    /// Starter phrases (and templates) per page path, first match wins.
    pub pages: Vec<PageRule>,
    /// WhatsApp app secret for `X-Hub-Signature-256` (needed in clear to compute the HMAC).
    #[serde(skip)]
    pub wa_app_secret: Option<Secret>,
    /// SHA-256 of the webhook verify token.
    #[serde(skip)]
    pub wa_verify_token_hash: Option<String>,
    /// Providers other than the Cloud API.
    #[serde(flatten)]
    pub providers: ProviderSettings,
}

/// A site's Twilio and Telegram settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProviderSettings {
    /// Twilio auth token for `X-Twilio-Signature` (needed in clear to compute the HMAC).
    #[serde(skip)]
    pub twilio_auth_token: Option<Secret>,
    /// The exact URL configured in Twilio, when it differs from `CHATRAIL_PUBLIC_URL` + path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twilio_webhook_url: Option<String>,
    /// Telegram bot username, lower-case, without `@`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_bot: Option<String>,
    /// SHA-256 hex of the Telegram webhook secret token.
    #[serde(skip)]
    pub telegram_secret_hash: Option<String>,
}

fn rules_as_text<S: serde::Serializer>(rules: &[ChannelRule], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rules.iter().map(ToString::to_string))
}

impl Site {
    /// The tracked number equal to `number` once normalised (any notation, `whatsapp:+…`).
    pub fn tracked_digits(&self, number: &str) -> Option<&str> {
        let digits = normalize_number(number)?;
        self.numbers
            .iter()
            .find(|n| n.number == digits)
            .map(|n| n.number.as_str())
    }

    /// The tracked number a provider reports as the receiving business number, if any.
    pub fn tracked_number(&self, phone_number_id: &str, display_number: &str) -> Option<&str> {
        let display = normalize_number(display_number);
        self.numbers
            .iter()
            .find(|n| {
                n.wa_phone_number_id.as_deref() == Some(phone_number_id)
                    || display.as_deref() == Some(n.number.as_str())
            })
            .map(|n| n.number.as_str())
    }
}

/// A site to be created, validated.
#[derive(Debug, Clone)]
pub struct NewSite {
    /// Public key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Own domains, lower-case.
    pub domains: Vec<String>,
    /// Message template.
    pub template: String,
    /// Tracked numbers.
    pub numbers: Vec<TrackedNumber>,
    /// Channel rules, in order.
    pub channel_rules: Vec<ChannelRule>,
    /// Telegram bots, normalised.
    pub bots: Vec<String>,
    /// Page rules.
    pub pages: Vec<PageRule>,
    /// WhatsApp app secret.
    pub wa_app_secret: Option<Secret>,
    /// SHA-256 hex of the verify token.
    pub wa_verify_token_hash: Option<String>,
    /// Twilio and Telegram settings.
    pub providers: ProviderSettings,
}

/// Why a site definition was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SiteError {
    /// Keys are 3–40 characters of `a-z 0-9 -`.
    #[error("site key must be 3-40 characters of a-z, 0-9 and '-', got {0:?}")]
    BadKey(String),
    /// A number that is not a phone number.
    #[error("{0:?} is not a phone number (7-15 digits in international format)")]
    BadNumber(String),
    /// A template without `{code}` would lose the session code.
    #[error("the message template must contain {{code}}")]
    TemplateWithoutCode,
    /// A channel rule that does not parse.
    #[error(transparent)]
    BadChannelRule(#[from] RuleError),
    /// Not an absolute http(s) URL.
    #[error("the Twilio webhook URL must be an absolute http(s) URL, got {0:?}")]
    BadUrl(String),
    /// Telegram's rules for bot usernames.
    #[error("{0:?} is not a Telegram bot username (5-32 of A-Z, a-z, 0-9, _, ending in 'bot')")]
    BadBot(String),
    /// Telegram's rules for `secret_token`.
    #[error("the Telegram secret token must be 1-256 characters of A-Z, a-z, 0-9, _ and -")]
    BadSecretToken,
    /// A bot without a secret, or a secret without a bot.
    #[error("a Telegram bot needs both its username and a secret token")]
    TelegramIncomplete,
    /// A page rule is `PATH=TEXT` with an absolute path (or `*`).
    #[error("page rule {0:?} must be PATH=TEXT with PATH starting with '/' (or '*')")]
    BadPage(String),
}

/// The raw input of a site definition (CLI or API).
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    /// Public key.
    pub key: String,
    /// Display name (defaults to the key).
    pub name: Option<String>,
    /// Own domains.
    pub domains: Vec<String>,
    /// Numbers, any common notation; `number=phone_number_id` binds a Cloud API id.
    pub numbers: Vec<String>,
    /// Template (defaults to [`DEFAULT_TEMPLATE`]).
    pub template: Option<String>,
    /// Telegram bot usernames (`@` optional).
    pub bots: Vec<String>,
    /// Starter phrases per page: `PATH=TEXT` (`/prices`, `/kids/*`, `*`).
    pub pages: Vec<String>,
    /// Templates per page: `PATH=TEMPLATE`, for pages in another language.
    pub page_templates: Vec<String>,
    /// WhatsApp app secret.
    pub wa_app_secret: Option<Secret>,
    /// WhatsApp verify token (hashed before storage).
    pub wa_verify_token: Option<Secret>,
    /// Channel rules as text, e.g. `source=partner-* & medium=cpa -> Affiliates`.
    pub channel_rules: Vec<String>,
    /// Twilio auth token.
    pub twilio_auth_token: Option<Secret>,
    /// The Twilio webhook URL exactly as configured in Twilio (optional).
    pub twilio_webhook_url: Option<String>,
    /// Telegram bot username (with or without `@`).
    pub telegram_bot: Option<String>,
    /// Telegram webhook secret token (hashed before storage).
    pub telegram_secret_token: Option<Secret>,
}

impl NewSite {
    /// Validates a site definition.
    pub fn parse(input: SiteInput) -> Result<NewSite, SiteError> {
        let key_ok = (3..=40).contains(&input.key.len())
            && input
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !key_ok {
            return Err(SiteError::BadKey(input.key));
        }
        let numbers = input
            .numbers
            .iter()
            .map(|raw| {
                let (number, id) = match raw.split_once('=') {
                    Some((n, id)) => (n, Some(id.trim().to_owned())),
                    None => (raw.as_str(), None),
                };
                normalize_number(number)
                    .map(|number| TrackedNumber {
                        number,
                        wa_phone_number_id: id.filter(|s| !s.is_empty()),
                    })
                    .ok_or_else(|| SiteError::BadNumber(raw.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let providers = ProviderSettings::parse(&input)?;
        let template = input
            .template
            .unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned());
        if !template.contains("{code}") {
            return Err(SiteError::TemplateWithoutCode);
        }
        let channel_rules = input
            .channel_rules
            .iter()
            .map(|r| ChannelRule::parse(r))
            .collect::<Result<Vec<_>, _>>()?;
        let bots = input
            .bots
            .iter()
            .map(|b| normalize_bot(b).ok_or_else(|| SiteError::BadBot(b.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        let pages = page_rules(&input.pages, &input.page_templates)?;
        Ok(NewSite {
            name: input.name.unwrap_or_else(|| input.key.clone()),
            key: input.key,
            domains: input
                .domains
                .iter()
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            template,
            numbers,
            channel_rules,
            bots,
            pages,
            wa_app_secret: input.wa_app_secret.filter(|s| !s.expose().is_empty()),
            wa_verify_token_hash: input
                .wa_verify_token
                .filter(|s| !s.expose().is_empty())
                .map(|t| sha256_hex(t.expose())),
            providers,
        })
    }
}

impl ProviderSettings {
    fn parse(input: &SiteInput) -> Result<ProviderSettings, SiteError> {
        let non_empty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let twilio_webhook_url = non_empty(&input.twilio_webhook_url)
            .map(|raw| match url::Url::parse(&raw) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(raw),
                _ => Err(SiteError::BadUrl(raw)),
            })
            .transpose()?;
        let telegram_bot = non_empty(&input.telegram_bot)
            .map(|raw| {
                let name = raw.trim_start_matches('@');
                let ok = (5..=32).contains(&name.len())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && name.to_ascii_lowercase().ends_with("bot");
                ok.then(|| name.to_ascii_lowercase())
                    .ok_or(SiteError::BadBot(raw))
            })
            .transpose()?;
        let secret = input
            .telegram_secret_token
            .as_ref()
            .map(Secret::expose)
            .filter(|s| !s.is_empty());
        if let Some(secret) = secret {
            let ok = secret.len() <= 256
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(SiteError::BadSecretToken);
            }
        }
        if telegram_bot.is_some() != secret.is_some() {
            return Err(SiteError::TelegramIncomplete);
        }
        Ok(ProviderSettings {
            twilio_auth_token: input
                .twilio_auth_token
                .as_ref()
                .map(|t| t.expose().trim())
                .filter(|t| !t.is_empty())
                .map(Secret::from),
            twilio_webhook_url,
            telegram_bot,
            telegram_secret_hash: secret.map(sha256_hex),
        })
    }
}

/// Page rules from `PATH=TEXT` and `PATH=TEMPLATE` lines, in the order paths first appear.
fn page_rules(texts: &[String], templates: &[String]) -> Result<Vec<PageRule>, SiteError> {
    let mut rules: Vec<PageRule> = Vec::new();
    for (raw, is_template) in texts
        .iter()
        .map(|t| (t, false))
        .chain(templates.iter().map(|t| (t, true)))
    {
        let (path, value) = raw
            .split_once('=')
            .filter(|(p, _)| p.starts_with('/') || *p == "*")
            .ok_or_else(|| SiteError::BadPage(raw.clone()))?;
        if is_template && !value.contains("{code}") {
            return Err(SiteError::TemplateWithoutCode);
        }
        let rule = match rules.iter_mut().find(|r| r.path == path) {
            Some(rule) => rule,
            None => {
                rules.push(PageRule {
                    path: path.to_owned(),
                    ..PageRule::default()
                });
                rules.last_mut().expect("just pushed")
            }
        };
        match is_template {
            true => rule.template = Some(value.to_owned()),
            false => rule.text = value.to_owned(),
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(key: &str, numbers: &[&str]) -> SiteInput {
        SiteInput {
            key: key.into(),
            numbers: numbers.iter().map(|s| s.to_string()).collect(),
            ..SiteInput::default()
        }
    }

    #[test]
    fn numbers_are_normalised_and_bound_to_cloud_api_ids() {
        let site = NewSite::parse(input(
            "shop",
            &["+7 (900) 123-45-67", "44 7700 900123=2211"],
        ))
        .unwrap();
        assert_eq!(site.numbers[0].number, "79001234567");
        assert_eq!(site.numbers[1].wa_phone_number_id.as_deref(), Some("2211"));
        assert_eq!(site.template, DEFAULT_TEMPLATE);
    }

    #[test]
    fn bots_and_page_rules_are_parsed() {
        let mut i = input("shop", &[]);
        i.bots = vec!["@Shop_Bot".into()];
        i.pages = vec!["/kids/*=Kids photo shoot?".into(), "*=Hello".into()];
        i.page_templates = vec!["/ru/*={text} (код {code})".into()];
        let site = NewSite::parse(i.clone()).unwrap();
        assert_eq!(site.bots, ["shop_bot"]);
        let paths: Vec<&str> = site.pages.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/kids/*", "*", "/ru/*"]);
        assert_eq!(site.pages[0].text, "Kids photo shoot?");
        assert_eq!(
            site.pages[2].template.as_deref(),
            Some("{text} (код {code})")
        );

        i.bots = vec!["no".into()];
        assert_eq!(
            NewSite::parse(i.clone()).unwrap_err(),
            SiteError::BadBot("no".into())
        );
        i.bots.clear();
        i.pages = vec!["kids=x".into()];
        assert!(matches!(
            NewSite::parse(i.clone()),
            Err(SiteError::BadPage(_))
        ));
        i.pages.clear();
        i.page_templates = vec!["/ru/*={text}".into()];
        assert_eq!(
            NewSite::parse(i).unwrap_err(),
            SiteError::TemplateWithoutCode
        );
    }

    #[test]
    fn bad_definitions_are_refused_with_the_reason() {
        assert_eq!(
            NewSite::parse(input("Shop!", &[])).unwrap_err(),
            SiteError::BadKey("Shop!".into())
        );
        assert!(matches!(
            NewSite::parse(input("shop", &["12"])),
            Err(SiteError::BadNumber(_))
        ));
        let mut no_code = input("shop", &[]);
        no_code.template = Some("{text}".into());
        assert_eq!(
            NewSite::parse(no_code).unwrap_err(),
            SiteError::TemplateWithoutCode
        );
        let mut bad_rule = input("shop", &[]);
        bad_rule.channel_rules = vec!["source=x".into()];
        assert!(matches!(
            NewSite::parse(bad_rule),
            Err(SiteError::BadChannelRule(_))
        ));
    }

    #[test]
    fn channel_rules_are_parsed_in_order() {
        let mut i = input("shop", &[]);
        i.channel_rules = vec![
            "source=partner-* -> Affiliates".into(),
            "referrer=*.forum.example -> Community".into(),
        ];
        let site = NewSite::parse(i).unwrap();
        assert_eq!(site.channel_rules.len(), 2);
        assert_eq!(site.channel_rules[1].channel.as_str(), "Community");
    }

    #[test]
    fn provider_settings_are_validated() {
        let mut ok = input("shop", &[]);
        ok.twilio_auth_token = Some("tok".into());
        ok.twilio_webhook_url = Some("https://c.example/webhooks/twilio?site=shop".into());
        ok.telegram_bot = Some("@Oak_Shop_Bot".into());
        ok.telegram_secret_token = Some("s3cr-et_".into());
        let site = NewSite::parse(ok.clone()).unwrap();
        assert_eq!(site.providers.telegram_bot.as_deref(), Some("oak_shop_bot"));
        assert_eq!(
            site.providers.telegram_secret_hash,
            Some(sha256_hex("s3cr-et_"))
        );
        let mut secret = ok.clone();
        secret.wa_app_secret = Some("app-s3cret".into());
        secret.twilio_auth_token = Some("tw1lio-t0ken".into());
        let site = NewSite::parse(secret.clone()).unwrap();
        let logged = format!("{site:?} {:?} {secret:?}", site.providers);
        for clear in ["app-s3cret", "tw1lio-t0ken", "s3cr-et_"] {
            assert!(!logged.contains(clear), "{logged}");
        }
        assert_eq!(site.wa_app_secret.unwrap().expose(), "app-s3cret");
        let with = |f: fn(&mut SiteInput)| {
            let mut i = ok.clone();
            f(&mut i);
            NewSite::parse(i).unwrap_err()
        };
        assert!(matches!(
            with(|i| i.twilio_webhook_url = Some("/webhooks/twilio".into())),
            SiteError::BadUrl(_)
        ));
        assert!(matches!(
            with(|i| i.telegram_bot = Some("oakshop".into())),
            SiteError::BadBot(_)
        ));
        assert_eq!(
            with(|i| i.telegram_secret_token = Some("has space".into())),
            SiteError::BadSecretToken
        );
        assert_eq!(
            with(|i| i.telegram_secret_token = None),
            SiteError::TelegramIncomplete
        );
    }
}
