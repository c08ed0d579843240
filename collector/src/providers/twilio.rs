//! Twilio WhatsApp webhooks: form-encoded requests signed with `X-Twilio-Signature`.
//!
//! The signature is Base64(HMAC-SHA1(auth token, URL + every POST parameter's name and value,
//! sorted by name, no delimiters)), where the URL is the public one Twilio called — which a
//! proxy may rewrite, so it comes from configuration, never from the `Host` header.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::domain::inbound::{provider_id, ContactIdentity, InboundMessage, InvalidInbound};
use crate::domain::provider::{ChatChannel, Provider};
use crate::domain::referral::Referral;
use crate::domain::site::SiteId;
use crate::domain::status::{DeliveryStatus, StatusUpdate};
use crate::text::{field, MAX_SHORT, MAX_TEXT};

/// The decoded POST parameters, in request order.
#[derive(Debug, Clone)]
pub struct Form {
    params: Vec<(String, String)>,
}

impl Form {
    /// Decodes an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Form {
        Form {
            params: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str, max: usize) -> Option<String> {
        field(self.get(name), max)
    }

    /// Whether this is a status callback (about a message the business sent).
    pub fn is_status_callback(&self) -> bool {
        self.get("MessageStatus")
            .and_then(DeliveryStatus::parse)
            .is_some()
    }

    /// The business number: `To` of an inbound message, `From` of a status callback.
    pub fn business_number(&self) -> Option<&str> {
        if self.is_status_callback() {
            self.get("From")
        } else {
            self.get("To")
        }
    }
}

