//! Outbound webhooks signed per the Standard Webhooks convention
//! (<https://www.standardwebhooks.com/>): headers `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! the key being the base64 after the secret's `whsec_` prefix.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// The HMAC key of a `whsec_…` secret, or why it is not one.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .trim()
        .strip_prefix(PREFIX)
        .ok_or("a webhook secret starts with whsec_ (leave it out to get one)")?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| "a webhook secret is whsec_ and base64")?;
    if !(24..=64).contains(&key.len()) {
        return Err("a webhook secret's key is 24 to 64 bytes".into());
    }
    Ok(key)
}

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    format!("{PREFIX}{}", STANDARD.encode(rand::random::<[u8; 32]>()))
}

/// The `webhook-signature` header of `body` sent as message `id` at `timestamp`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries
    /// (`standard-webhooks/libraries`, python/tests.py and javascript's tests).
    #[test]
    fn signs_as_the_reference_libraries_do() {
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_made_and_checked() {
        let s = new_secret();
        assert_eq!(signing_key(&s).unwrap().len(), 32);
        assert_ne!(s, new_secret());
        assert!(signing_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(signing_key("whsec_***").is_err());
        assert!(signing_key("whsec_AAAA").is_err(), "too short a key");
    }
}
