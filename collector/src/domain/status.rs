//! Delivery statuses of messages the business sent (`statuses[]` of Cloud API webhooks).

use super::provider::Provider;
use super::site::SiteId;

/// Where a sent message is. Statuses only move forward, in the order of [`rank`](Self::rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryStatus {
    /// Accepted by WhatsApp.
    Sent,
    /// On the recipient's device.
    Delivered,
    /// Opened.
    Read,
    /// A voice message was played (after read).
    Played,
    /// Could not be delivered. Final: a later `sent` arriving out of order never hides it.
    Failed,
}

impl DeliveryStatus {
    /// Parses the provider's status name.
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        match s {
            "sent" => Some(DeliveryStatus::Sent),
            "delivered" => Some(DeliveryStatus::Delivered),
            "read" => Some(DeliveryStatus::Read),
            "played" => Some(DeliveryStatus::Played),
            "failed" | "undelivered" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Position in the forward-only order; a stored status is replaced only by a higher rank.
    pub fn rank(self) -> i64 {
        match self {
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Played => 4,
            DeliveryStatus::Failed => 5,
        }
    }
}

/// One status notification.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// Site owning the business number.
    pub site_id: SiteId,
    /// The provider: the namespace of `provider_message_id`.
    pub provider: Provider,
    /// Id of the message the status is about.
    pub provider_message_id: String,
    /// Recipient (WhatsApp id), when given.
    pub recipient: Option<String>,
    /// The new status.
    pub status: DeliveryStatus,
    /// When it happened (the provider's event time), epoch ms.
    pub at_ms: i64,
    /// Provider errors as a JSON array, for failures.
    pub errors: Option<String>,
    /// Pricing category (`service`, `marketing`, …), when given.
    pub pricing_category: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_ordered_and_round_trip() {
        let all = ["sent", "delivered", "read", "played", "failed"];
        let parsed: Vec<_> = all
            .iter()
            .filter_map(|s| DeliveryStatus::parse(s))
            .collect();
        assert_eq!(parsed.len(), all.len());
        assert!(parsed.windows(2).all(|w| w[0].rank() < w[1].rank()));
        for s in parsed {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DeliveryStatus::parse("deleted"), None);
    }
}
