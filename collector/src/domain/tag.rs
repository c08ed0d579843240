//! Operators' tags on dialogs (products, lead status, …).

/// Most characters in a tag.
pub const MAX_TAG_CHARS: usize = 50;
/// Most tags on one dialog.
pub const MAX_TAGS_PER_DIALOG: i64 = 50;

/// A valid tag: trimmed, lower-case, 1–50 letters, digits, spaces and `- _ . :`.
///
/// Lower-casing makes `Hot` and `hot` one tag in reports. The character set excludes `/`,
/// `?`, `#`, `%` and `+` so a tag is always one plain URL path segment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tag(String);

/// Why a tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Empty after trimming.
    #[error("tag is empty")]
    Empty,
    /// Over [`MAX_TAG_CHARS`].
    #[error("tag is longer than {MAX_TAG_CHARS} characters")]
    TooLong,
    /// A character outside the allowed set.
    #[error("tag contains {0:?}: use letters, digits, spaces and - _ . :")]
    BadCharacter(char),
}

impl Tag {
    /// Validates and normalises a tag as typed.
    pub fn parse(raw: &str) -> Result<Tag, TagError> {
        let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(TagError::Empty);
        }
        if collapsed.chars().count() > MAX_TAG_CHARS {
            return Err(TagError::TooLong);
        }
        if let Some(bad) = collapsed
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | ':')))
        {
            return Err(TagError::BadCharacter(bad));
        }
        Ok(Tag(collapsed.to_lowercase()))
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_or_refused() {
        assert_eq!(Tag::parse("  Hot   Lead ").unwrap().as_str(), "hot lead");
        assert_eq!(Tag::parse("Стол:дуб").unwrap().as_str(), "стол:дуб");
        assert_eq!(
            Tag::parse("product.oak-table_2").unwrap().as_str(),
            "product.oak-table_2"
        );
        assert_eq!(Tag::parse(" "), Err(TagError::Empty));
        assert_eq!(Tag::parse(&"a".repeat(51)), Err(TagError::TooLong));
        assert_eq!(Tag::parse("a/b"), Err(TagError::BadCharacter('/')));
        assert_eq!(Tag::parse("<b>"), Err(TagError::BadCharacter('<')));
        assert_eq!(Tag::parse("a\u{0}"), Err(TagError::BadCharacter('\u{0}')));
    }
}
