use super::*;
use crate::code::find_codes;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn code() -> SessionCode {
    SessionCode::parse("K7Q2M9VA").unwrap()
}

fn tracked() -> Vec<String> {
    vec!["79001234567".to_owned(), "447700900123".to_owned()]
}

fn bots() -> Vec<String> {
    vec!["shop_bot".to_owned()]
}

fn rewrite_with(href: &str, starter: &str) -> Option<Rewritten> {
    let (numbers, bots) = (tracked(), bots());
    let tracked = Tracked {
        numbers: &numbers,
        bots: &bots,
    };
    rewrite_chat_link(href, tracked, DEFAULT_TEMPLATE, starter, &code())
}

fn rewrite(href: &str) -> Option<String> {
    rewrite_with(href, "").map(|r| r.href)
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    crate::text::push_uri_component(&mut out, text);
    out
}

#[test]
fn rewrites_tracked_links() {
    let cases = [
        ("https://wa.me/79001234567", "https://wa.me/79001234567?text=(ref%20K7Q2M9VA)"),
        (
            "https://wa.me/79001234567?text=Hello%20there",
            "https://wa.me/79001234567?text=Hello%20there%20(ref%20K7Q2M9VA)",
        ),
        (
            "https://wa.me/79001234567?text=Hello+there",
            "https://wa.me/79001234567?text=Hello%20there%20(ref%20K7Q2M9VA)",
        ),
        ("https://wa.me/+7-900-123-45-67", "https://wa.me/79001234567?text=(ref%20K7Q2M9VA)"),
        ("https://wa.me/%2B7%20(900)%20123-45-67/", "https://wa.me/79001234567?text=(ref%20K7Q2M9VA)"),
        (
            "http://www.wa.me/79001234567/#top",
            "http://www.wa.me/79001234567?text=(ref%20K7Q2M9VA)#top",
        ),
        (
            "https://wa.me/79001234567?utm=1&text=Hi&x=a+b#frag",
            "https://wa.me/79001234567?utm=1&text=Hi%20(ref%20K7Q2M9VA)&x=a+b#frag",
        ),
        (
            "https://api.whatsapp.com/send?phone=79001234567&text=Hi",
            "https://api.whatsapp.com/send?phone=79001234567&text=Hi%20(ref%20K7Q2M9VA)",
        ),
        (
            "https://api.whatsapp.com/send/?phone=%2B79001234567&text=Hi&type=phone_number&app_absent=0",
            "https://api.whatsapp.com/send/?phone=79001234567&text=Hi%20(ref%20K7Q2M9VA)&type=phone_number&app_absent=0",
        ),
        (
            "https://www.api.whatsapp.com/send?app_absent=1&phone=0044+7700+900123",
            "https://www.api.whatsapp.com/send?app_absent=1&phone=447700900123&text=(ref%20K7Q2M9VA)",
        ),
        (
            "https://api.whatsapp.com/send?phone=79001234567&text=a&text=b&phone=1",
            "https://api.whatsapp.com/send?phone=79001234567&text=a%20(ref%20K7Q2M9VA)",
        ),
        // Already carrying this code: only the encoding is made canonical.
        (
            "https://wa.me/79001234567?text=Hi+(ref+k7q2m9va)",
            "https://wa.me/79001234567?text=Hi%20(ref%20k7q2m9va)",
        ),
        (
            "https://wa.me/79001234567?text=Hi%20(ref%20K7Q2M9VA)",
            "https://wa.me/79001234567?text=Hi%20(ref%20K7Q2M9VA)",
        ),
    ];
    for (href, want) in cases {
        assert_eq!(rewrite(href).as_deref(), Some(want), "{href}");
        // A second pass changes nothing.
        assert_eq!(rewrite(want).as_deref(), Some(want), "{want}");
    }
}

#[test]
fn reports_number_and_kind() {
    let r = rewrite_with("https://api.whatsapp.com/send?phone=%2B447700900123", "").unwrap();
    assert_eq!(r.number, "447700900123");
    assert_eq!(r.kind, LinkKind::ApiWhatsApp);
}

