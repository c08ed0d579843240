//! The channel classifier through [`Visit::parse`] (which drops the site's own referrers
//! first) against a table of realistic visits (`enrich/channel/cases.tsv`), site rules, and
//! properties that must hold for any visit.

use chatrail_core::beacon::VisitBeacon;
use proptest::prelude::*;
use url::Url;
use uuid::Uuid;

use super::{Sender, Visit};
use crate::domain::site::{Site, SiteId};
use crate::enrich::attribution::Attribution;
use crate::enrich::channel::default_group::{self, RULES};
use crate::enrich::channel::{Channel, ChannelRule, Traffic, TrafficChannel, NOT_SET};

const CASES: &str = include_str!("../../enrich/channel/cases.tsv");

pub(super) fn site(rules: &[&str]) -> Site {
    Site {
        id: SiteId(Uuid::nil()),
        key: "shop".into(),
        name: "Oak & Co".into(),
        domains: vec!["shop.test".into()],
        template: "{text} (ref {code})".into(),
        numbers: Vec::new(),
        channel_rules: rules
            .iter()
            .map(|r| ChannelRule::parse(r).unwrap())
            .collect(),
        wa_app_secret: None,
        wa_verify_token_hash: None,
        providers: Default::default(),
        bots: Vec::new(),
        pages: Vec::new(),
    }
}

/// A visit to `https://shop.test/oak-table?<query>` from `referrer`, through `Visit::parse`.
fn visit(site: &Site, query: Option<&str>, referrer: Option<&str>) -> Visit {
    let url = match query {
        Some(q) => format!("https://shop.test/oak-table?{q}"),
        None => "https://shop.test/oak-table".to_owned(),
    };
    let beacon = VisitBeacon {
        site: "shop".into(),
        visitor: "0".repeat(32),
        session: "1".repeat(32),
        code: "K7Q2M9VA".into(),
        url,
        referrer: referrer.map(str::to_owned),
        screen_w: None,
        screen_h: None,
        language: None,
        timezone: None,
        ..VisitBeacon::default()
    };
    Visit::parse(site, beacon, Sender::user_agent("Mozilla/5.0"), 0).expect("a valid visit")
}

fn dash(s: &str) -> Option<&str> {
    (s != "-").then_some(s)
}

#[test]
fn the_table_of_realistic_visits() {
    let site = site(&[]);
    let mut failures = Vec::new();
    let mut count = 0;
    let mut channels_seen = std::collections::HashSet::new();
    for (n, line) in CASES.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            (4..=5).contains(&cols.len()),
            "cases.tsv:{}: {line:?}",
            n + 1
        );
        count += 1;
        let v = visit(&site, dash(cols[0]), dash(cols[1]));
        let want_keyword = cols.get(4).copied();
        channels_seen.insert(cols[2].to_owned());
        if v.channel.as_str() != cols[2]
            || v.source.as_deref() != dash(cols[3])
            || (want_keyword.is_some() && v.keyword.as_deref() != want_keyword)
        {
            failures.push(format!(
                "cases.tsv:{}: {} | {} → {} / {:?} / {:?}, want {} / {} / {:?}",
                n + 1,
                cols[0],
                cols[1],
                v.channel,
                v.source,
                v.keyword,
                cols[2],
                cols[3],
                want_keyword
            ));
        }
    }
    assert!(count >= 200, "only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for c in Channel::ALL {
        assert!(channels_seen.contains(c.as_str()), "no case for {c}");
    }
}

#[test]
fn site_rules_come_first_in_order() {
    let site = site(&[
        "source=partner-* & medium=cpa -> Affiliates",
        "referrer=*.forum.example -> Community",
        "campaign=*vip* -> VIP",
        "click_id=gclid & campaign=brand-* -> Brand Search",
        "source=google -> Never Reached Before Brand",
    ]);
    let cases: &[(Option<&str>, Option<&str>, &str)] = &[
        (
            Some("utm_source=Partner-42&utm_medium=CPA"),
            None,
            "Affiliates",
        ),
        (
            Some("utm_source=partner-42&utm_medium=cpc"),
            None,
            "Paid Other",
        ),
        (None, Some("https://talk.forum.example/t/1"), "Community"),
        (None, Some("https://forum.example/"), "Referral"),
        (
            Some("utm_source=fb&utm_medium=cpc&utm_campaign=Summer-VIP"),
            None,
            "VIP",
        ),
        (Some("gclid=x&utm_campaign=brand-oak"), None, "Brand Search"),
        (
            Some("gclid=x&utm_campaign=generic"),
            None,
            "Never Reached Before Brand",
        ),
        (None, Some("https://www.bing.com/"), "Organic Search"),
    ];
    for (q, r, want) in cases {
        assert_eq!(visit(&site, *q, *r).channel.as_str(), *want, "{q:?} {r:?}");
    }
}

#[test]
fn ga4_order_puts_paid_search_before_display_for_cpm() {
    // GA4's paid regex `.*cp.*` catches cpm before the Display rule does.
    let v = visit(&site(&[]), Some("utm_source=google&utm_medium=cpm"), None);
    assert_eq!(v.channel, TrafficChannel::from(Channel::PaidSearch));
}

