//! The traffic channel of a session, following Google Analytics 4's default channel group.
//!
//! Classification runs in two steps, as in GA4:
//! 1. [`Traffic::derive`] works out a session's source, medium and campaign from its click
//!    ids, UTM tags and external referrer, and normalises them (`FB` → `facebook`,
//!    `Refferal` → `referral`, `l.facebook.com` → `facebook`);
//! 2. the site's own [`rules`] are tried in order, then GA4's default channel group
//!    ([`default_group`]), first match wins, so every session gets exactly one channel.
//!
//! The domain lists are data ([`lists`]); where chatrail departs from GA4, the reason is
//! written next to the rule (and listed in `collector/data/README.md`).

pub mod default_group;
pub mod lists;
pub mod rules;

use url::Url;

use super::attribution::Attribution;
use crate::text::clip;
use lists::Category;
pub use rules::{ChannelRule, RuleError};

/// A channel of the default group (GA4's, plus chatrail's two additions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// No source: typed, bookmarked, or the referrer was withheld.
    Direct,
    /// Campaigns that run across networks (Performance Max, Demand Gen).
    CrossNetwork,
    /// Paid placements on shopping sites.
    PaidShopping,
    /// Search ads.
    PaidSearch,
    /// Social-network ads.
    PaidSocial,
    /// Video ads.
    PaidVideo,
    /// Banners and other display ads.
    Display,
    /// Other paid traffic.
    PaidOther,
    /// Links from AI assistants (chatrail's addition).
    AiAssistants,
    /// Unpaid links from shopping sites.
    OrganicShopping,
    /// Unpaid links from social networks and messengers.
    OrganicSocial,
    /// Unpaid links from video sites.
    OrganicVideo,
    /// Unpaid search results.
    OrganicSearch,
    /// Links from other sites.
    Referral,
    /// E-mail.
    Email,
    /// Affiliate links.
    Affiliates,
    /// Audio ads and podcasts.
    Audio,
    /// Text messages.
    Sms,
    /// Mobile push notifications.
    MobilePush,
    /// Click-to-WhatsApp ads (chatrail's addition).
    ClickToWhatsApp,
    /// Tagged, but matching no rule.
    Unassigned,
}

impl Channel {
    /// Every channel of the default group.
    pub const ALL: [Channel; 21] = [
        Channel::Direct,
        Channel::CrossNetwork,
        Channel::PaidShopping,
        Channel::PaidSearch,
        Channel::PaidSocial,
        Channel::PaidVideo,
        Channel::Display,
        Channel::PaidOther,
        Channel::AiAssistants,
        Channel::OrganicShopping,
        Channel::OrganicSocial,
        Channel::OrganicVideo,
        Channel::OrganicSearch,
        Channel::Referral,
        Channel::Email,
        Channel::Affiliates,
        Channel::Audio,
        Channel::Sms,
        Channel::MobilePush,
        Channel::ClickToWhatsApp,
        Channel::Unassigned,
    ];

    /// The name stored and shown, GA4's where GA4 has the channel.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "Direct",
            Channel::CrossNetwork => "Cross-network",
            Channel::PaidShopping => "Paid Shopping",
            Channel::PaidSearch => "Paid Search",
            Channel::PaidSocial => "Paid Social",
            Channel::PaidVideo => "Paid Video",
            Channel::Display => "Display",
            Channel::PaidOther => "Paid Other",
            Channel::AiAssistants => "AI Assistants",
            Channel::OrganicShopping => "Organic Shopping",
            Channel::OrganicSocial => "Organic Social",
            Channel::OrganicVideo => "Organic Video",
            Channel::OrganicSearch => "Organic Search",
            Channel::Referral => "Referral",
            Channel::Email => "Email",
            Channel::Affiliates => "Affiliates",
            Channel::Audio => "Audio",
            Channel::Sms => "SMS",
            Channel::MobilePush => "Mobile Push Notifications",
            Channel::ClickToWhatsApp => "Click-to-WhatsApp",
            Channel::Unassigned => "Unassigned",
        }
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Channel {
    /// The default channel named exactly `name`, if any.
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A session's traffic channel: one of the default group, or a name of the site's own that
/// one of its rules gives. Stored and shown as [`TrafficChannel::as_str`]; a rule naming a
/// default channel gives that channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "String", into = "String")]
pub enum TrafficChannel {
    /// A channel of the default group.
    Default(Channel),
    /// A channel of the site's own (a valid rule's channel, see [`ChannelRule::parse`]).
    Custom(String),
}

impl TrafficChannel {
    /// The channel called `name`: a default one if it is one, else the site's own.
    pub fn named(name: &str) -> TrafficChannel {
        Channel::parse(name).map_or_else(|| TrafficChannel::Custom(name.to_owned()), Into::into)
    }

    /// The name stored and shown.
    pub fn as_str(&self) -> &str {
        match self {
            TrafficChannel::Default(c) => c.as_str(),
            TrafficChannel::Custom(name) => name,
        }
    }
}

impl From<Channel> for TrafficChannel {
    fn from(c: Channel) -> TrafficChannel {
        TrafficChannel::Default(c)
    }
}

impl From<String> for TrafficChannel {
    fn from(name: String) -> TrafficChannel {
        TrafficChannel::named(&name)
    }
}

impl From<TrafficChannel> for String {
    fn from(c: TrafficChannel) -> String {
        c.as_str().to_owned()
    }
}

impl std::fmt::Display for TrafficChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// GA4's source of a session without source: `(direct)`.
pub const DIRECT: &str = "(direct)";
/// GA4's medium of a direct session: `(none)`.
pub const NONE: &str = "(none)";
/// GA4's value of a tag that is missing while others are present: `(not set)`.
pub const NOT_SET: &str = "(not set)";

const MAX_KEYWORD_LEN: usize = 256;

/// Source, medium and campaign of a session as GA4 derives them, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    /// Normalised source, [`DIRECT`] or [`NOT_SET`].
    pub source: String,
    /// The category of the source, when the lists know it.
    pub category: Option<Category>,
    /// Normalised medium, [`NONE`] or [`NOT_SET`].
    pub medium: String,
    /// Lower-cased `utm_campaign`, empty when absent.
    pub campaign: String,
    /// `utm_content`.
    pub content: Option<String>,
    /// `utm_term`.
    pub term: Option<String>,
    /// The external referrer's domain, without `www.`.
    pub referrer_domain: Option<String>,
    /// Names of the click-id parameters present.
    pub click_ids: Vec<String>,
    /// The search keyword: `utm_term`, else the referrer's query where it carries one.
    pub keyword: Option<String>,
}

