//! Click-to-WhatsApp ad referrals: the ad a chat was started from, as the provider reports it.

/// The ad behind a message (Meta's `referral` object, Twilio's `Referral*` fields).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Referral {
    /// The ad (or post) id.
    pub source_id: Option<String>,
    /// The ad's URL.
    pub source_url: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    /// The ad's headline.
    pub headline: Option<String>,
    /// The ad's text.
    pub body: Option<String>,
    /// `image` or `video`.
    pub media_type: Option<String>,
    /// Provider media id (Twilio).
    pub media_id: Option<String>,
    /// Image of the ad.
    pub image_url: Option<String>,
    /// Video of the ad.
    pub video_url: Option<String>,
    /// Thumbnail of the video.
    pub thumbnail_url: Option<String>,
    /// Click id for Meta's Conversions API; absent for Status placements.
    pub ctwa_clid: Option<String>,
    /// The greeting the ad showed.
    pub welcome_message: Option<String>,
}

impl Referral {
    /// Whether anything identifies an ad; an all-empty object is not a referral.
    pub fn is_present(&self) -> bool {
        [
            &self.source_id,
            &self.source_url,
            &self.ctwa_clid,
            &self.headline,
        ]
        .iter()
        .any(|f| f.is_some())
    }

    /// The same referral with every field cleaned as stored (bounded, NUL-free, empty → none),
    /// or `None` when nothing identifies an ad.
    pub fn cleaned(self) -> Option<Referral> {
        use crate::text::{field, MAX_SHORT, MAX_TEXT, MAX_URL};
        let short = |v: Option<String>| field(v.as_deref(), MAX_SHORT);
        let url = |v: Option<String>| field(v.as_deref(), MAX_URL);
        let r = Referral {
            source_id: short(self.source_id),
            source_url: url(self.source_url),
            source_type: short(self.source_type),
            headline: field(self.headline.as_deref(), MAX_TEXT),
            body: field(self.body.as_deref(), MAX_TEXT),
            media_type: short(self.media_type),
            media_id: short(self.media_id),
            image_url: url(self.image_url),
            video_url: url(self.video_url),
            thumbnail_url: url(self.thumbnail_url),
            ctwa_clid: short(self.ctwa_clid),
            welcome_message: field(self.welcome_message.as_deref(), MAX_TEXT),
        };
        r.is_present().then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_referrals_are_dropped_and_fields_cleaned() {
        assert_eq!(Referral::default().cleaned(), None);
        let blank = Referral {
            source_id: Some(" ".into()),
            media_type: Some("image".into()),
            ..Referral::default()
        };
        assert_eq!(blank.cleaned(), None);
        let ad = Referral {
            source_id: Some("1202\0".into()),
            ..Referral::default()
        }
        .cleaned()
        .unwrap();
        assert_eq!(ad.source_id.as_deref(), Some("1202"));
    }
}