#[test]
fn a_formatted_configured_number_matches() {
    let configured = vec!["+7 (900) 123-45-67".to_owned()];
    let tracked = Tracked {
        numbers: &configured,
        bots: &[],
    };
    let r = rewrite_chat_link(
        "https://wa.me/79001234567",
        tracked,
        DEFAULT_TEMPLATE,
        "",
        &code(),
    );
    assert_eq!(r.map(|r| r.number).as_deref(), Some("79001234567"));
}

#[test]
fn leaves_other_links_alone() {
    for href in [
        "https://wa.me/15551234567",
        "https://wa.me/15551234567?text=Hi",
        "https://wa.me/?text=Hi",
        "https://wa.me/",
        "https://wa.me",
        "https://wa.me/message/ABCDEF123",
        "https://wa.me/c/79001234567",
        "https://wa.me/79001234567/extra",
        "https://wa.me//79001234567",
        "https://wa.me/123",
        "https://wa.me:443/79001234567",
        // Not as a browser writes a URL: the snippet resolves hrefs with the browser's URL
        // first (scheme and host in lower case, no surrounding spaces).
        "HTTPS://WA.ME/79001234567",
        "  https://wa.me/79001234567\n",
        "https://wa.me.example.com/79001234567",
        "https://wa.me@example.com/79001234567",
        "https://example.com/?next=https://wa.me/79001234567",
        "https://example.com/wa.me/79001234567",
        "https://web.whatsapp.com/?phone=79001234567",
        "whatsapp://chat?phone=79001234567",
        "whatsapp://send/x?phone=79001234567",
        "intent://send?phone=79001234567#Intent;scheme=smsto;package=com.whatsapp;end",
        "intent://send?phone=79001234567",
        "intent://send/79001234567#Intent;scheme=whatsapp;end",
        "https://t.me/other_bot?start=x",
        "tg://resolve?domain=other_bot",
        "tg://resolve/?domain=shop_bot&startgroup=x",
        "https://t.me/shop_bot?startgroup=x",
        "https://t.me/shop_bot/app",
        "https://t.me/joinchat/shop_bot",
        "https://t.me/@shop_bot",
        "https://t.me/+shop_bot",
        "https://t.me/shop_bot?start=has%20space",
        "https://t.me/shop_bot?start=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "ftp://wa.me/79001234567",
        "wa.me/79001234567",
        "//wa.me/79001234567",
        "/79001234567",
        "#contact",
        "mailto:sales@example.com",
        "tel:+79001234567",
        "https://api.whatsapp.com/send?text=Hi",
        "https://api.whatsapp.com/send?phone=&text=Hi",
        "https://api.whatsapp.com/send?phone=15551234567",
        "https://api.whatsapp.com/other?phone=79001234567",
        "https://api.whatsapp.com/?phone=79001234567",
        "",
        "https://",
        "https://wa.me/7900😀1234567",
    ] {
        assert_eq!(rewrite(href), None, "{href}");
    }
}

#[test]
fn parses_link_forms() {
    let link = |kind, number: Option<&str>, text: Option<&str>| ChatLink {
        kind,
        number: number.map(str::to_owned),
        text: text.map(str::to_owned),
    };
    use LinkKind::*;
    let cases = [
        (
            "https://wa.me/79001234567",
            Some(link(WaMe, Some("79001234567"), None)),
        ),
        (
            "https://wa.me/?text=Hello%20world",
            Some(link(WaMe, None, Some("Hello world"))),
        ),
        ("https://wa.me/?text=", Some(link(WaMe, None, Some("")))),
        ("https://wa.me/", Some(link(WaMe, None, None))),
        (
            "http://www.wa.me/?text=hi",
            Some(link(WaMe, None, Some("hi"))),
        ),
        (
            "https://api.whatsapp.com/send?phone=0044%207700%20900123&text=a+b%2Bc%26d%23e",
            Some(link(ApiWhatsApp, Some("447700900123"), Some("a b+c&d#e"))),
        ),
        (
            "https://api.whatsapp.com/send/?text=%FFok",
            Some(link(ApiWhatsApp, None, Some("\u{fffd}ok"))),
        ),
        (
            "https://api.whatsapp.com/send?phone=12",
            Some(link(ApiWhatsApp, None, None)),
        ),
        (
            "https://wa.me/79001234567?text=%F0%9F%98%80%0A",
            Some(link(WaMe, Some("79001234567"), Some("😀\n"))),
        ),
        (
            "https://t.me/Chatrail_Bot?start=abc",
            Some(link(Telegram, Some("chatrail_bot"), Some("abc"))),
        ),
        (
            "tg://resolve?domain=Chatrail_Bot&start=abc",
            Some(link(TelegramScheme, Some("chatrail_bot"), Some("abc"))),
        ),
        ("tg://resolve?domain=Chatrail_Bot&startapp=abc", None),
        ("tg://resolve?phone=79001234567", None),
        ("tg://msg?text=hi", None),
        ("https://wa.me/message/ABCDEF123", Some(link(WaMeMessage, None, None))),
        ("https://wa.me/message/", None),
        (
            "whatsapp://send?phone=%2B79001234567&text=Hi",
            Some(link(WhatsAppScheme, Some("79001234567"), Some("Hi"))),
        ),
        (
            "https://web.whatsapp.com/send?phone=79001234567",
            Some(link(WebWhatsApp, Some("79001234567"), None)),
        ),
        (
            "intent://send/?phone=79001234567&text=a#Intent;package=com.whatsapp;scheme=whatsapp;end",
            Some(link(AndroidIntent, Some("79001234567"), Some("a"))),
        ),
    ];
    for (href, want) in cases {
        assert_eq!(parse_chat_link(href), want, "{href}");
        assert!(
            want.is_none() || has_hint(href),
            "{href} has none of CHAT_HINTS"
        );
    }
}

