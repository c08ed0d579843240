use super::*;

#[test]
fn ids_round_trip() {
    let bytes: [u8; 16] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xa5);
    let text = format_id(bytes);
    assert_eq!(text.len(), 32);
    assert!(text.bytes().all(|b| HEX.contains(&b)));
    assert_eq!(parse_id(&text), Some(bytes));
    assert_eq!(parse_id(&text.to_ascii_uppercase()), Some(bytes));
    assert_eq!(format_id([0; 16]), "0".repeat(32));
    assert_eq!(format_id([0xff; 16]), "f".repeat(32));
}

#[test]
fn bad_ids_are_rejected() {
    let good = "0123456789abcdef0123456789ABCDEF";
    assert!(parse_id(good).is_some());
    for bad in [
        "",
        &good[1..],
        &format!("{good}0"),
        "0123456789abcdef0123456789abcdeg",
        "+123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdé",
        "0123456789abcdef 123456789abcdef",
        "ｆ123456789abcdef0123456789abcde",
    ] {
        assert_eq!(parse_id(bad), None, "{bad:?}");
    }
}

#[test]
fn page_rules_match_paths() {
    let rule = |p: &str| PageRule {
        path: p.into(),
        ..PageRule::default()
    };
    let cases = [
        ("/prices", "/prices", true),
        ("/prices", "/prices/", true),
        ("/prices/", "/prices", true),
        ("/prices", "/prices/kids", false),
        ("/prices", "/pricesx", false),
        ("/prices/*", "/prices/kids", true),
        ("/prices/*", "/prices", false),
        ("/prices*", "/prices", true),
        ("*", "/anything", true),
        ("/", "/", true),
        ("/", "/a", false),
    ];
    for (pattern, path, want) in cases {
        assert_eq!(rule(pattern).matches(path), want, "{pattern} {path}");
    }
    let config = SiteConfig {
        pages: vec![rule("/a/*"), rule("*")],
        ..SiteConfig::default()
    };
    assert_eq!(config.page("/a/b").map(|r| r.path.as_str()), Some("/a/*"));
    assert_eq!(config.page("/b").map(|r| r.path.as_str()), Some("*"));
}

#[test]
fn own_hosts_include_subdomains() {
    let config = SiteConfig {
        domains: vec!["shop.example".into()],
        ..SiteConfig::default()
    };
    for (host, want) in [
        ("shop.example", true),
        ("www.shop.example", true),
        ("Pay.Shop.Example", true),
        ("myshop.example", false),
        ("shop.example.evil", false),
        ("example", false),
    ] {
        assert_eq!(config.is_own_host(host), want, "{host}");
    }
}

#[test]
fn default_site_config_uses_the_default_template() {
    assert_eq!(SiteConfig::default().template, DEFAULT_TEMPLATE);
}

#[cfg(feature = "serde")]
mod serde_wire {
    use super::super::*;
    use serde_json::{json, Value};

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Asserts that `value`'s keys are `want`, in any order.
    fn assert_keys(value: &Value, mut want: Vec<&str>) {
        want.sort_unstable();
        assert_eq!(keys(value), want);
    }

    #[test]
    fn visit_beacon_round_trips_under_the_field_names() {
        let visit = VisitBeacon {
            site: "site-key".into(),
            visitor: format_id([1; 16]),
            session: format_id([2; 16]),
            code: "K7Q2M9VA".into(),
            url: "https://example.com/?utm_source=x".into(),
            referrer: Some("https://google.com/".into()),
            screen_w: Some(1920),
            screen_h: Some(1080),
            language: Some("en-GB".into()),
            timezone: Some("Europe/London".into()),
            ga_client_id: Some("123456789.1700000000".into()),
            ga_session_id: Some("1700000000".into()),
            ym_client_id: Some("1700000000123456789".into()),
            ads: Some(false),
        };
        let value = serde_json::to_value(&visit).unwrap();
        let want = vec![
            field::SITE,
            field::VISITOR,
            field::SESSION,
            field::CODE,
            field::URL,
            field::REFERRER,
            field::SCREEN_W,
            field::SCREEN_H,
            field::LANGUAGE,
            field::TIMEZONE,
            field::GA_CLIENT_ID,
            field::GA_SESSION_ID,
            field::YM_CLIENT_ID,
            field::ADS,
        ];
        assert_keys(&value, want);
        assert_eq!(serde_json::from_value::<VisitBeacon>(value).unwrap(), visit);
    }

