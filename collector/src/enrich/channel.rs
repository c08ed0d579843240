//! A first traffic-channel classifier: click ids and UTM medium first, then the referrer.
//!
//! Deliberately small; the GA4-style, data-driven classifier replaces it.

use super::attribution::Attribution;

/// The channel of a session from its attribution and external referrer domain.
pub fn classify(a: &Attribution, referrer_domain: Option<&str>) -> &'static str {
    let has_click_id =
        |names: &[&str]| a.click_ids.iter().any(|(k, _)| names.contains(&k.as_str()));
    let medium = a.utm_medium.as_deref().unwrap_or("").to_ascii_lowercase();
    if has_click_id(&["gclid", "gbraid", "wbraid", "yclid", "msclkid"])
        || matches!(
            medium.as_str(),
            "cpc" | "ppc" | "paidsearch" | "paid_search"
        )
    {
        return "Paid Search";
    }
    if has_click_id(&["ctwa_clid"]) {
        return "Click to WhatsApp";
    }
    if matches!(
        medium.as_str(),
        "paid_social" | "paidsocial" | "social_paid"
    ) || (has_click_id(&["fbclid", "ttclid", "twclid", "li_fat_id"]) && medium.contains("paid"))
    {
        return "Paid Social";
    }
    match medium.as_str() {
        "email" | "e-mail" | "newsletter" => return "Email",
        "social" | "social-network" | "sm" => return "Organic Social",
        "referral" => return "Referral",
        "display" | "banner" | "cpm" => return "Display",
        "affiliate" => return "Affiliates",
        "sms" => return "SMS",
        _ => {}
    }
    if let Some(domain) = referrer_domain {
        const SEARCH: &[&str] = &[
            "google.",
            "bing.com",
            "yandex.",
            "duckduckgo.com",
            "yahoo.com",
        ];
        const SOCIAL: &[&str] = &[
            "facebook.com",
            "instagram.com",
            "t.co",
            "linkedin.com",
            "vk.com",
        ];
        if SEARCH.iter().any(|s| domain.contains(s)) {
            return "Organic Search";
        }
        if SOCIAL
            .iter()
            .any(|s| domain == *s || domain.ends_with(&format!(".{s}")))
        {
            return "Organic Social";
        }
        return "Referral";
    }
    if a.is_empty() {
        "Direct"
    } else {
        "Unassigned"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_medium(m: &str) -> Attribution {
        Attribution {
            utm_medium: Some(m.into()),
            ..Attribution::default()
        }
    }

    #[test]
    fn first_rules() {
        assert_eq!(classify(&with_medium("CPC"), None), "Paid Search");
        assert_eq!(
            classify(&with_medium("email"), Some("mail.google.com")),
            "Email"
        );
        assert_eq!(classify(&Attribution::default(), None), "Direct");
        assert_eq!(
            classify(&Attribution::default(), Some("google.com")),
            "Organic Search"
        );
        assert_eq!(
            classify(&Attribution::default(), Some("m.facebook.com")),
            "Organic Social"
        );
        assert_eq!(
            classify(&Attribution::default(), Some("blog.example")),
            "Referral"
        );
        assert_eq!(classify(&with_medium("weird"), None), "Unassigned");
    }
}