/// The source and medium an ad platform's click id stands for, when tags do not say.
fn click_id_source(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        // Google Ads auto-tagging (GA4 reads it as google / cpc).
        "gclid" | "gbraid" | "wbraid" => ("google", "cpc"),
        // Campaign Manager / Display & Video 360: GA4 reports dv360 / cpm.
        "dclid" => ("dv360", "cpm"),
        // chatrail's additions: the other networks' auto-tagging. GA4 ignores these ids and
        // reports such clicks as Referral or Direct — the complaint this classifier answers.
        "msclkid" => ("bing", "cpc"),
        "yclid" => ("yandex", "cpc"),
        "ttclid" => ("tiktok", "paid"),
        "twclid" => ("twitter", "paid"),
        "li_fat_id" => ("linkedin", "paid"),
        "epik" => ("pinterest", "paid"),
        "ctwa_clid" => ("facebook", "paid"),
        _ => return None,
    })
}

/// Click ids that name the platform but not whether the click was paid (Facebook and Yandex
/// add them to organic links too): they only say where a referrer-less click came from.
fn click_id_origin(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "fbclid" => ("facebook", NOT_SET),
        "ysclid" => ("yandex", "organic"),
        _ => return None,
    })
}

/// The medium GA4 gives an untagged referral from a site of `category`.
fn referral_medium(category: Option<Category>) -> &'static str {
    match category {
        Some(Category::Search) => "organic",
        // chatrail's additions: GA4 calls webmail, SMS-app and ad-server referrals plain
        // referrals; a link clicked in a mailbox is e-mail traffic and a click from an ad
        // server is a display ad, which is how an analyst would file them.
        Some(Category::Email) => "email",
        Some(Category::Sms) => "sms",
        Some(Category::Ads) => "display",
        _ => "referral",
    }
}

fn keyword_from(referrer: &Url, source: &str) -> Option<String> {
    let params = lists::keyword_params(source);
    if params.is_empty() {
        return None;
    }
    let pairs: Vec<(String, String)> = referrer.query_pairs().into_owned().collect();
    params.iter().find_map(|p| {
        pairs
            .iter()
            .find(|(k, v)| k == p && !v.trim().is_empty())
            .map(|(_, v)| clip(&lists::collapse(v), MAX_KEYWORD_LEN))
    })
}

/// The host of a referrer, lower-cased, without `www.`.
pub fn referrer_domain(referrer: &Url) -> Option<String> {
    let host = referrer
        .host_str()?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    Some(host.strip_prefix("www.").map(str::to_owned).unwrap_or(host))
}

