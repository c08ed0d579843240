//! GA4's default channel group as an ordered table: the first rule that holds names the
//! channel, and [`Channel::Unassigned`] is what is left.
//!
//! The rules and their order are GA4's ("[GA4] Default channel group", Analytics Help), with
//! two additions, each placed where it cannot take traffic GA4 would put elsewhere by its
//! own definition:
//! - **Click-to-WhatsApp** first: a `ctwa_clid` (or medium `ctwa`) is a Meta ad that opens a
//!   chat, the traffic this product exists to attribute; GA4 has no such channel and would
//!   call it Paid Social or Unassigned.
//! - **AI Assistants** after the paid rules and before the organic ones: GA4 files ChatGPT,
//!   Perplexity or Gemini links as Referral (or Unassigned for ChatGPT's
//!   `utm_source=chatgpt.com`), which hides a source analysts now ask about by name. A paid
//!   placement in an assistant still counts as paid.
//!
//! Other departures live in [`super::Traffic::derive`] and the data files (click ids of other
//! ad networks, webmail and ad-server referrers, misspelt mediums).

use super::lists::Category;
use super::{Channel, Traffic, DIRECT, NONE, NOT_SET};

/// GA4's "paid" medium: `^(.*cp.*|ppc|retargeting|paid.*)$`.
pub fn is_paid_medium(m: &str) -> bool {
    m.contains("cp") || m == "ppc" || m == "retargeting" || m.starts_with("paid")
}

/// GA4's shopping campaign: `^(.*(([^a-df-z]|^)shop|shopping).*)$`.
pub fn is_shopping_campaign(c: &str) -> bool {
    if c.contains("shopping") {
        return true;
    }
    c.match_indices("shop").any(|(i, _)| {
        // "shop" at the start, or after a character outside a-d / f-z (so "eshop" and
        // "e-shop" count, "workshop" does not).
        c[..i]
            .chars()
            .next_back()
            .is_none_or(|p| !(p.is_ascii_lowercase() && p != 'e'))
    })
}

fn is_email(s: &str) -> bool {
    matches!(s, "email" | "e-mail" | "e_mail" | "e mail")
}

fn is_social_medium(m: &str) -> bool {
    matches!(
        m,
        "social" | "social-network" | "social-media" | "sm" | "social network" | "social media"
    )
}

fn is_display_medium(m: &str) -> bool {
    matches!(
        m,
        "display" | "banner" | "expandable" | "interstitial" | "cpm"
    )
}

fn is(t: &Traffic, c: Category) -> bool {
    t.category == Some(c)
}

type Rule = (Channel, fn(&Traffic) -> bool);

/// The default channel group, in evaluation order.
pub const RULES: &[Rule] = &[
    (Channel::ClickToWhatsApp, |t| {
        t.click_ids.iter().any(|k| k == "ctwa_clid")
            || matches!(
                t.medium.as_str(),
                "ctwa" | "click-to-whatsapp" | "click_to_whatsapp" | "click to whatsapp"
            )
    }),
    (Channel::Direct, |t| {
        t.source == DIRECT && (t.medium == NONE || t.medium == NOT_SET)
    }),
    (Channel::CrossNetwork, |t| {
        t.campaign.contains("cross-network")
    }),
    (Channel::PaidShopping, |t| {
        (is(t, Category::Shopping) || is_shopping_campaign(&t.campaign))
            && is_paid_medium(&t.medium)
    }),
    (Channel::PaidSearch, |t| {
        is(t, Category::Search) && is_paid_medium(&t.medium)
    }),
    (Channel::PaidSocial, |t| {
        is(t, Category::Social) && is_paid_medium(&t.medium)
    }),
    (Channel::PaidVideo, |t| {
        is(t, Category::Video) && is_paid_medium(&t.medium)
    }),
    (Channel::Display, |t| is_display_medium(&t.medium)),
    (Channel::PaidOther, |t| is_paid_medium(&t.medium)),
    (Channel::AiAssistants, |t| is(t, Category::Ai)),
    (Channel::OrganicShopping, |t| {
        is(t, Category::Shopping) || is_shopping_campaign(&t.campaign)
    }),
    (Channel::OrganicSocial, |t| {
        is(t, Category::Social) || is_social_medium(&t.medium)
    }),
    (Channel::OrganicVideo, |t| {
        is(t, Category::Video) || t.medium.contains("video")
    }),
    (Channel::OrganicSearch, |t| {
        is(t, Category::Search) || t.medium == "organic"
    }),
    (Channel::Referral, |t| {
        matches!(t.medium.as_str(), "referral" | "app" | "link")
    }),
    (Channel::Email, |t| {
        is_email(&t.source) || is_email(&t.medium)
    }),
    (Channel::Affiliates, |t| t.medium == "affiliate"),
    (Channel::Audio, |t| t.medium == "audio"),
    (Channel::Sms, |t| t.source == "sms" || t.medium == "sms"),
    (Channel::MobilePush, |t| {
        t.medium.ends_with("push")
            || t.medium.contains("mobile")
            || t.medium.contains("notification")
            || t.source == "firebase"
    }),
];

/// The default channel of `t`.
pub fn channel(t: &Traffic) -> Channel {
    RULES
        .iter()
        .find(|(_, holds)| holds(t))
        .map_or(Channel::Unassigned, |(c, _)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ga4_regexes() {
        for m in [
            "cpc",
            "cpm",
            "cpv",
            "ppc",
            "retargeting",
            "paid",
            "paid_social",
            "paidsearch",
        ] {
            assert!(is_paid_medium(m), "{m}");
        }
        for m in ["organic", "email", "referral", "ppc-ish", "display"] {
            assert!(!is_paid_medium(m), "{m}");
        }
        for c in [
            "shop",
            "summer-shop",
            "eshop",
            "e-shop",
            "shopping_q4",
            "pmax shopping",
        ] {
            assert!(is_shopping_campaign(c), "{c}");
        }
        for c in ["workshop", "bookshop", "spring-sale", ""] {
            assert!(!is_shopping_campaign(c), "{c}");
        }
    }

    #[test]
    fn every_channel_but_unassigned_has_a_rule() {
        for c in Channel::ALL {
            let has_rule = RULES.iter().any(|(rc, _)| *rc == c);
            assert_eq!(has_rule, c != Channel::Unassigned, "{c}");
        }
    }
}
