use super::*;

const ID: &str = "000102030405060708090a0b0c0d0e0f";
const DAY: u64 = 24 * 3600 * 1000;

fn code() -> SessionCode {
    let mut n = 7u32;
    SessionCode::generate(|| {
        n = n.wrapping_mul(2_654_435_761).wrapping_add(1);
        n
    })
}

#[test]
fn encode_then_resume_round_trips() {
    let c = code();
    let s = encode(ID, &c, 1_700_000_000_123, "abcd0123");
    assert!(s.ends_with("|1700000000123|abcd0123"), "{s}");
    let resumed = Some((ID.to_string(), c, "abcd0123".to_string()));
    assert_eq!(resume(&s, 1_700_000_000_123 + 60_000, ""), resumed);
    assert_eq!(resume(&s, 1_700_000_000_123, "abcd0123"), resumed);
}

#[test]
fn idle_sessions_new_sources_and_garbage_do_not_resume() {
    let c = code();
    let s = encode(ID, &c, 1_000, "");
    let idle = SESSION_IDLE_MS as u64;
    assert!(resume(&s, 1_000 + idle, "").is_some());
    assert!(resume(&s, 1_000 + idle + 1, "").is_none());
    assert!(
        resume(&s, 0, "").is_some(),
        "a clock moved back keeps the session"
    );
    assert!(
        resume(&s, 2_000, "feed0001").is_none(),
        "a new campaign starts a session"
    );
    // A record of the previous format (no source) still resumes.
    let old = format!("{ID}|{}|1000", c.as_str());
    assert!(resume(&old, 2_000, "").is_some());
    for bad in [
        "",
        "x|y|z",
        &format!("{ID}|{}", c.as_str()),
        &format!("{ID}|{}|-5", c.as_str()),
        &format!("{ID}|K7Q2M9VB|1000"),
    ] {
        assert!(resume(bad, 1_000, "").is_none(), "{bad:?}");
    }
}

#[test]
fn visitor_is_kept_for_a_year_of_absence() {
    let now = 1_000 * DAY;
    let kept = encode_visitor(ID, now - 364 * DAY);
    assert_eq!(visitor(Some(&kept), now, || [9; 16]), ID);
    let gone = encode_visitor(ID, now - 366 * DAY);
    assert_eq!(visitor(Some(&gone), now, || [9; 16]), "09".repeat(16));
    assert_eq!(visitor(Some(ID), now, || [9; 16]), ID, "older bare record");
    assert_eq!(visitor(Some("nope"), now, || [0xab; 16]), "ab".repeat(16));
    assert_eq!(visitor(None, now, || [0; 16]), "0".repeat(32));
}

#[test]
fn hosts_and_paths_of_urls() {
    assert_eq!(host("https://u:p@Shop.test:8080/a?b#c"), "Shop.test");
    assert_eq!(host("http://localhost"), "localhost");
    assert_eq!(host(""), "");
    assert_eq!(path("https://shop.test/a/b?c=1#d"), "/a/b");
    assert_eq!(path("https://shop.test?x"), "/");
    assert_eq!(path("https://shop.test"), "/");
    assert_eq!(path("nonsense"), "/");
}

#[test]
fn sources_fingerprint_campaigns_and_external_referrers() {
    let config = SiteConfig {
        domains: vec!["shop.test".into()],
        ..SiteConfig::default()
    };
    let src = |url, referrer| source(url, referrer, &config);
    assert_eq!(src("https://shop.test/", ""), "");
    assert_eq!(src("https://shop.test/?q=1&utm_source=", ""), "");
    assert_eq!(src("https://shop.test/b", "https://shop.test/a"), "");
    assert_eq!(src("https://shop.test/b", "https://www.shop.test/a"), "");
    assert_eq!(src("https://shop.test/b", "https://pay.shop.test/"), "");
    assert_eq!(src("http://localhost:1/b", "http://localhost:2/a"), "");

    let ad = src("https://shop.test/?utm_source=g&utm_campaign=a", "");
    assert_eq!(ad.len(), 8);
    assert_eq!(
        ad,
        src(
            "https://shop.test/?utm_source=g&utm_campaign=a",
            "https://google.com/"
        ),
        "a tagged link's source does not depend on the page it was on"
    );
    assert_eq!(
        ad,
        src("https://shop.test/x?utm_source=g&utm_campaign=a#f", "")
    );
    let others = [
        src("https://shop.test/?utm_source=g&utm_campaign=b", ""),
        src("https://shop.test/?gclid=1", ""),
        src("https://shop.test/?GCLID=2", ""),
        src("https://shop.test/", "https://google.com/"),
        src("https://shop.test/", "https://bing.com/"),
    ];
    for (i, s) in others.iter().enumerate() {
        assert_eq!(s.len(), 8);
        assert_ne!(*s, ad);
        assert!(others[..i].iter().all(|o| o != s), "{others:?}");
    }
}