impl Traffic {
    /// Derives source, medium and campaign from the landing page's attribution and the
    /// external referrer (internal referrers must already be removed).
    pub fn derive(a: &Attribution, referrer: Option<&Url>) -> Traffic {
        let referrer_domain = referrer.and_then(referrer_domain);
        let referrer_known = referrer_domain.as_deref().and_then(lists::by_host);
        let click_ids: Vec<String> = a.click_ids.iter().map(|(k, _)| k.clone()).collect();
        let implied = click_ids.iter().find_map(|k| click_id_source(k));
        let origin = click_ids.iter().find_map(|k| click_id_origin(k));
        let tagged = a.utm_source.is_some()
            || a.utm_medium.is_some()
            || a.utm_campaign.is_some()
            || a.utm_content.is_some()
            || a.utm_term.is_some();
        let google_ads = click_ids
            .iter()
            .any(|k| matches!(k.as_str(), "gclid" | "gbraid" | "wbraid"));

        let from_tags = |source: String, medium: String| {
            let category = lists::category_of(&source);
            (source, medium, category)
        };
        let (source, medium, category) = if google_ads {
            // GA4's default: Google Ads auto-tagging overrides manual tags.
            from_tags("google".to_owned(), "cpc".to_owned())
        } else if tagged {
            // Manual tags; a missing one is filled from the click id, else "(not set)".
            let fill = implied.or(origin);
            let source = match &a.utm_source {
                Some(s) => lists::normalise_source(s),
                None => fill.map_or(NOT_SET, |f| f.0).to_owned(),
            };
            let medium = match &a.utm_medium {
                Some(m) => lists::normalise_medium(m),
                None => implied.map_or(NOT_SET, |f| f.1).to_owned(),
            };
            from_tags(source, medium)
        } else if let Some((s, m)) = implied {
            from_tags(s.to_owned(), m.to_owned())
        } else if let Some(domain) = &referrer_domain {
            // An untagged referral: the referring host, not the source's usual category,
            // decides (maps.google.com is a referral, not a search).
            match referrer_known {
                Some(k) => (
                    k.source.to_owned(),
                    referral_medium(Some(k.category)).to_owned(),
                    Some(k.category),
                ),
                None => (domain.clone(), "referral".to_owned(), None),
            }
        } else if let Some((s, m)) = origin {
            from_tags(s.to_owned(), m.to_owned())
        } else {
            (DIRECT.to_owned(), NONE.to_owned(), None)
        };

        let keyword = a.utm_term.clone().or_else(|| {
            let k = referrer_known.filter(|k| k.category == Category::Search)?;
            keyword_from(referrer?, k.source)
        });
        Traffic {
            source,
            category,
            medium,
            campaign: a
                .utm_campaign
                .as_deref()
                .map(|c| lists::collapse(&c.to_lowercase()))
                .unwrap_or_default(),
            content: a.utm_content.clone(),
            term: a.utm_term.clone(),
            referrer_domain,
            click_ids,
            keyword,
        }
    }

    /// The value a rule's field looks at.
    fn field(&self, field: rules::Field) -> Option<&str> {
        use rules::Field;
        match field {
            Field::Source => Some(&self.source),
            Field::Medium => Some(&self.medium),
            Field::Campaign => Some(&self.campaign)
                .filter(|c| !c.is_empty())
                .map(|c| c.as_str()),
            Field::Content => self.content.as_deref(),
            Field::Term => self.term.as_deref(),
            Field::Referrer => self.referrer_domain.as_deref(),
            Field::ClickId => None,
        }
    }

    /// The normalised source to store: `None` for direct and untagged-source sessions.
    pub fn stored_source(&self) -> Option<String> {
        (self.source != DIRECT && self.source != NOT_SET).then(|| self.source.clone())
    }
}

/// The outcome for one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The channel: a default one, or one of the site's rules.
    pub channel: TrafficChannel,
    /// Normalised source (`google`, `facebook`, …); `None` for direct sessions.
    pub source: Option<String>,
    /// The search keyword, when known.
    pub keyword: Option<String>,
}

/// Classifies a session: the site's rules first, then the default channel group.
pub fn classify(
    a: &Attribution,
    referrer: Option<&Url>,
    site_rules: &[ChannelRule],
) -> Classification {
    let traffic = Traffic::derive(a, referrer);
    let channel = site_rules
        .iter()
        .find(|r| r.matches(&traffic))
        .map(|r| r.channel.clone())
        .unwrap_or_else(|| default_group::channel(&traffic).into());
    Classification {
        channel,
        source: traffic.stored_source(),
        keyword: traffic.keyword,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip_and_others_are_the_sites_own() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            assert_eq!(
                TrafficChannel::named(c.as_str()),
                TrafficChannel::Default(c)
            );
        }
        assert_eq!(
            Channel::ClickToWhatsApp.as_str(),
            "Click-to-WhatsApp",
            "one spelling"
        );
        assert_eq!(Channel::parse("Click to WhatsApp"), None);
        assert_eq!(Channel::parse("paid search"), None);
        let own = TrafficChannel::named("Partners");
        assert_eq!(own, TrafficChannel::Custom("Partners".into()));
        assert_eq!(own.as_str(), "Partners");
        assert_eq!(String::from(own.clone()), "Partners");
        assert_eq!(TrafficChannel::from("Partners".to_owned()), own);
    }
}