/// The `X-Twilio-Signature` value for `url` and `form` under `auth_token`.
pub fn signature(auth_token: &str, url: &str, form: &Form) -> String {
    let mac = mac(auth_token, url, form);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn mac(auth_token: &str, url: &str, form: &Form) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = form.params.iter().collect();
    // By name as Twilio documents; values of a repeated name in order too, as its SDKs do.
    sorted.sort();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// Checks `header` against `url` (and `url` without a `#…` connection-override fragment,
/// which Twilio may or may not include) in constant time.
pub fn verify(auth_token: &str, url: &str, form: &Form, header: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    let bare = url.split_once('#').map(|(u, _)| u);
    std::iter::once(url)
        .chain(bare)
        .any(|u| mac(auth_token, u, form).verify_slice(&expected).is_ok())
}

/// The inbound message of a verified request to `business_number` of `site_id`.
pub fn message(
    form: &Form,
    site_id: SiteId,
    business_number: &str,
    received_at_ms: i64,
) -> Result<InboundMessage, InvalidInbound> {
    let sid = provider_id(
        "MessageSid",
        form.get("MessageSid")
            .ok_or_else(|| InvalidInbound("MessageSid is missing".into()))?,
    )?;
    let from = form
        .get("From")
        .ok_or_else(|| InvalidInbound("From is missing".into()))?;
    // WaId is "typically a phone number"; From is `whatsapp:+E164` (or a bare phone for SMS).
    let phone = form
        .get("WaId")
        .and_then(chatrail_core::phone::normalize_number)
        .or_else(|| chatrail_core::phone::normalize_number(from))
        .ok_or_else(|| InvalidInbound(format!("From {from:?} is not a phone number")))?;
    let channel = if from.starts_with("whatsapp:") {
        ChatChannel::WhatsApp
    } else {
        ChatChannel::Sms
    };
    let text = form
        .text("Body", MAX_TEXT)
        .or_else(|| form.text("ButtonText", MAX_TEXT));
    let num_media: u32 = form
        .get("NumMedia")
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let message_type = form.text("MessageType", MAX_SHORT).unwrap_or_else(|| {
        if form.get("ButtonText").is_some() {
            "button"
        } else if num_media > 0 {
            "media"
        } else {
            "text"
        }
        .to_owned()
    });
    Ok(InboundMessage {
        site_id,
        provider: Provider::Twilio,
        provider_message_id: sid,
        business_number: business_number.to_owned(),
        contact: ContactIdentity {
            channel,
            phone: Some(phone),
            user_id: None,
            name: form.text("ProfileName", MAX_SHORT),
            username: None,
        },
        message_type,
        text,
        // Twilio sends no event time: the request is synchronous, so receipt time is close.
        sent_at_ms: received_at_ms,
        referral: referral(form),
    })
}

fn referral(form: &Form) -> Option<Referral> {
    let media_url = form.get("ReferralMediaUrl").map(str::to_owned);
    let content_type = form.get("ReferralMediaContentType").unwrap_or_default();
    let media_type = content_type
        .split('/')
        .next()
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let is_video = media_type.as_deref() == Some("video");
    Referral {
        source_id: form.get("ReferralSourceId").map(str::to_owned),
        source_url: form.get("ReferralSourceUrl").map(str::to_owned),
        source_type: form.get("ReferralSourceType").map(str::to_owned),
        headline: form.get("ReferralHeadline").map(str::to_owned),
        body: form.get("ReferralBody").map(str::to_owned),
        media_type,
        media_id: form.get("ReferralMediaId").map(str::to_owned),
        image_url: media_url.clone().filter(|_| !is_video),
        video_url: media_url.filter(|_| is_video),
        thumbnail_url: None,
        ctwa_clid: form.get("ReferralCtwaClid").map(str::to_owned),
        welcome_message: None,
    }
    .cleaned()
}

/// The status of a verified status callback for `site_id`.
pub fn status(
    form: &Form,
    site_id: SiteId,
    received_at_ms: i64,
) -> Result<Option<StatusUpdate>, InvalidInbound> {
    let sid = provider_id(
        "MessageSid",
        form.get("MessageSid")
            .ok_or_else(|| InvalidInbound("MessageSid is missing".into()))?,
    )?;
    let Some(status) = form.get("MessageStatus").and_then(DeliveryStatus::parse) else {
        return Ok(None);
    };
    let errors = form.get("ErrorCode").map(|code| {
        serde_json::json!([{"code": code, "message": form.get("ErrorMessage")}]).to_string()
    });
    Ok(Some(StatusUpdate {
        site_id,
        provider: Provider::Twilio,
        provider_message_id: sid,
        recipient: form
            .get("To")
            .and_then(chatrail_core::phone::normalize_number),
        status,
        // Status callbacks carry no event time either; the forward-only rule keeps the
        // stored status right whatever order they arrive in.
        at_ms: received_at_ms,
        errors,
        pricing_category: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_twilio_s_published_example() {
        // The example of Twilio's security docs and SDK tests: token 12345, this URL and these
        // parameters sign to RSOYDt4T1cUTdK1PDd93/VVr8B8=.
        let form = Form::parse(
            b"To=%2B18005551212&From=%2B14158675309&Digits=1234&Caller=%2B14158675309\
              &CallSid=CA1234567890ABCDE",
        );
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let want = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        assert_eq!(signature("12345", url, &form), want);
        assert!(verify("12345", url, &form, want));
        assert!(!verify("54321", url, &form, want));
        assert!(!verify(
            "12345",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            &form,
            want
        ));
        assert!(!verify("12345", url, &form, "not base64!"));
        assert!(verify("12345", &format!("{url}#rc=2"), &form, want));
    }

    #[test]
    fn messages_carry_sender_text_and_referral() {
        let form = Form::parse(
            b"MessageSid=SM123&From=whatsapp%3A%2B447911123456&To=whatsapp%3A%2B79001234567\
              &Body=Tell+me+more&ProfileName=Tom&WaId=447911123456&NumMedia=0\
              &ReferralSourceId=1202&ReferralSourceType=ad&ReferralHeadline=Oak\
              &ReferralMediaContentType=video%2Fmp4&ReferralMediaUrl=https%3A%2F%2Fv.example%2F1\
              &ReferralCtwaClid=ARAk",
        );
        let m = message(&form, SiteId(uuid::Uuid::nil()), "79001234567", 5).unwrap();
        assert_eq!(m.provider_message_id, "SM123");
        assert_eq!(m.contact.phone.as_deref(), Some("447911123456"));
        assert_eq!(m.contact.channel, ChatChannel::WhatsApp);
        assert_eq!(m.text.as_deref(), Some("Tell me more"));
        let r = m.referral.unwrap();
        assert_eq!(r.media_type.as_deref(), Some("video"));
        assert_eq!(r.video_url.as_deref(), Some("https://v.example/1"));
        assert_eq!(r.ctwa_clid.as_deref(), Some("ARAk"));
        assert!(message(&Form::parse(b"From=x"), SiteId(uuid::Uuid::nil()), "1", 0).is_err());
    }
}