/// Whether `href` has one of [`CHAT_HINTS`], as the snippet tests it.
fn has_hint(href: &str) -> bool {
    let href = href.to_ascii_lowercase();
    CHAT_HINTS.iter().any(|hint| href.contains(hint))
}

#[test]
fn link_kind_names_are_stable() {
    assert_eq!(LinkKind::WaMe.as_str(), "wa.me");
    assert_eq!(LinkKind::ApiWhatsApp.as_str(), "api.whatsapp.com");
    assert_eq!(LinkKind::Telegram.as_str(), "t.me");
    assert_eq!(LinkKind::TelegramScheme.as_str(), "tg");
    assert_eq!(LinkKind::WaMeMessage.as_str(), "wa.me/message");
    assert!(!LinkKind::WaMeMessage.carries_code());
    for kind in LinkKind::ALL {
        assert_eq!(LinkKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(LinkKind::parse("WA.ME"), None);
}

#[test]
fn renders_messages() {
    let c = code();
    let cases = [
        (DEFAULT_TEMPLATE, "", "(ref K7Q2M9VA)"),
        (
            DEFAULT_TEMPLATE,
            "  Is there a slot tomorrow? ",
            "Is there a slot tomorrow? (ref K7Q2M9VA)",
        ),
        ("{text}", "Hi", "Hi K7Q2M9VA"),
        ("", "", "K7Q2M9VA"),
        ("{text}{code}", "Hi", "Hi K7Q2M9VA"),
        ("{code}{text}", "abc", "K7Q2M9VA abc"),
        ("{code}{text}", "", "K7Q2M9VA"),
        ("ref{code}.", "", "ref K7Q2M9VA."),
        ("#{code}# {text}", "x", "#K7Q2M9VA# x"),
        ("{text} {other} {code", "x", "x {other} {code K7Q2M9VA"),
        (
            "{text} [{code}]",
            "use {code} and {text}",
            "use {code} and {text} [K7Q2M9VA]",
        ),
        ("{text}", "already K7Q2M9VA here", "already K7Q2M9VA here"),
        ("{text} ({code})", "Привет 😀", "Привет 😀 (K7Q2M9VA)"),
    ];
    for (template, text, want) in cases {
        let got = render_message(template, text, &c);
        assert_eq!(got, want, "{template:?} {text:?}");
        assert!(find_codes(&got).contains(&c));
    }
}

#[test]
fn special_characters_survive_a_round_trip() {
    for text in [
        "5+5 = 10 & more #1",
        "line one\nline two\r\n\ttab",
        "😀 👍🏽 «кавычки» 100% ?=&",
        "a%20b is not a space",
        "",
    ] {
        let href = format!("https://wa.me/79001234567?text={}#keep", encode(text));
        let out = rewrite(&href).unwrap();
        assert!(out.ends_with("#keep"), "{out}");
        assert!(
            !out[..out.len() - 5].contains(['+', '#', ' ', '\n']),
            "{out}"
        );
        let parsed = parse_chat_link(&out).unwrap();
        assert_eq!(
            parsed.text,
            Some(render_message(DEFAULT_TEMPLATE, text, &code()))
        );
        assert_eq!(parsed.number.as_deref(), Some("79001234567"));
    }
}

fn config() -> Config {
    Config {
        cases: 512,
        rng_seed: RngSeed::Fixed(0x11a7_c0de),
        failure_persistence: None,
        ..Config::default()
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,200}",
        "[ +&#%=?;/\\n\\r\\t😀a-zA-Z0-9(){}]{0,60}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rewritten_text_carries_the_code(
        text in any_text(),
        bits in any::<u32>(),
        api in any::<bool>(),
        form_encoded in any::<bool>(),
    ) {
        let code = SessionCode::generate({
            let mut x = bits | 1;
            move || { x ^= x << 13; x ^= x >> 17; x ^= x << 5; x }
        });
        let mut encoded = encode(&text);
        if form_encoded {
            encoded = encoded.replace("%20", "+");
        }
        let href = if api {
            format!("https://api.whatsapp.com/send/?phone=%2B7+900+123+45+67&text={encoded}&type=phone_number")
        } else {
            format!("https://wa.me/79001234567?text={encoded}")
        };
        let numbers = tracked();
        let t = Tracked { numbers: &numbers, bots: &[] };
        let rewritten = rewrite_chat_link(&href, t, DEFAULT_TEMPLATE, "", &code).unwrap();
        prop_assert_eq!(&rewritten.number, "79001234567");
        let parsed = parse_chat_link(&rewritten.href).unwrap();
        let new_text = parsed.text.unwrap();
        prop_assert!(new_text.contains(code.as_str()));
        prop_assert!(find_codes(&new_text).contains(&code));
        if find_codes(&text).is_empty() {
            prop_assert_eq!(find_codes(&new_text), vec![code]);
            prop_assert_eq!(new_text, render_message(DEFAULT_TEMPLATE, &text, &code));
        }
        // Rewriting is idempotent.
        let again = rewrite_chat_link(&rewritten.href, t, DEFAULT_TEMPLATE, "", &code).unwrap();
        prop_assert_eq!(again.href, rewritten.href);
    }

    #[test]
    fn parsing_arbitrary_hrefs_never_panics(
        prefix in prop::sample::select(vec![
            "https://wa.me/", "http://api.whatsapp.com/send?", "https://", "",
            "whatsapp://send?", "intent://send?", "https://t.me/shop_bot?start=",
            "tg://resolve?domain=shop_bot&start=",
        ]),
        rest in any::<String>(),
    ) {
        let href = format!("{prefix}{rest}");
        let link = parse_chat_link(&href);
        prop_assert!(link.is_none() || has_hint(&href), "{} has none of CHAT_HINTS", href);
        let _ = rewrite_with(&href, "starter");
    }
}

#[test]
fn rewrites_every_whatsapp_form() {
    let cases = [
        (
            "https://web.whatsapp.com/send?phone=79001234567&text=Hi",
            "https://web.whatsapp.com/send?phone=79001234567&text=Hi%20(ref%20K7Q2M9VA)",
        ),
        (
            "whatsapp://send?phone=+79001234567",
            "whatsapp://send?phone=79001234567&text=(ref%20K7Q2M9VA)",
        ),
        (
            "whatsapp://send/?text=a%2Bb&phone=79001234567",
            "whatsapp://send/?text=a%2Bb%20(ref%20K7Q2M9VA)&phone=79001234567",
        ),
        (
            "intent://send?phone=79001234567&text=Hi#Intent;scheme=whatsapp;package=com.whatsapp;end",
            "intent://send?phone=79001234567&text=Hi%20(ref%20K7Q2M9VA)#Intent;scheme=whatsapp;package=com.whatsapp;end",
        ),
        (
            "https://api.whatsapp.com/send/?phone=79001234567&text&type=phone_number&app_absent=1",
            "https://api.whatsapp.com/send/?phone=79001234567&text=(ref%20K7Q2M9VA)&type=phone_number&app_absent=1",
        ),
    ];
    for (href, want) in cases {
        assert_eq!(rewrite(href).as_deref(), Some(want), "{href}");
        assert_eq!(rewrite(want).as_deref(), Some(want), "{want}");
    }
}

#[test]
fn telegram_bots_get_the_code_as_start_payload() {
    let cases = [
        (
            "https://t.me/shop_bot",
            "https://t.me/shop_bot?start=K7Q2M9VA",
        ),
        (
            "https://t.me/Shop_Bot/",
            "https://t.me/Shop_Bot/?start=K7Q2M9VA",
        ),
        (
            "https://telegram.me/shop_bot?start=promo_1#x",
            "https://telegram.me/shop_bot?start=promo_1-K7Q2M9VA#x",
        ),
        (
            "https://t.me/shop_bot?start=",
            "https://t.me/shop_bot?start=K7Q2M9VA",
        ),
        (
            "https://t.me/shop_bot?start=x-k7q2m9va",
            "https://t.me/shop_bot?start=x-k7q2m9va",
        ),
        (
            "tg://resolve?domain=Shop_Bot",
            "tg://resolve?domain=Shop_Bot&start=K7Q2M9VA",
        ),
        (
            "tg://resolve?start=ad1&domain=shop_bot#x",
            "tg://resolve?start=ad1-K7Q2M9VA&domain=shop_bot#x",
        ),
    ];
    for (href, want) in cases {
        assert_eq!(rewrite(href).as_deref(), Some(want), "{href}");
        assert_eq!(rewrite(want).as_deref(), Some(want), "{want}");
    }
    let r = rewrite_with("https://t.me/shop_bot", "ignored").unwrap();
    assert_eq!(
        (r.number.as_str(), r.kind),
        ("shop_bot", LinkKind::Telegram)
    );
    // The longest payload that still fits takes the code; longer ones are left alone.
    let fits = "a".repeat(MAX_START_LEN - 1 - CODE_LEN);
    let href = format!("https://t.me/shop_bot?start={fits}");
    let out = rewrite(&href).unwrap();
    let payload = parse_chat_link(&out).unwrap().text.unwrap();
    assert_eq!(payload.len(), MAX_START_LEN);
    assert!(payload
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(rewrite(&format!("{href}a")), None);
}

#[test]
fn starter_text_fills_links_without_text() {
    let r = |href| rewrite_with(href, "Is there a slot?").map(|r| r.href);
    assert_eq!(
        r("https://wa.me/79001234567").as_deref(),
        Some("https://wa.me/79001234567?text=Is%20there%20a%20slot%3F%20(ref%20K7Q2M9VA)")
    );
    assert_eq!(
        r("https://wa.me/79001234567?text=%20").as_deref(),
        Some("https://wa.me/79001234567?text=Is%20there%20a%20slot%3F%20(ref%20K7Q2M9VA)")
    );
    // An existing text wins.
    assert_eq!(
        r("https://wa.me/79001234567?text=Mine").as_deref(),
        Some("https://wa.me/79001234567?text=Mine%20(ref%20K7Q2M9VA)")
    );
}

#[test]
fn links_that_cannot_carry_a_code_are_recognised_but_not_rewritten() {
    assert_eq!(rewrite("https://wa.me/message/ABCDEF123"), None);
    assert_eq!(
        parse_chat_link("https://wa.me/message/ABCDEF123").map(|l| l.kind),
        Some(LinkKind::WaMeMessage)
    );
}

#[test]
fn bots_and_plain_chat_links() {
    assert_eq!(normalize_bot("@Shop_Bot").as_deref(), Some("shop_bot"));
    assert_eq!(normalize_bot(" shop_bot ").as_deref(), Some("shop_bot"));
    for bad in [
        "",
        "@",
        "bot",
        "shop-bot",
        "a".repeat(33).as_str(),
        "@@shop_bot",
    ] {
        assert_eq!(normalize_bot(bad), None, "{bad:?}");
    }
    assert_eq!(
        chat_link("+7 (900) 123-45-67", "Hi + bye").as_deref(),
        Some("https://wa.me/79001234567?text=Hi%20%2B%20bye")
    );
    assert_eq!(
        chat_link("79001234567", "").as_deref(),
        Some("https://wa.me/79001234567")
    );
    assert_eq!(
        chat_link("@Shop_Bot", "x").as_deref(),
        Some("https://t.me/shop_bot")
    );
    assert_eq!(chat_link("12", "x"), None);
    assert_eq!(chat_link("@no", "x"), None);
}
