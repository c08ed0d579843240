//! Closed vocabularies: enums stored and shown by name, parsed back at the edge.

/// A stored or requested value that names no member of a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownName {
    /// What was expected.
    pub what: &'static str,
    /// What was given.
    pub value: String,
}

/// Gives a fieldless enum of named values `ALL`, `as_str`, `parse` (refusing any other name
/// with [`UnknownName`]), `TryFrom<String>` (for `#[sqlx(try_from = "String")]`) and
/// `Display`. Each variant is written `Variant = "name"`.
macro_rules! closed_names {
    ($name:ident, $what:literal, { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, in order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stored and displayed name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses a stored or requested name.
            pub fn parse(s: &str) -> Result<$name, $crate::domain::names::UnknownName> {
                $name::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::domain::names::UnknownName {
                        what: $what,
                        value: s.to_owned(),
                    })
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::names::UnknownName;

            fn try_from(s: String) -> Result<$name, Self::Error> {
                $name::parse(&s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use closed_names;
