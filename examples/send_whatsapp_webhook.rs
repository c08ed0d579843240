//! Sends a signed WhatsApp Cloud API webhook to a running collector, as Meta would.
//!
//! ```sh
//! cargo run -p chatrail-examples --example send_whatsapp_webhook -- \
//!     http://127.0.0.1:8080 demo-app-secret 447700900123 "Hi! (ref K7Q2M9VA)"
//! ```
//! Arguments: collector base URL, app secret, receiving business number, message text,
//! and optionally the sender's phone (default 5511987654321).

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, secret, business, text, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: send_whatsapp_webhook <base-url> <app-secret> <business-number> <text> [sender-phone]");
    };
    let from = rest.first().map(String::as_str).unwrap_or("5511987654321");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": business, "phone_number_id": "0"},
            "contacts": [{"profile": {"name": "Example Sender"}, "wa_id": from}],
            "messages": [{"from": from, "id": format!("wamid.example-{}", now.as_nanos()),
                          "timestamp": now.as_secs().to_string(), "type": "text",
                          "text": {"body": text}}]
        }}]}]
    })
    .to_string();
    // The signature covers the exact bytes sent: never re-serialise after signing.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/whatsapp", base.trim_end_matches('/')))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await?;
    println!("{} {}", response.status(), response.text().await?);
    Ok(())
}
