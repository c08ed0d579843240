//! Secrets held in clear because a signature is computed with them (the WhatsApp app secret,
//! the Twilio auth token): a type that never shows them by accident.
//!
//! `Debug` prints `Secret(***)`, there is no `Display` and no `Serialize`, so a site logged
//! with `{:?}` or answered as JSON cannot leak one; [`Secret::expose`] is the one way in.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256, how API tokens, the WhatsApp verify token and the Telegram secret
/// token are stored (the app secret and the Twilio token are needed in clear); tokens are
/// 256-bit random, so no slow hash is needed.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A secret string; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for computing a signature or storing it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(***))");
        assert_eq!(s.expose(), "hunter2");
    }
}