// --- properties --------------------------------------------------------------------------

const SOURCES: &[&str] = &[
    "google",
    "Google",
    "bing",
    "yandex",
    "facebook",
    "fb",
    "instagram",
    "tiktok",
    "youtube",
    "amazon",
    "chatgpt.com",
    "newsletter",
    "sms",
    "firebase",
    "partner",
    "l.facebook.com",
    "",
];
const MEDIUMS: &[&str] = &[
    "cpc",
    "CPC",
    "ppc",
    "paid",
    "paid_social",
    "cpm",
    "display",
    "banner",
    "organic",
    "social",
    "sm",
    "video",
    "referral",
    "refferal",
    "email",
    "e-mail",
    "affiliate",
    "audio",
    "sms",
    "push",
    "notification",
    "mobile",
    "ctwa",
    "retargeting",
    "weird",
    "",
];
const CAMPAIGNS: &[&str] = &[
    "",
    "spring",
    "shopping",
    "eshop",
    "cross-network-x",
    "workshop",
];
const CLICK_IDS: &[&str] = &[
    "",
    "gclid",
    "gbraid",
    "dclid",
    "msclkid",
    "yclid",
    "fbclid",
    "ysclid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "epik",
    "ctwa_clid",
];
const REFERRERS: &[&str] = &[
    "",
    "https://www.google.com/",
    "https://yandex.ru/search/?text=oak",
    "https://l.facebook.com/",
    "https://t.me/x",
    "https://www.youtube.com/",
    "https://www.amazon.de/",
    "https://chatgpt.com/",
    "https://mail.google.com/",
    "https://maps.google.com/",
    "https://ad.doubleclick.net/",
    "https://blog.example.org/",
    "https://shop.test/cart",
    "android-app://com.whatsapp/",
];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    proptest::sample::select(list)
}

/// Mostly realistic values, sometimes arbitrary text.
fn value(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => pick(list).prop_map(str::to_owned),
        1 => "\\PC{0,12}",
    ]
}

fn query(source: &str, medium: &str, campaign: &str, click_id: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("utm_source", source),
        ("utm_medium", medium),
        ("utm_campaign", campaign),
    ] {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    if !click_id.is_empty() {
        q.append_pair(click_id, "x1");
    }
    q.finish()
}

proptest! {
    #[test]
    fn every_visit_gets_exactly_one_channel(
        source in value(SOURCES),
        medium in value(MEDIUMS),
        campaign in value(CAMPAIGNS),
        click_id in pick(CLICK_IDS),
        referrer in pick(REFERRERS),
    ) {
        let q = query(&source, &medium, &campaign, click_id);
        let site = site(&[]);
        let v = visit(&site, Some(&q), dash(referrer).filter(|r| !r.is_empty()));
        // The stored channel is the first default rule that holds, or Unassigned when none
        // does: one channel, never zero, never two.
        let a = Attribution::from_url(&Url::parse(&format!("https://shop.test/?{q}")).unwrap());
        let referrer_url = v.referrer.as_deref().map(|r| Url::parse(r).unwrap());
        let traffic = Traffic::derive(&a, referrer_url.as_ref());
        let holding: Vec<Channel> = RULES.iter().filter(|(_, holds)| holds(&traffic)).map(|(c, _)| *c).collect();
        let expected = holding.first().copied().unwrap_or(Channel::Unassigned);
        prop_assert_eq!(&v.channel, &TrafficChannel::from(expected));
        prop_assert_eq!(default_group::channel(&traffic), expected);
        prop_assert!(Channel::ALL.iter().any(|c| c.as_str() == v.channel.as_str()));
        // Direct exactly when nothing says where the visit came from.
        let untagged = a.is_empty() && v.referrer.is_none();
        prop_assert_eq!(v.channel == TrafficChannel::from(Channel::Direct), untagged, "{} {:?}", q, v.referrer);
        prop_assert_eq!(v.source.is_none(), untagged || traffic.source == NOT_SET);
    }

    #[test]
    fn the_case_of_tags_never_matters(
        source in pick(SOURCES),
        medium in pick(MEDIUMS),
        campaign in pick(CAMPAIGNS),
        click_id in pick(CLICK_IDS),
        referrer in pick(REFERRERS),
    ) {
        let site = site(&[]);
        let referrer = dash(referrer).filter(|r| !r.is_empty());
        let lower = visit(&site, Some(&query(source, medium, campaign, click_id)), referrer);
        let upper = visit(
            &site,
            Some(&query(&source.to_uppercase(), &medium.to_uppercase(), &campaign.to_uppercase(), click_id)),
            referrer,
        );
        prop_assert_eq!(lower.channel, upper.channel);
        prop_assert_eq!(lower.source, upper.source);
    }

    #[test]
    fn a_rule_that_matches_everything_always_wins(
        source in value(SOURCES),
        medium in value(MEDIUMS),
        click_id in pick(CLICK_IDS),
        referrer in pick(REFERRERS),
    ) {
        let site = site(&["medium=* -> Everything"]);
        let v = visit(&site, Some(&query(&source, &medium, "", click_id)), dash(referrer).filter(|r| !r.is_empty()));
        prop_assert_eq!(v.channel.as_str(), "Everything");
    }
}
