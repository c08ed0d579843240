//! The traffic mix the generator draws from: channels with their campaigns, ads and
//! keywords, and landing pages with a long tail.

use crate::enrich::channel::Channel;

pub(super) struct Campaign {
    pub(super) name: &'static str,
    pub(super) ads: &'static [&'static str],
    pub(super) keywords: &'static [&'static str],
    pub(super) chats: bool,
}

pub(super) struct ChannelSpec {
    pub(super) channel: Channel,
    pub(super) share: f64,
    /// Relative chance that a visit clicks a chat link.
    pub(super) clicky: f64,
    pub(super) source: Option<&'static str>,
    pub(super) medium: Option<&'static str>,
    pub(super) referrer: Option<&'static str>,
    pub(super) campaigns: &'static [Campaign],
}

pub(super) const fn campaign(
    name: &'static str,
    ads: &'static [&'static str],
    keywords: &'static [&'static str],
) -> Campaign {
    Campaign {
        name,
        ads,
        keywords,
        chats: true,
    }
}

pub(super) const CHANNELS: &[ChannelSpec] = &[
    ChannelSpec {
        channel: Channel::OrganicSearch,
        share: 0.33,
        clicky: 1.0,
        source: None,
        medium: None,
        referrer: Some("www.google.com"),
        campaigns: &[],
    },
    ChannelSpec {
        channel: Channel::PaidSearch,
        share: 0.18,
        clicky: 1.4,
        source: Some("google"),
        medium: Some("cpc"),
        referrer: Some("www.google.com"),
        campaigns: &[
            campaign(
                "spring-sale",
                &["ad-red", "ad-blue", "ad-green"],
                &["buy sofa", "sofa sale", "corner sofa", "sofa delivery"],
            ),
            campaign("brand", &["brand-text"], &["homely", "homely shop"]),
            campaign(
                "competitors",
                &["vs-text-1", "vs-text-2"],
                &["ikea sofa", "hoff sofa"],
            ),
        ],
    },
    ChannelSpec {
        channel: Channel::Direct,
        share: 0.16,
        clicky: 1.1,
        source: None,
        medium: None,
        referrer: None,
        campaigns: &[],
    },
    ChannelSpec {
        channel: Channel::OrganicSocial,
        share: 0.09,
        clicky: 0.7,
        source: None,
        medium: None,
        referrer: Some("l.instagram.com"),
        campaigns: &[],
    },
    ChannelSpec {
        channel: Channel::PaidSocial,
        share: 0.08,
        clicky: 0.9,
        source: Some("instagram"),
        medium: Some("paid_social"),
        referrer: Some("l.instagram.com"),
        campaigns: &[
            campaign("stories-autumn", &["story-1", "story-2"], &[]),
            campaign("reels-kitchen", &["reel-1"], &[]),
        ],
    },
    ChannelSpec {
        channel: Channel::Referral,
        share: 0.06,
        clicky: 0.8,
        source: None,
        medium: None,
        referrer: Some("blog.example.org"),
        campaigns: &[],
    },
    ChannelSpec {
        channel: Channel::Email,
        share: 0.05,
        clicky: 1.6,
        source: Some("newsletter"),
        medium: Some("email"),
        referrer: None,
        campaigns: &[campaign("weekly", &["header", "footer"], &[])],
    },
    ChannelSpec {
        channel: Channel::ClickToWhatsApp,
        share: 0.03,
        clicky: 3.0,
        source: Some("facebook"),
        medium: Some("ctwa"),
        referrer: None,
        campaigns: &[campaign("ctwa-promo", &["ctwa-1", "ctwa-2"], &[])],
    },
    ChannelSpec {
        channel: Channel::Display,
        share: 0.02,
        clicky: 0.5,
        source: Some("gdn"),
        medium: Some("display"),
        referrer: None,
        campaigns: &[Campaign {
            name: "awareness-banners",
            ads: &["banner-300x250", "banner-728x90"],
            keywords: &[],
            chats: false,
        }],
    },
];

pub(super) const PAGES: &[&str] = &[
    "/",
    "/sofas",
    "/sofas/corner",
    "/sofas/sale",
    "/kitchens",
    "/kitchens/modular",
    "/tables",
    "/chairs",
    "/beds",
    "/wardrobes",
    "/delivery",
    "/contacts",
    "/blog/how-to-choose-a-sofa",
    "/blog/small-kitchen-ideas",
    "/product/sofa-oslo",
    "/product/sofa-bergen",
    "/product/kitchen-nord",
    "/product/table-loft",
    "/product/bed-dream",
    "/about",
];
