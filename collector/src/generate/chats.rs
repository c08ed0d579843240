//! Dialogs as chats start: a contact (new, or one coming back after days), the first message
//! as the chat link prefilled it (the site's template, or the page's, with the session's
//! code) or as an ad or a person typed it, and the messages that follow.

use chatrail_core::code::SessionCode;
use chatrail_core::links::render_message;
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::Rng;
use uuid::Uuid;

use super::mix::CTWA_ADS;
use super::people::{self, one, Place, PLACES};
use super::rows::{
    SyntheticBatch, SyntheticClick, SyntheticContact, SyntheticDialog, SyntheticReferral,
    SyntheticSession, RECEIVED_AFTER_MS,
};
use super::thread::{self, Chat};
use super::visit::{token, BASE64URL};
use super::{tags, uuid};
use crate::domain::dialog::{DialogKind, MatchKind};
use crate::domain::site::Site;

const DAY: i64 = 86_400_000;

struct Person {
    id: Uuid,
    phone: String,
    russian: bool,
    last_dialog_at: i64,
    /// Dialogs never answered: the next answer to this phone is their first too.
    unanswered: Vec<Uuid>,
}

/// Where a dialog came from.
pub(super) enum Source<'a> {
    /// A chat-link click of a session: exact (the code in the message) or probable.
    Click(
        &'a SyntheticSession,
        &'a SyntheticClick,
        Option<&'static Place>,
    ),
    /// A Click-to-WhatsApp ad, no visit.
    Ad,
    /// Nothing known.
    Unknown,
}

/// The contacts so far and what a dialog needs of the site.
pub(super) struct Chats<'a> {
    site: &'a Site,
    tz: Tz,
    number: String,
    /// The history's end: nothing is written after it.
    end: i64,
    people: Vec<Person>,
    /// Rows written besides dialogs and contacts (messages, statuses, referrals).
    pub(super) message_rows: u64,
}

