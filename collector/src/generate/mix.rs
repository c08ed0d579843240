//! The traffic mix the generator draws from: how visitors arrive (each source as a real
//! landing URL with its tags and click id, and a real referrer, which the classifier turns
//! into a channel as it does for beacons), and landing pages with a long tail, some with
//! Cyrillic paths.

pub(super) struct Campaign {
    pub(super) name: &'static str,
    pub(super) ads: &'static [&'static str],
    pub(super) keywords: &'static [&'static str],
    pub(super) chats: bool,
}

/// The ad platform's click id added to landing URLs (auto-tagging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClickId {
    None,
    Gclid,
    Yclid,
    Fbclid,
}

impl ClickId {
    pub(super) fn param(self) -> Option<&'static str> {
        match self {
            ClickId::None => None,
            ClickId::Gclid => Some("gclid"),
            ClickId::Yclid => Some("yclid"),
            ClickId::Fbclid => Some("fbclid"),
        }
    }
}

pub(super) struct Source {
    pub(super) share: f64,
    /// Relative chance that a visit clicks a chat link.
    pub(super) clicky: f64,
    /// `utm_source` and `utm_medium` of tagged campaigns.
    pub(super) tags: Option<(&'static str, &'static str)>,
    pub(super) click_id: ClickId,
    /// Referrers, one drawn per visit (none: the browser sends none).
    pub(super) referrers: &'static [&'static str],
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

const fn source(share: f64, clicky: f64, referrers: &'static [&'static str]) -> Source {
    Source {
        share,
        clicky,
        tags: None,
        click_id: ClickId::None,
        referrers,
        campaigns: &[],
    }
}

pub(super) const SOURCES: &[Source] = &[
    // Organic search: Google and Yandex, no tags.
    source(
        0.31,
        1.0,
        &[
            "https://www.google.com/",
            "https://www.google.com/",
            "https://yandex.ru/",
        ],
    ),
    // Google Ads: UTM tags and auto-tagging's gclid.
    Source {
        share: 0.12,
        clicky: 1.4,
        tags: Some(("google", "cpc")),
        click_id: ClickId::Gclid,
        referrers: &["https://www.google.com/"],
        campaigns: &[
            campaign(
                "spring-sale",
                &["ad-red", "ad-blue", "ad-green"],
                &["buy sofa", "sofa sale", "corner sofa", "купить диван"],
            ),
            campaign("brand", &["brand-text"], &["homely", "homely shop"]),
            campaign(
                "competitors",
                &["vs-text-1", "vs-text-2"],
                &["ikea sofa", "hoff диван"],
            ),
        ],
    },
    // Yandex Direct: UTM tags and yclid.
    Source {
        share: 0.07,
        clicky: 1.3,
        tags: Some(("yandex", "cpc")),
        click_id: ClickId::Yclid,
        referrers: &["https://yandex.ru/"],
        campaigns: &[
            campaign(
                "kitchens-search",
                &["kitchen-text-1", "kitchen-text-2"],
                &["кухни на заказ", "модульная кухня", "кухня недорого"],
            ),
            campaign("brand", &["brand-text"], &["homely", "хоумли"]),
        ],
    },
    // Direct: no referrer, no tags.
    source(0.15, 1.1, &[]),
    // Organic social: Instagram and VK links; Facebook adds an fbclid to organic links too.
    source(0.06, 0.7, &["https://l.instagram.com/", "https://vk.com/"]),
    Source {
        share: 0.02,
        clicky: 0.7,
        tags: None,
        click_id: ClickId::Fbclid,
        referrers: &["https://m.facebook.com/"],
        campaigns: &[],
    },
    // Paid social: tagged Instagram ads with fbclid.
    Source {
        share: 0.08,
        clicky: 0.9,
        tags: Some(("instagram", "paid_social")),
        click_id: ClickId::Fbclid,
        referrers: &["https://l.instagram.com/"],
        campaigns: &[
            campaign("stories-autumn", &["story-1", "story-2"], &[]),
            campaign("reels-kitchen", &["reel-1"], &[]),
        ],
    },
    // Referral: a blog and a marketplace review.
    source(
        0.06,
        0.8,
        &[
            "https://blog.example.org/sofas-2025",
            "https://dzen.ru/a/Z1x2",
        ],
    ),
    // Email: the weekly newsletter.
    Source {
        share: 0.05,
        clicky: 1.6,
        tags: Some(("newsletter", "email")),
        click_id: ClickId::None,
        referrers: &[],
        campaigns: &[campaign("weekly", &["header", "footer"], &[])],
    },
    // Display: banners that bring visits and clicks but never chats.
    Source {
        share: 0.03,
        clicky: 0.5,
        tags: Some(("gdn", "display")),
        click_id: ClickId::None,
        referrers: &[],
        campaigns: &[Campaign {
            name: "awareness-banners",
            ads: &["banner-300x250", "banner-728x90"],
            keywords: &[],
            chats: false,
        }],
    },
];

/// Landing pages and pages of contact, most visited first; paths as typed (the generator
/// percent-encodes them as browsers send them).
pub(super) const PAGES: &[&str] = &[
    "/",
    "/sofas/",
    "/каталог/диваны/",
    "/sofas/corner/",
    "/sale/",
    "/kitchens/",
    "/каталог/кухни/модульные/",
    "/tables/",
    "/chairs/",
    "/beds/",
    "/wardrobes/",
    "/доставка/",
    "/contacts/",
    "/blog/how-to-choose-a-sofa/",
    "/блог/идеи-для-маленькой-кухни/",
    "/product/sofa-oslo/",
    "/product/sofa-bergen/",
    "/товар/кухня-норд/",
    "/product/table-loft/",
    "/product/bed-dream/",
    "/about/",
];

/// Click-to-WhatsApp ads: dialogs that start from an ad with no website visit.
pub(super) struct CtwaAd {
    pub(super) id: &'static str,
    pub(super) headline: &'static str,
    pub(super) body: &'static str,
}

pub(super) const CTWA_ADS: &[CtwaAd] = &[
    CtwaAd {
        id: "120210556720440123",
        headline: "Диваны со скидкой до 40%",
        body: "Доставим за 3 дня. Напишите нам в WhatsApp!",
    },
    CtwaAd {
        id: "120210556720440456",
        headline: "Кухни на заказ за 14 дней",
        body: "Бесплатный замер и 3D-проект.",
    },
    CtwaAd {
        id: "120210556720440789",
        headline: "Corner sofas from 499 €",
        body: "Ask us anything on WhatsApp.",
    },
];
