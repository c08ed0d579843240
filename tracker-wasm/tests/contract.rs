//! `js/contract.js` holds what the snippet's JS shares with Rust: the wasm's
//! operations and field separator (this crate), and the beacon's fields and
//! limits, the campaign parameters, the idle times and the chat link hints
//! (chatrail-core). It is rendered here from the Rust constants, and this
//! test fails when the committed file is not what they say now.
//!
//! Generated rather than checked at build time so that `cargo xtask
//! snippet`, which has no dependencies, needs nothing of the workspace, and
//! so the file can be read and reviewed like the other JS.

use std::fs;
use std::path::Path;

use chatrail_core::beacon::{self, field};
use chatrail_core::links::{CHAT_HINTS, MAX_BOT_LEN, MIN_BOT_LEN, START_PARAM, TEXT_PARAM};
use chatrail_core::phone::{MAX_DIGITS, MIN_DIGITS};
use chatrail_tracker::{op, SEP};

const REGENERATE: &str = "UPDATE_CONTRACT=1 cargo test -p chatrail-tracker --test contract";

/// One JS constant: its name and its source text.
type Constant = (&'static str, String);

#[test]
fn contract_js_is_what_rust_says() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("js/contract.js");
    let want = render();
    if std::env::var_os("UPDATE_CONTRACT").is_some() {
        fs::write(&path, &want).unwrap();
        return;
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what chatrail-core and chatrail-tracker say now; regenerate it with\n    \
         {REGENERATE}\n--- committed\n{have}\n--- rendered\n{want}",
        path.display()
    );
}