impl<'a> Chats<'a> {
    pub(super) fn new(site: &'a Site, tz: Tz, number: String, end: i64) -> Chats<'a> {
        Chats {
            site,
            tz,
            number,
            end,
            people: Vec::new(),
            message_rows: 0,
        }
    }

    /// A returning contact (share `repeat`) whose last dialog ended days before `at`, else a
    /// new one from `place`.
    fn contact(
        &mut self,
        rng: &mut StdRng,
        repeat: f64,
        place: Option<&'static Place>,
        at: i64,
        batch: &mut SyntheticBatch,
    ) -> (usize, DialogKind) {
        if !self.people.is_empty() && rng.random::<f64>() < repeat {
            let i = rng.random_range(0..self.people.len());
            if self.people[i].last_dialog_at < at - 2 * DAY {
                return (i, DialogKind::Repeat);
            }
        }
        let place = place.unwrap_or(&PLACES[rng.random_range(0..PLACES.len())]);
        let person = Person {
            id: uuid(rng),
            phone: place.phone(self.people.len()),
            russian: place.russian(),
            last_dialog_at: at,
            unanswered: Vec::new(),
        };
        batch.contacts.push(SyntheticContact {
            contact_id: person.id,
            phone: person.phone.clone(),
            name: people::name(rng, person.russian),
            first_seen_at: at,
        });
        self.people.push(person);
        (self.people.len() - 1, DialogKind::New)
    }

    /// The first message a click's chat link prefilled: the page's template or the site's,
    /// with the page's starter phrase or one a visitor would type, and the session's code.
    fn prefilled(&self, rng: &mut StdRng, page_url: &str, code: &str, russian: bool) -> String {
        let path = url::Url::parse(page_url)
            .map(|u| {
                percent_encoding::percent_decode_str(u.path())
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        let rules = || self.site.pages.iter().filter(|r| r.matches(&path));
        let template = rules()
            .find_map(|r| r.template.as_deref())
            .unwrap_or(self.site.template.as_str());
        let text = rules()
            .map(|r| r.text.as_str())
            .find(|t| !t.is_empty())
            .unwrap_or_else(|| {
                one(
                    rng,
                    if russian {
                        people::STARTERS_RU
                    } else {
                        people::STARTERS_EN
                    },
                )
            });
        match SessionCode::parse(code) {
            Ok(code) => render_message(template, text, &code),
            Err(_) => text.to_owned(),
        }
    }

    /// The latest a dialog can start: its first message is received by the history's end.
    pub(super) fn latest_start(&self) -> i64 {
        self.end - RECEIVED_AFTER_MS
    }

    /// Starts a dialog at `at` (at [`Chats::latest_start`] if later) from `source`: its
    /// contact, messages and referral go into `batch`.
    pub(super) fn start(
        &mut self,
        rng: &mut StdRng,
        source: Source<'_>,
        at: i64,
        batch: &mut SyntheticBatch,
    ) {
        let at = at.min(self.latest_start());
        let (repeat, place) = match &source {
            Source::Click(_, _, place) => (0.28, *place),
            Source::Ad => (0.1, None),
            Source::Unknown => (0.2, None),
        };
        let (who, kind) = self.contact(rng, repeat, place, at, batch);
        let russian = self.people[who].russian;
        let first_id = thread::wamid(rng);
        let mut d = SyntheticDialog {
            dialog_id: uuid(rng),
            contact_id: self.people[who].id,
            kind,
            started_at: at,
            business_number: self.number.clone(),
            first_message: None,
            match_kind: MatchKind::None,
            session_id: None,
            click_id: None,
            code: None,
            confidence: None,
            referral_id: None,
            tags: tags(rng),
        };
        let plain = |rng: &mut StdRng| {
            one(
                rng,
                if russian {
                    people::PLAIN_FIRST_RU
                } else {
                    people::PLAIN_FIRST_EN
                },
            )
            .to_owned()
        };
        let first = match source {
            Source::Click(session, click, _) => {
                d.session_id = Some(session.session_id);
                d.click_id = Some(click.click_id);
                // Most send the prefilled text; some delete the code or type their own,
                // and only the click before the message ties them to the visit.
                if rng.random::<f64>() < 0.86 {
                    d.match_kind = MatchKind::Exact;
                    d.code = Some(session.code.clone());
                    d.confidence = Some(1.0);
                    self.prefilled(rng, &click.page_url, &session.code, russian)
                } else {
                    d.match_kind = MatchKind::Probable;
                    d.confidence = Some(rng.random_range(0.55..0.95));
                    plain(rng)
                }
            }
            Source::Ad => {
                let ad = &CTWA_ADS[rng.random_range(0..CTWA_ADS.len())];
                let referral_id = uuid(rng);
                d.match_kind = MatchKind::Referral;
                d.confidence = Some(1.0);
                d.referral_id = Some(referral_id);
                batch.referrals.push(SyntheticReferral {
                    referral_id,
                    provider_message_id: first_id.clone(),
                    source_id: ad.id.to_owned(),
                    source_url: format!("https://fb.me/{}", &ad.id[10..]),
                    headline: ad.headline.to_owned(),
                    body: ad.body.to_owned(),
                    ctwa_clid: format!("ARA{}", token(rng, BASE64URL, 40)),
                    received_at: at,
                });
                self.message_rows += 1;
                people::CTWA_FIRST[usize::from(!russian)].to_owned()
            }
            Source::Unknown => plain(rng),
        };
        let chat = Chat {
            dialog_id: d.dialog_id,
            contact_id: d.contact_id,
            phone: &self.people[who].phone,
            started_at: at,
            first_message: &first,
            first_id,
            russian,
        };
        let answers = batch.statuses.len();
        let rows = thread::write(rng, self.tz, self.end, chat, batch);
        self.message_rows += rows;
        let person = &mut self.people[who];
        person.last_dialog_at = at;
        if batch.statuses.len() > answers {
            batch.answered_earlier.append(&mut person.unanswered);
        } else {
            person.unanswered.push(d.dialog_id);
        }
        d.first_message = Some(first);
        batch.dialogs.push(d);
    }
}
