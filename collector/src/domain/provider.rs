//! Who delivered a message (the provider, the namespace of its ids) and on which messaging
//! channel the contact wrote.

use super::names::{closed_names, UnknownName};

/// A messaging provider; stored as [`Provider::as_str`], the namespace of provider ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// The WhatsApp Cloud API.
    WhatsApp,
    /// Twilio (WhatsApp and SMS).
    Twilio,
    /// A Telegram bot.
    Telegram,
    /// The generic `POST /api/v1/messages`, for any other platform.
    Generic,
}

closed_names!(Provider, "provider", {
    WhatsApp = "whatsapp",
    Twilio = "twilio",
    Telegram = "telegram",
    Generic = "api",
});

/// A Telegram bot (its normalised, lower-case username) as the number of a chat: `@` and the
/// username. Clicks, dialogs, cards, probable matches and reports all spell a bot this way.
pub fn telegram_number(bot: &str) -> String {
    format!("@{bot}")
}

/// The messaging channel a contact wrote on; stored as [`ChatChannel::as_str`].
///
/// The providers' own channels are named; the generic API accepts any other platform
/// (`instagram`, `viber`, …) under its lower-case name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatChannel {
    /// WhatsApp.
    WhatsApp,
    /// Telegram.
    Telegram,
    /// Text messages (Twilio).
    Sms,
    /// Another platform, by a name of 1–32 characters of `a-z 0-9 _ -`.
    Other(String),
}

/// Longest name of another platform.
const MAX_CHANNEL_NAME: usize = 32;

impl ChatChannel {
    /// The stored name.
    pub fn as_str(&self) -> &str {
        match self {
            ChatChannel::WhatsApp => "whatsapp",
            ChatChannel::Telegram => "telegram",
            ChatChannel::Sms => "sms",
            ChatChannel::Other(name) => name,
        }
    }

    /// Parses a channel name: one of the named channels, else any 1–32 characters of
    /// `a-z 0-9 _ -`.
    pub fn parse(s: &str) -> Result<ChatChannel, UnknownName> {
        Ok(match s {
            "whatsapp" => ChatChannel::WhatsApp,
            "telegram" => ChatChannel::Telegram,
            "sms" => ChatChannel::Sms,
            other
                if (1..=MAX_CHANNEL_NAME).contains(&other.len())
                    && other.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    }) =>
            {
                ChatChannel::Other(other.to_owned())
            }
            _ => {
                return Err(UnknownName {
                    what: "messaging channel",
                    value: s.to_owned(),
                })
            }
        })
    }
}

impl TryFrom<String> for ChatChannel {
    type Error = UnknownName;

    fn try_from(s: String) -> Result<ChatChannel, UnknownName> {
        ChatChannel::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_round_trip_and_unknown_ones_are_refused() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.as_str()), Ok(p));
        }
        assert_eq!(Provider::Generic.as_str(), "api");
        assert!(Provider::parse("generic").is_err());
        assert!(Provider::parse("WhatsApp").is_err());
    }

    #[test]
    fn channels_round_trip_and_bad_names_are_refused() {
        for name in ["whatsapp", "telegram", "sms", "instagram", "viber_2"] {
            assert_eq!(ChatChannel::parse(name).unwrap().as_str(), name);
        }
        assert_eq!(ChatChannel::parse("whatsapp"), Ok(ChatChannel::WhatsApp));
        assert_eq!(
            ChatChannel::parse("line"),
            Ok(ChatChannel::Other("line".into()))
        );
        for bad in ["", "WhatsApp", "a b", &"x".repeat(33)] {
            assert!(ChatChannel::parse(bad).is_err(), "{bad:?}");
        }
    }
}
