use chatrail_core::beacon::{ClickBeacon, VisitBeacon};

use super::*;

const ENTROPY: &str =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";

fn call(op: u32, args: &[&str]) -> Option<String> {
    run(op, &args.join("\u{1f}"))
}

fn configure(rules: &[&str]) {
    let mut args = vec![
        "+7 900 123-45-67,447700900123",
        "@Shop_Bot",
        "shop.test",
        "",
    ];
    args.extend(rules);
    assert_eq!(call(op::CONFIGURE, &args), None);
}

/// A page view: (visitor record, session record, code, visit beacon).
fn view(url: &str, referrer: &str, visitor: &str, session: &str) -> [String; 4] {
    view_with(ENTROPY, url, referrer, visitor, session)
}

fn view_with(
    entropy: &str,
    url: &str,
    referrer: &str,
    visitor: &str,
    session: &str,
) -> [String; 4] {
    let answer = call(
        op::VIEW,
        &[
            "shop",
            visitor,
            session,
            "1700000000000",
            url,
            referrer,
            entropy,
            "1920",
            "1080",
            "en-GB",
            "Europe/London",
        ],
    )
    .unwrap();
    let parts: Vec<String> = answer.split(SEP).map(String::from).collect();
    parts.try_into().unwrap()
}

#[test]
fn a_page_view_makes_records_a_code_and_a_visit_beacon() {
    configure(&[]);
    let [visitor, session, code, beacon] = view(
        "https://shop.test/?utm_source=g",
        "https://google.com/",
        "",
        "",
    );
    assert!(visitor.ends_with("|1700000000000"), "{visitor}");
    assert!(session.contains(&format!("|{code}|")), "{session}");
    let visit: VisitBeacon = serde_json::from_str(&beacon).unwrap();
    assert_eq!(visit.site, "shop");
    assert_eq!(visit.code, code);
    assert_eq!(&visitor[..32], visit.visitor);
    assert_eq!(&session[..32], visit.session);
    assert_eq!(visit.url, "https://shop.test/?utm_source=g");
    assert_eq!(visit.referrer.as_deref(), Some("https://google.com/"));
    assert_eq!((visit.screen_w, visit.screen_h), (Some(1920), Some(1080)));
    assert_eq!(visit.timezone.as_deref(), Some("Europe/London"));
    assert!(SessionCode::parse(&code).is_ok());

    // The next page of the same visit keeps the session and code.
    let [_, again, same_code, _] = view(
        "https://shop.test/b",
        "https://shop.test/",
        &visitor,
        &session,
    );
    assert_eq!((&again[..32], &same_code), (&session[..32], &code));
    // A new campaign starts a new session with a new code, same visitor.
    let entropy = ENTROPY.replace('0', "f");
    let [v2, other, new_code, _] = view_with(
        &entropy,
        "https://shop.test/?gclid=1",
        "",
        &visitor,
        &session,
    );
    assert_eq!(v2[..32], visitor[..32]);
    assert_ne!(other[..32], session[..32]);
    assert_ne!(new_code, code);
}

#[test]
fn links_carry_the_code_with_link_and_page_starters() {
    configure(&[
        "/kids/*",
        "Kids shoot?",
        "{text} (код {code})",
        "*",
        "Hello",
        "",
    ]);
    assert_eq!(
        call(op::TAG, &["https://wa.me/79001234567", ""]),
        None,
        "no session yet"
    );
    let [_, _, code, _] = view("https://shop.test/kids/a", "", "", "");
    let tag = |href: &str, text: &str| call(op::TAG, &[href, text]);
    assert_eq!(
        tag("https://wa.me/79001234567", "").unwrap(),
        format!("https://wa.me/79001234567?text=Kids%20shoot%3F%20(%D0%BA%D0%BE%D0%B4%20{code})")
    );
    assert_eq!(
        tag("https://wa.me/79001234567", "Mine").unwrap(),
        format!("https://wa.me/79001234567?text=Mine%20(%D0%BA%D0%BE%D0%B4%20{code})")
    );
    assert_eq!(
        tag("https://t.me/shop_bot", "").unwrap(),
        format!("https://t.me/shop_bot?start={code}")
    );
    assert_eq!(tag("https://wa.me/15551234567", ""), None);
    let many = call(
        op::TAGS,
        &[
            "https://wa.me/79001234567",
            "",
            "https://wa.me/15551234567",
            "",
            "https://t.me/shop_bot",
            "x",
        ],
    )
    .unwrap();
    let many: Vec<&str> = many.split(SEP).collect();
    assert_eq!(
        many,
        [
            tag("https://wa.me/79001234567", "").unwrap().as_str(),
            "",
            tag("https://t.me/shop_bot", "").unwrap().as_str(),
            ""
        ]
    );
    view("https://shop.test/about", "", "", "");
    let other = call(op::TAG, &["https://wa.me/447700900123", ""]).unwrap();
    assert!(other.contains("text=Hello%20(ref%20"), "{other}");

    assert_eq!(call(op::RESET, &[]), None);
    assert_eq!(
        tag("https://wa.me/79001234567", ""),
        None,
        "consent withdrawn"
    );
}

#[test]
fn clicks_are_counted_for_tracked_chats_and_message_links() {
    configure(&[]);
    assert_eq!(
        call(
            op::CLICK,
            &["https://wa.me/79001234567", "https://shop.test/"]
        ),
        None
    );
    let [_, _, code, _] = view("https://shop.test/", "", "", "");
    let click = |href: &str| {
        let json = call(op::CLICK, &[href, "https://shop.test/p"])?;
        Some(serde_json::from_str::<ClickBeacon>(&json).unwrap())
    };
    let c = click("https://api.whatsapp.com/send?phone=%2B79001234567").unwrap();
    assert_eq!(
        (c.number.as_str(), c.kind.as_str()),
        ("79001234567", "api.whatsapp.com")
    );
    assert_eq!(
        (c.code.as_str(), c.page.as_str()),
        (code.as_str(), "https://shop.test/p")
    );
    let m = click("https://wa.me/message/ABCDEF").unwrap();
    assert_eq!((m.number.as_str(), m.kind.as_str()), ("", "wa.me/message"));
    let t = click("https://t.me/shop_bot?start=x").unwrap();
    assert_eq!((t.number.as_str(), t.kind.as_str()), ("shop_bot", "t.me"));
    assert!(click("https://wa.me/15551234567").is_none());
    assert!(click("https://example.com/").is_none());
}

#[test]
fn chat_urls_for_the_js_api() {
    configure(&[]);
    let url = |chat: &str, text: &str| call(op::CHAT_URL, &[chat, text]);
    assert_eq!(
        url("+7 900 123 45 67", "Hi").as_deref(),
        Some("https://wa.me/79001234567?text=Hi")
    );
    let [_, _, code, _] = view("https://shop.test/", "", "", "");
    assert_eq!(
        url("+7 900 123 45 67", "Hi").unwrap(),
        format!("https://wa.me/79001234567?text=Hi%20(ref%20{code})")
    );
    assert_eq!(
        url("15551234567", "Hi").as_deref(),
        Some("https://wa.me/15551234567?text=Hi"),
        "untracked numbers get a plain link"
    );
    assert_eq!(
        url("@shop_bot", "").unwrap(),
        format!("https://t.me/shop_bot?start={code}")
    );
    assert_eq!(url("nope", "x"), None);
}
