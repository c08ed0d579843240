//! UTM parameters and ad click ids carried by a landing-page URL.

use url::Url;

pub use chatrail_core::beacon::CLICK_ID_PARAMS;

const MAX_VALUE_LEN: usize = 256;

/// The attribution parameters of one URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Attribution {
    /// `utm_source`.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// `utm_content` (the ad).
    pub utm_content: Option<String>,
    /// `utm_term` (the keyword).
    pub utm_term: Option<String>,
    /// Click ids present, as `(parameter, value)` pairs.
    pub click_ids: Vec<(String, String)>,
}

impl Attribution {
    /// Reads UTM parameters (first occurrence wins) and click ids from a URL's query.
    pub fn from_url(url: &Url) -> Attribution {
        let mut a = Attribution::default();
        for (key, value) in url.query_pairs() {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let value = crate::text::clip(value, MAX_VALUE_LEN);
            let key = key.to_ascii_lowercase();
            let slot = match key.as_str() {
                "utm_source" => &mut a.utm_source,
                "utm_medium" => &mut a.utm_medium,
                "utm_campaign" => &mut a.utm_campaign,
                "utm_content" => &mut a.utm_content,
                "utm_term" => &mut a.utm_term,
                k if CLICK_ID_PARAMS.contains(&k) => {
                    if !a.click_ids.iter().any(|(p, _)| p == k) {
                        a.click_ids.push((key, value));
                    }
                    continue;
                }
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        a
    }

    /// Whether any UTM parameter or click id is present.
    pub fn is_empty(&self) -> bool {
        self == &Attribution::default()
    }

    /// The click ids as a JSON object text, for storage.
    pub fn click_ids_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .click_ids
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utm_and_click_ids() {
        let url = Url::parse(
            "https://shop.example/p?utm_source=google&UTM_MEDIUM=cpc&utm_campaign=spring%20sale&gclid=abc&utm_source=bing",
        )
        .unwrap();
        let a = Attribution::from_url(&url);
        assert_eq!(a.utm_source.as_deref(), Some("google"));
        assert_eq!(a.utm_medium.as_deref(), Some("cpc"));
        assert_eq!(a.utm_campaign.as_deref(), Some("spring sale"));
        assert_eq!(a.click_ids, vec![("gclid".into(), "abc".into())]);
        assert_eq!(a.click_ids_json(), r#"{"gclid":"abc"}"#);
    }

    #[test]
    fn plain_url_has_no_attribution() {
        let a = Attribution::from_url(&Url::parse("https://shop.example/?q=1").unwrap());
        assert!(a.is_empty());
    }
}