    #[test]
    fn visit_beacon_options_default_and_unknown_fields_pass() {
        let value = json!({
            field::SITE: "s", field::VISITOR: "v", field::SESSION: "x",
            field::CODE: "K7Q2M9VA", field::URL: "https://example.com/",
            "added_in_a_later_snippet": {"nested": [1, 2]},
        });
        let visit: VisitBeacon = serde_json::from_value(value).unwrap();
        assert_eq!(visit.referrer, None);
        assert_eq!(visit.screen_w, None);
        assert_eq!(visit.timezone, None);
        // Absent options stay absent on the way out, as the snippet sends them.
        let back = serde_json::to_value(&visit).unwrap();
        assert_eq!(keys(&back).len(), 5);
    }

    #[test]
    fn click_beacon_round_trips_under_the_field_names() {
        let click = ClickBeacon {
            site: "s".into(),
            visitor: format_id([3; 16]),
            session: format_id([4; 16]),
            code: "K7Q2M9VA".into(),
            page: "https://example.com/prices".into(),
            number: "79001234567".into(),
            kind: crate::LinkKind::WaMe.as_str().into(),
            id: Some(format_id([5; 16])),
            ads: Some(false),
        };
        let value = serde_json::to_value(&click).unwrap();
        let want = vec![
            field::SITE,
            field::VISITOR,
            field::SESSION,
            field::CODE,
            field::PAGE,
            field::NUMBER,
            field::KIND,
            field::ID,
            field::ADS,
        ];
        assert_keys(&value, want);
        assert_eq!(serde_json::from_value::<ClickBeacon>(value).unwrap(), click);
    }

    #[test]
    fn site_config_round_trips_and_defaults_the_template() {
        let config = SiteConfig {
            numbers: vec!["79001234567".into()],
            template: "{text} [{code}]".into(),
            bots: vec!["shop_bot".into()],
            domains: vec!["shop.example".into()],
            pages: vec![PageRule {
                path: "/ru/*".into(),
                text: "Здравствуйте".into(),
                template: Some("{text} (код {code})".into()),
            }],
        };
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<SiteConfig>(&json).unwrap(), config);
        let bare: SiteConfig = serde_json::from_str(r#"{"numbers":[]}"#).unwrap();
        assert_eq!(bare, SiteConfig::default());
    }

    #[test]
    fn site_config_serializes_under_the_field_names() {
        let config = SiteConfig {
            pages: vec![PageRule {
                template: Some("{text}".into()),
                ..PageRule::default()
            }],
            ..SiteConfig::default()
        };
        let value = serde_json::to_value(&config).unwrap();
        let want = vec![
            field::NUMBERS,
            field::TEMPLATE,
            field::BOTS,
            field::DOMAINS,
            field::PAGES,
        ];
        assert_keys(&value, want);
        let rule = &value[field::PAGES][0];
        assert_keys(rule, vec![field::PATH, field::TEXT, field::TEMPLATE]);
    }

    #[test]
    fn session_code_serializes_as_its_text() {
        let code = crate::SessionCode::parse("K7Q2M9VA").unwrap();
        assert_eq!(serde_json::to_value(code).unwrap(), json!("K7Q2M9VA"));
        let back: crate::SessionCode = serde_json::from_value(json!("k7q2m9va")).unwrap();
        assert_eq!(back, code);
        assert!(serde_json::from_value::<crate::SessionCode>(json!("K7Q2M9VB")).is_err());
    }
}
