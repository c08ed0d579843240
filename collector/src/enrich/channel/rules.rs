//! A site's own channel rules, checked before the default channel group.
//!
//! Written as `CONDITION [& CONDITION …] -> CHANNEL`, e.g.
//! `source=partner-* & medium=cpa -> Affiliates` or `referrer=*.partner.example -> Partners`.
//! A condition is `FIELD=PATTERN`; every condition must hold. Patterns compare without regard
//! to case, and `*` stands for any run of characters. The channel may be one of the default
//! channels or a name of the site's own.

use super::{Traffic, TrafficChannel};

/// What a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The normalised source (`google`, `facebook`, or the lower-cased `utm_source`).
    Source,
    /// The normalised medium (`cpc`, `referral`, `(none)` …).
    Medium,
    /// `utm_campaign`.
    Campaign,
    /// `utm_content`.
    Content,
    /// `utm_term`.
    Term,
    /// The external referrer's domain (without `www.`).
    Referrer,
    /// The name of a click-id parameter present on the landing page (`gclid`, …).
    ClickId,
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "source" | "utm_source" => Field::Source,
            "medium" | "utm_medium" => Field::Medium,
            "campaign" | "utm_campaign" => Field::Campaign,
            "content" | "utm_content" => Field::Content,
            "term" | "utm_term" => Field::Term,
            "referrer" | "referer" | "referrer_domain" => Field::Referrer,
            "click_id" | "clickid" => Field::ClickId,
            _ => return None,
        })
    }
}

/// One `FIELD=PATTERN` condition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Condition {
    /// The field compared.
    pub field: Field,
    /// Lower-cased pattern; `*` matches any run of characters.
    pub pattern: String,
}

/// A site's rule: when every condition holds, the visit gets `channel`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelRule {
    /// The conditions, all of which must hold.
    pub when: Vec<Condition>,
    /// The channel given.
    pub channel: TrafficChannel,
}

/// Why a rule's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel rule {rule:?}: {reason} (expected e.g. \"source=partner-* & medium=cpa -> Affiliates\"; fields: source, medium, campaign, content, term, referrer, click_id)")]
pub struct RuleError {
    rule: String,
    reason: &'static str,
}

const MAX_CHANNEL_LEN: usize = 40;
const MAX_PATTERN_LEN: usize = 200;

impl ChannelRule {
    /// Parses `CONDITION [& CONDITION …] -> CHANNEL`.
    pub fn parse(text: &str) -> Result<ChannelRule, RuleError> {
        let err = |reason| RuleError {
            rule: text.to_owned(),
            reason,
        };
        let (conditions, channel) = text.rsplit_once("->").ok_or_else(|| err("no `->`"))?;
        let channel = super::lists::collapse(channel);
        if channel.is_empty() || channel.len() > MAX_CHANNEL_LEN {
            return Err(err("the channel must be 1-40 characters"));
        }
        if !channel
            .chars()
            .all(|c| c.is_alphanumeric() || " -_&/.".contains(c))
        {
            return Err(err(
                "the channel may hold letters, digits, spaces and - _ & / .",
            ));
        }
        let mut when = Vec::new();
        for part in conditions.split('&') {
            let (field, pattern) = part
                .split_once('=')
                .ok_or_else(|| err("a condition is not FIELD=PATTERN"))?;
            let field = Field::parse(field).ok_or_else(|| err("unknown field"))?;
            let pattern = pattern.trim().to_lowercase();
            if pattern.is_empty() || pattern.len() > MAX_PATTERN_LEN {
                return Err(err("a pattern must be 1-200 characters"));
            }
            when.push(Condition { field, pattern });
        }
        Ok(ChannelRule {
            when,
            channel: TrafficChannel::named(&channel),
        })
    }

    /// Whether every condition holds for `t`.
    pub fn matches(&self, t: &Traffic) -> bool {
        self.when.iter().all(|c| match c.field {
            Field::ClickId => t.click_ids.iter().any(|k| glob(&c.pattern, k)),
            field => t
                .field(field)
                .is_some_and(|v| glob(&c.pattern, &v.to_lowercase())),
        })
    }
}

impl std::fmt::Display for ChannelRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, c) in self.when.iter().enumerate() {
            let field = match c.field {
                Field::Source => "source",
                Field::Medium => "medium",
                Field::Campaign => "campaign",
                Field::Content => "content",
                Field::Term => "term",
                Field::Referrer => "referrer",
                Field::ClickId => "click_id",
            };
            if i > 0 {
                f.write_str(" & ")?;
            }
            write!(f, "{field}={}", c.pattern)?;
        }
        write!(f, " -> {}", self.channel)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("partner", "partner"));
        assert!(!glob("partner", "partners"));
        assert!(glob("partner-*", "partner-42"));
        assert!(glob("*.partner.example", "shop.partner.example"));
        assert!(!glob("*.partner.example", "partner.example"));
        assert!(glob("*sale*", "black-sale-2025"));
        assert!(glob("a*b*c", "abc"));
        assert!(!glob("a*b*c", "acb"));
        assert!(glob("*", ""));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn rules_parse_and_print_back() {
        let r = ChannelRule::parse("Source=Partner-* &  utm_medium = CPA -> Affiliates").unwrap();
        assert_eq!(
            r.channel,
            TrafficChannel::Default(super::super::Channel::Affiliates)
        );
        let own = ChannelRule::parse("referrer=*.forum.example -> Community").unwrap();
        assert_eq!(own.channel, TrafficChannel::Custom("Community".into()));
        assert_eq!(
            serde_json::to_value(&own).unwrap()["channel"],
            serde_json::json!("Community")
        );
        assert_eq!(r.when.len(), 2);
        assert_eq!(r.to_string(), "source=partner-* & medium=cpa -> Affiliates");
        assert_eq!(ChannelRule::parse(&r.to_string()).unwrap(), r);
    }

    #[test]
    fn bad_rules_name_the_problem() {
        for (text, reason) in [
            ("source=x", "no `->`"),
            ("source=x -> ", "1-40"),
            ("colour=red -> Paid Search", "unknown field"),
            ("source -> Paid Search", "FIELD=PATTERN"),
            ("source= -> Paid Search", "1-200"),
            ("source=x -> <script>", "letters, digits"),
        ] {
            let e = ChannelRule::parse(text).unwrap_err().to_string();
            assert!(e.contains(reason), "{text}: {e}");
        }
    }
}
