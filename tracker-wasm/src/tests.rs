use super::*;

const ENTROPY: &str = "00112233445566778899aabbccddeeff00112233";

fn call(op: u32, args: &[&str]) -> Option<String> {
    answer(op, &args.join("\u{1f}"))
}

fn configure(rules: &[&str]) {
    let mut args = vec!["+7 900 123-45-67,447700900123", "@Shop_Bot", ""];
    args.extend(rules);
    assert_eq!(call(op::CONFIGURE, &args), None);
}

/// One link's new href, if any.
fn tag(href: &str, text: &str) -> Option<String> {
    let answer = call(op::TAGS, &[href, text]).unwrap();
    Some(answer.strip_suffix(SEP)?.to_owned()).filter(|h| !h.is_empty())
}

/// A page view of `path` with the stored code `stored`: the session code.
fn view(path: &str, stored: &str) -> String {
    call(op::VIEW, &[stored, ENTROPY, path]).unwrap()
}

#[test]
fn a_page_view_keeps_a_valid_code_and_makes_one_otherwise() {
    configure(&[]);
    let code = view("/", "");
    assert!(SessionCode::parse(&code).is_ok(), "{code}");
    assert_eq!(view("/b", &code), code, "the session goes on");
    assert_eq!(
        view("/b", &code.to_ascii_lowercase()),
        code,
        "as typed, canonical"
    );
    // The same random bytes make the same code; others another one.
    assert_eq!(view("/", "garbage"), code);
    let other = call(op::VIEW, &["", &ENTROPY.replace('0', "f"), "/"]).unwrap();
    assert_ne!(other, code);
    // Too few random bytes still make a valid code.
    let short = call(op::VIEW, &["", "", "/"]).unwrap();
    assert!(SessionCode::parse(&short).is_ok(), "{short}");
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
    assert_eq!(tag("https://wa.me/79001234567", ""), None, "no session yet");
    let code = view("/kids/a", "");
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
    view("/about", &code);
    let other = tag("https://wa.me/447700900123", "").unwrap();
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
    assert_eq!(call(op::CLICK, &["https://wa.me/79001234567"]), None);
    view("/", "");
    let click = |href: &str| call(op::CLICK, &[href]);
    assert_eq!(
        click("https://api.whatsapp.com/send?phone=%2B79001234567").unwrap(),
        "79001234567\u{1f}api.whatsapp.com"
    );
    assert_eq!(
        click("https://wa.me/message/ABCDEF").unwrap(),
        "\u{1f}wa.me/message"
    );
    assert_eq!(
        click("https://t.me/shop_bot?start=x").unwrap(),
        "shop_bot\u{1f}t.me"
    );
    assert!(click("https://wa.me/15551234567").is_none());
    assert!(click("https://example.com/").is_none());
}
