//! Accounts: an e-mail address, an argon2id password hash, a role per site; the random
//! values of session cookies and invite links, stored only as SHA-256 hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

use super::token::random_token;

/// How long a session lasts after signing in.
pub const SESSION_MS: i64 = 30 * 24 * 3600 * 1000;
/// How long an invite (or a password reset) link may be used.
pub const INVITE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most characters of a password (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 200;
/// Most characters of an e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "chatrail_session";
/// The header naming the site a cookie-authenticated request acts on; as a custom header a
/// cross-site form cannot send, it is also what makes such requests CSRF-safe.
pub const SITE_HEADER: &str = "x-chatrail-site";

/// What [`Email::parse`] takes, as a JSON Schema pattern for the API description: one `@`,
/// a dot inside the domain, no whitespace or control characters but around it.
pub const EMAIL_PATTERN: &str = "^\\s*[^\\s@\\u0000-\\u001f\\u007f-\\u009f]+@[^\\s@.\\u0000-\\u001f\\u007f-\\u009f][^\\s@\\u0000-\\u001f\\u007f-\\u009f]*\\.[^\\s@\\u0000-\\u001f\\u007f-\\u009f]*[^\\s@.\\u0000-\\u001f\\u007f-\\u009f]\\s*$";

/// An account's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(pub uuid::Uuid);

/// An e-mail address as given (trimmed) and as looked up (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// As given, trimmed.
    pub given: String,
    /// Lower-cased: unique, and what sign-in compares.
    pub folded: String,
}

impl Email {
    /// Parses an address: one `@` with text on both sides, a dot in the domain, no
    /// whitespace or control characters, at most [`MAX_EMAIL_CHARS`].
    pub fn parse(raw: &str) -> Result<Email, String> {
        let given = raw.trim();
        if given.is_empty() {
            return Err("email is empty".into());
        }
        if given.chars().count() > MAX_EMAIL_CHARS {
            return Err(format!("email is longer than {MAX_EMAIL_CHARS} characters"));
        }
        if given.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("email holds whitespace or a control character".into());
        }
        let valid = given.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
        if !valid {
            return Err(format!("email {given:?} is not an e-mail address"));
        }
        Ok(Email {
            given: given.to_owned(),
            folded: given.to_lowercase(),
        })
    }
}

/// Checks a new password's length (nothing else: length is what makes one strong).
pub fn check_new_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    if password.contains('\0') {
        return Err("password holds a NUL character".into());
    }
    Ok(())
}

/// The argon2id (default parameters) PHC string of `password`, with a random salt. Slow on
/// purpose: call it off the async threads.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one hashed in `stored`; without a stored hash (no account, or
/// no password yet) a hash of nothing is checked all the same, so the answer takes as long
/// either way. Slow on purpose: call it off the async threads.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash_password(&random_token("")).unwrap_or_default());
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (decoy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// A new session cookie's value.
pub fn new_session_secret() -> String {
    random_token("crs_")
}

/// A new link to set a password: its token (shown once), the token's SHA-256 (stored)
/// and when it expires.
pub fn new_invite() -> (String, String, i64) {
    let token = random_token("cri_");
    let hash = super::secret::sha256_hex(&token);
    (token, hash, super::now_ms() + INVITE_MS)
}

/// The link that sets a password with `token`: the dashboard's page for it, under
/// `public_url` when one is configured (else a path on the collector). The token is in the
/// fragment, which browsers never send to a server or in a `Referer`.
pub fn invite_link(public_url: Option<&str>, token: &str) -> String {
    let base = public_url.unwrap_or("").trim_end_matches('/');
    format!("{base}/dashboard/#invite={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_fold_and_refuse_what_is_not_one() {
        let e = Email::parse("  Ann.Lee@Example.COM ").unwrap();
        assert_eq!(e.given, "Ann.Lee@Example.COM");
        assert_eq!(e.folded, "ann.lee@example.com");
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.io",
            "a b@x.io",
            "a@b",
            "a@x.io@y.io",
            "a@.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(260))).is_err());
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("correct horse batterY", Some(&hash)));
        assert!(!verify_password("anything", None));
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn new_passwords_are_bounded() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password(&"x".repeat(201)).is_err());
        assert!(check_new_password("long enough pass").is_ok());
    }

    #[test]
    fn invite_links_carry_the_token_in_the_fragment() {
        assert_eq!(
            invite_link(Some("https://c.example/"), "cri_x"),
            "https://c.example/dashboard/#invite=cri_x"
        );
        assert_eq!(invite_link(None, "cri_x"), "/dashboard/#invite=cri_x");
    }
}
