//! Page identity: the address under which reports count a page. A landing page reached from
//! ten ad clicks is one page, not ten URLs that differ in their click ids.
//!
//! From a full URL (kept as it came on the source card) the key drops the scheme, the
//! fragment and the query string (tracking parameters such as `utm_*` and click ids, and
//! anything else: query parameters rarely name a page), decodes the path for display
//! (`/каталог`, not `/%D0%BA…`), and makes `/x/` and `/x` one page. The host is kept only
//! when the site has several domains (without `www.`), since then `/` alone is ambiguous.

use percent_encoding::percent_decode_str;
use url::Url;

/// The report key of the page at `url` on a site with `domains`; a URL that does not parse
/// is its own key.
pub fn page_key(url: &str, domains: &[String]) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let Some(host) = parsed.host_str() else {
        return url.to_owned();
    };
    let path = percent_decode_str(parsed.path()).decode_utf8_lossy();
    let path = match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    if domains.len() > 1 {
        let host = host.strip_prefix("www.").unwrap_or(host);
        format!("{host}{path}")
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> String {
        page_key(url, &["shop.test".to_owned()])
    }

    #[test]
    fn ad_clicks_to_one_page_are_one_page() {
        for url in [
            "https://shop.test/kids/?utm_source=google&utm_medium=cpc&gclid=Cj0KCQiA1",
            "https://shop.test/kids?gclid=Cj0KCQiA2&gbraid=0AAAAA",
            "http://www.shop.test/kids/#reviews",
            "https://shop.test/kids?yclid=7291&utm_source=yandex",
            "https://shop.test/kids/?fbclid=IwAR3x&utm_content=ad-7",
            "https://shop.test/kids///",
        ] {
            assert_eq!(key(url), "/kids", "{url}");
        }
    }

    #[test]
    fn paths_are_decoded_for_display() {
        assert_eq!(
            key("https://shop.test/%D0%BA%D0%B0%D1%82%D0%B0%D0%BB%D0%BE%D0%B3/%D1%81%D1%82%D0%BE%D0%BB%D1%8B/?ysclid=lx1"),
            "/каталог/столы"
        );
        assert_eq!(key("https://shop.test/каталог"), "/каталог");
        assert_eq!(key("https://shop.test/a%20b"), "/a b");
        // Not UTF-8 once decoded: replacement characters, never a failure.
        assert_eq!(key("https://shop.test/%FF"), "/\u{FFFD}");
    }

    #[test]
    fn the_root_is_slash() {
        assert_eq!(key("https://shop.test"), "/");
        assert_eq!(key("https://shop.test/?utm_source=x"), "/");
        assert_eq!(key("https://shop.test/#top"), "/");
    }

    #[test]
    fn the_host_is_kept_when_the_site_has_several_domains() {
        let domains = ["shop.test".to_owned(), "shop.example".to_owned()];
        assert_eq!(
            page_key("https://www.shop.example/kids/?gclid=1", &domains),
            "shop.example/kids"
        );
        assert_eq!(page_key("https://shop.test/", &domains), "shop.test/");
    }

    #[test]
    fn what_does_not_parse_is_its_own_key() {
        assert_eq!(key("not a url"), "not a url");
    }
}