#[test]
fn rendering_escapes_strings_and_regexes() {
    assert_eq!(js_string("a\"b\\c\u{1f}é"), r#""a\"b\\c\x1fé""#);
    assert_eq!(regex_source("t.me"), r"t\.me");
    assert_eq!(alternatives(&["utm_a", "utm_bc"]), "utm_(a|bc)");
    assert_eq!(alternatives(&["gclid", "epik"]), "gclid|epik");
}

/// The file: one `var` statement, its constants in groups, each under a comment.
fn render() -> String {
    let mut out = format!(
        "// Generated from chatrail-core and chatrail-tracker by\n\
         // tracker-wasm/tests/contract.rs: do not edit. To regenerate:\n\
         // {REGENERATE}\nvar\n"
    );
    let groups = groups();
    let count: usize = groups.iter().map(|(_, constants)| constants.len()).sum();
    let mut n = 0;
    for (comment, constants) in groups {
        out.push_str(&format!("  // {comment}\n"));
        for (name, value) in constants {
            n += 1;
            let end = if n == count { ';' } else { ',' };
            out.push_str(&format!("  {name} = {value}{end}\n"));
        }
    }
    out
}

fn groups() -> Vec<(&'static str, Vec<Constant>)> {
    let num = |n: usize| n.to_string();
    let campaign = format!(
        "/^({}|{})$/i",
        alternatives(beacon::UTM_PARAMS),
        alternatives(beacon::CLICK_ID_PARAMS)
    );
    let hints: Vec<String> = CHAT_HINTS.iter().map(|h| regex_source(h)).collect();
    let fields = [
        ("FIELD_SITE", field::SITE),
        ("FIELD_VISITOR", field::VISITOR),
        ("FIELD_SESSION", field::SESSION),
        ("FIELD_CODE", field::CODE),
        ("FIELD_URL", field::URL),
        ("FIELD_REFERRER", field::REFERRER),
        ("FIELD_SCREEN_W", field::SCREEN_W),
        ("FIELD_SCREEN_H", field::SCREEN_H),
        ("FIELD_LANGUAGE", field::LANGUAGE),
        ("FIELD_TIMEZONE", field::TIMEZONE),
        ("FIELD_PAGE", field::PAGE),
        ("FIELD_NUMBER", field::NUMBER),
        ("FIELD_KIND", field::KIND),
        ("FIELD_ID", field::ID),
        ("FIELD_GA_CLIENT_ID", field::GA_CLIENT_ID),
        ("FIELD_GA_SESSION_ID", field::GA_SESSION_ID),
        ("FIELD_YM_CLIENT_ID", field::YM_CLIENT_ID),
        ("FIELD_ADS", field::ADS),
        ("FIELD_NUMBERS", field::NUMBERS),
        ("FIELD_TEMPLATE", field::TEMPLATE),
        ("FIELD_BOTS", field::BOTS),
        ("FIELD_DOMAINS", field::DOMAINS),
        ("FIELD_PAGES", field::PAGES),
        ("FIELD_PATH", field::PATH),
        ("FIELD_TEXT", field::TEXT),
    ];
    vec![
        (
            "The wasm's operations (src/lib.rs `op`) and the separator of their fields.",
            vec![
                ("OP_VIEW", op::VIEW.to_string()),
                ("OP_CONFIGURE", op::CONFIGURE.to_string()),
                ("OP_CLICK", op::CLICK.to_string()),
                ("OP_RESET", op::RESET.to_string()),
                ("OP_TAGS", op::TAGS.to_string()),
                ("VIEW_RANDOM_BYTES", num(op::VIEW_RANDOM_BYTES)),
                ("SEP", js_string(&SEP.to_string())),
            ],
        ),
        (
            "Hrefs that may be chat links (links::CHAT_HINTS): no other reaches the wasm.",
            vec![("CHAT", format!("/{}/i", hints.join("|")))],
        ),
        (
            "A chat of the JS API's links: a number's digits, or a bot (phone, links).",
            vec![
                ("NUMBER", format!("/^\\d{{{MIN_DIGITS},{MAX_DIGITS}}}$/")),
                ("BOT", format!("/^@\\w{{{MIN_BOT_LEN},{MAX_BOT_LEN}}}$/")),
            ],
        ),
        (
            "The query parameters of a new source (beacon::UTM_PARAMS, CLICK_ID_PARAMS).",
            vec![("CAMPAIGN", campaign)],
        ),
        (
            "Ids, idle times (ms) and the limits of beacon values (beacon).",
            vec![
                ("ID_BYTES", num(beacon::ID_BYTES)),
                ("ID", format!("/^[0-9a-f]{{{}}}$/i", 2 * beacon::ID_BYTES)),
                ("SESSION_IDLE_MS", beacon::SESSION_IDLE_MS.to_string()),
                ("VISITOR_IDLE_MS", beacon::VISITOR_IDLE_MS.to_string()),
                ("MAX_URL_LEN", num(beacon::MAX_URL_LEN)),
                ("MAX_SHORT_LEN", num(beacon::MAX_SHORT_LEN)),
                ("MAX_SCREEN_PX", beacon::MAX_SCREEN_PX.to_string()),
                (
                    "WASM_PATH_PLACEHOLDER",
                    js_string(beacon::WASM_PATH_PLACEHOLDER),
                ),
                ("CONFIG_PLACEHOLDER", js_string(beacon::CONFIG_PLACEHOLDER)),
            ],
        ),
        (
            "The query parameters a chat link's text is in (links).",
            vec![
                ("TEXT_PARAM", js_string(TEXT_PARAM)),
                ("START_PARAM", js_string(START_PARAM)),
            ],
        ),
        (
            "JSON field names of the beacons and the site config (beacon::field).",
            fields
                .into_iter()
                .map(|(name, value)| (name, js_string(value)))
                .collect(),
        ),
    ]
}

/// A JS string literal.
fn js_string(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` matched literally in a JS regex.
fn regex_source(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if r"\^$.|?*+()[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A regex alternation of `words`, their common prefix written once (as the
/// hand-written regex it replaces did, for size).
fn alternatives(words: &[&str]) -> String {
    let first = words.first().copied().unwrap_or_default();
    let prefix_len = words.iter().fold(first.len(), |len, w| {
        first
            .bytes()
            .zip(w.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count()
    });
    let rest: Vec<String> = words
        .iter()
        .map(|w| regex_source(&w[prefix_len..]))
        .collect();
    match prefix_len {
        0 => rest.join("|"),
        _ => format!("{}({})", regex_source(&first[..prefix_len]), rest.join("|")),
    }
}
