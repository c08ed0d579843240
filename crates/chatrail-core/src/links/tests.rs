use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn code() -> SessionCode {
    SessionCode::parse("K7Q2M9VA").unwrap()
}

fn tracked() -> Vec<String> {
    vec!["79001234567".to_owned(), "447700900123".to_owned()]
}

fn rewrite(href: &str) -> Option<String> {
    rewrite_chat_link(href, &tracked(), DEFAULT_TEMPLATE, &code()).map(|r| r.href)
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).collect()
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
        ("  https://wa.me/79001234567\n", "https://wa.me/79001234567?text=(ref%20K7Q2M9VA)"),
        (
            "HTTP://WWW.WA.ME/79001234567/#top",
            "HTTP://WWW.WA.ME/79001234567?text=(ref%20K7Q2M9VA)#top",
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
    let r = rewrite_chat_link(
        "https://api.whatsapp.com/send?phone=%2B447700900123",
        &tracked(),
        DEFAULT_TEMPLATE,
        &code(),
    )
    .unwrap();
    assert_eq!(r.number, "447700900123");
    assert_eq!(r.kind, LinkKind::ApiWhatsApp);
}

#[test]
fn a_formatted_configured_number_matches() {
    let configured = vec!["+7 (900) 123-45-67".to_owned()];
    let r = rewrite_chat_link(
        "https://wa.me/79001234567",
        &configured,
        DEFAULT_TEMPLATE,
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
        "https://wa.me.example.com/79001234567",
        "https://wa.me@example.com/79001234567",
        "https://example.com/?next=https://wa.me/79001234567",
        "https://example.com/wa.me/79001234567",
        "https://web.whatsapp.com/send?phone=79001234567",
        "whatsapp://send?phone=79001234567",
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
            "http://Www.Wa.Me?text=hi",
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
        ("https://wa.me/message/ABC", None),
        ("https://t.me/chatrail_bot?start=abc", None),
    ];
    for (href, want) in cases {
        assert_eq!(parse_chat_link(href), want, "{href}");
    }
}

#[test]
fn link_kind_names_are_stable() {
    assert_eq!(LinkKind::WaMe.as_str(), "wa.me");
    assert_eq!(LinkKind::ApiWhatsApp.as_str(), "api.whatsapp.com");
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
        let rewritten = rewrite_chat_link(&href, &tracked(), DEFAULT_TEMPLATE, &code).unwrap();
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
        let again = rewrite_chat_link(&rewritten.href, &tracked(), DEFAULT_TEMPLATE, &code).unwrap();
        prop_assert_eq!(again.href, rewritten.href);
    }

    #[test]
    fn parsing_arbitrary_hrefs_never_panics(
        prefix in prop::sample::select(vec!["https://wa.me/", "http://api.whatsapp.com/send?", "https://", ""]),
        rest in any::<String>(),
    ) {
        let href = format!("{prefix}{rest}");
        let _ = parse_chat_link(&href);
        let _ = rewrite_chat_link(&href, &tracked(), DEFAULT_TEMPLATE, &code());
    }
}
