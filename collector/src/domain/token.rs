//! API tokens: random, shown once, stored only as a SHA-256 hash.

use rand::RngCore;

use super::site::SiteId;

/// What a token may do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Dialogs, source cards and tags.
    Operator,
    /// Reports.
    Analyst,
    /// Everything, including site settings and tokens.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "operator" => Some(Role::Operator),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role may read dialogs and source cards.
    pub fn can_read_dialogs(self) -> bool {
        matches!(self, Role::Operator | Role::Admin)
    }

    /// Whether this role may read reports.
    pub fn can_read_reports(self) -> bool {
        matches!(self, Role::Analyst | Role::Admin)
    }

    /// Whether this role may change the site's settings and tokens.
    pub fn can_administer(self) -> bool {
        self == Role::Admin
    }

    /// Whether this role may post inbound messages to the generic endpoint (an integration
    /// that feeds chats in acts for the operators who will answer them).
    pub fn can_post_messages(self) -> bool {
        matches!(self, Role::Operator | Role::Admin)
    }
}

/// The site and role a presented token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenGrant {
    /// The only site the token can see.
    pub site_id: SiteId,
    /// What it may do there.
    pub role: Role,
}

/// A new random token (`crt_` + 43 base64url characters, 256 bits).
pub fn generate_token() -> String {
    random_token("crt_")
}

/// `prefix` and 43 base64url characters (256 random bits): API tokens, session cookies,
/// invite links.
pub fn random_token(prefix: &str) -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut token = String::from(prefix);
    token.push_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    token
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secret::sha256_hex;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (generate_token(), generate_token());
        assert_ne!(a, b);
        assert!(a.starts_with("crt_") && a.len() == 47);
        assert_eq!(sha256_hex("x"), sha256_hex("x"));
        assert_ne!(sha256_hex(&a), a);
    }
}
