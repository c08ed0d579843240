//! Who the synthetic visitors are: where (as the GeoIP enrichment stores it), on what device
//! (real user agents, named by the same parser beacons go through), with what screen, and
//! what the contacts are called and write.

use rand::rngs::StdRng;
use rand::Rng;

use crate::enrich::user_agent::Device;

/// A place visitors come from: country (ISO code), region and city as GeoLite2 names them in
/// English, the browser's language and time zone, the mobile prefix of its people's phones
/// and the digits after it, and its share of the traffic.
pub(super) struct Place {
    pub(super) country: &'static str,
    pub(super) region: &'static str,
    pub(super) city: &'static str,
    pub(super) language: &'static str,
    pub(super) timezone: &'static str,
    pub(super) phone: &'static str,
    pub(super) digits: usize,
    pub(super) share: f64,
}

impl Place {
    /// The phone of contact number `n`: distinct for every `n` below 10 million.
    pub(super) fn phone(&self, n: usize) -> String {
        // An odd multiplier not divisible by 5 permutes the numbers below 10^digits: the
        // phones look random and stay distinct.
        let m = 10u64.pow(self.digits as u32);
        let n = (n as u64 % m * 7_919_317 + 3_141_593) % m;
        format!("{}{n:0width$}", self.phone, width = self.digits)
    }

    /// Whether its people write in Russian.
    pub(super) fn russian(&self) -> bool {
        self.language.starts_with("ru")
    }
}

#[allow(clippy::too_many_arguments)]
const fn place(
    country: &'static str,
    region: &'static str,
    city: &'static str,
    language: &'static str,
    timezone: &'static str,
    phone: &'static str,
    digits: usize,
    share: f64,
) -> Place {
    Place {
        country,
        region,
        city,
        language,
        timezone,
        phone,
        digits,
        share,
    }
}

pub(super) const PLACES: &[Place] = &[
    place(
        "RU",
        "Moscow",
        "Moscow",
        "ru-RU",
        "Europe/Moscow",
        "79",
        9,
        0.30,
    ),
    place(
        "RU",
        "St.-Petersburg",
        "Saint Petersburg",
        "ru-RU",
        "Europe/Moscow",
        "79",
        9,
        0.14,
    ),
    place(
        "RU",
        "Moscow Oblast",
        "Khimki",
        "ru-RU",
        "Europe/Moscow",
        "79",
        9,
        0.07,
    ),
    place(
        "RU",
        "Sverdlovsk Oblast",
        "Yekaterinburg",
        "ru-RU",
        "Asia/Yekaterinburg",
        "79",
        9,
        0.05,
    ),
    place(
        "RU",
        "Novosibirsk Oblast",
        "Novosibirsk",
        "ru-RU",
        "Asia/Novosibirsk",
        "79",
        9,
        0.04,
    ),
    place(
        "RU",
        "Tatarstan Republic",
        "Kazan",
        "ru-RU",
        "Europe/Moscow",
        "79",
        9,
        0.04,
    ),
    place(
        "RU",
        "Krasnodar Krai",
        "Krasnodar",
        "ru-RU",
        "Europe/Moscow",
        "79",
        9,
        0.04,
    ),
    place(
        "KZ",
        "Almaty",
        "Almaty",
        "ru-KZ",
        "Asia/Almaty",
        "77",
        9,
        0.05,
    ),
    place(
        "BY",
        "Minsk City",
        "Minsk",
        "ru-BY",
        "Europe/Minsk",
        "37529",
        7,
        0.03,
    ),
    place(
        "AM",
        "Yerevan",
        "Yerevan",
        "ru-RU",
        "Asia/Yerevan",
        "3749",
        7,
        0.02,
    ),
    place(
        "GB",
        "England",
        "London",
        "en-GB",
        "Europe/London",
        "447",
        9,
        0.06,
    ),
    place(
        "DE",
        "Land Berlin",
        "Berlin",
        "de-DE",
        "Europe/Berlin",
        "4915",
        9,
        0.04,
    ),
    place(
        "US",
        "New York",
        "New York",
        "en-US",
        "America/New_York",
        "1646",
        7,
        0.03,
    ),
    place(
        "AE",
        "Dubai",
        "Dubai",
        "en-US",
        "Asia/Dubai",
        "9715",
        8,
        0.03,
    ),
];

/// Share of visits whose address the GeoIP database does not know.
pub(super) const UNKNOWN_PLACE: f64 = 0.04;

/// Real browsers' user agents with their share of visits, and the screens such devices have.
/// Screen sizes (CSS pixels) a device comes with.
type Screens = &'static [(i32, i32)];

const AGENTS: &[(f64, &str, Screens)] = &[
    (0.22, "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", &[(412, 915), (360, 800), (393, 873)]),
    (0.08, "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 YaBrowser/24.1.4.80.00 SA/3 Mobile Safari/537.36", &[(393, 873), (360, 780)]),
    (0.20, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", &[(390, 844), (393, 852), (375, 812), (430, 932)]),
    (0.04, "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 320.0.0.34.109", &[(390, 844), (375, 667)]),
    (0.22, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", &[(1920, 1080), (1366, 768), (1536, 864), (1440, 900)]),
    (0.06, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36", &[(1920, 1080), (1366, 768)]),
    (0.05, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", &[(1920, 1080), (1536, 864)]),
    (0.04, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", &[(1920, 1080), (2560, 1440)]),
    (0.06, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", &[(1440, 900), (1512, 982), (1728, 1117)]),
    (0.03, "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", &[(820, 1180), (768, 1024)]),
];

/// A device as the user-agent parser names it, with the screens it comes with.
pub(super) struct Agent {
    pub(super) device: Device,
    pub(super) screens: Screens,
}

/// The agents, parsed once, and their cumulative shares.
pub(super) fn agents() -> (Vec<Agent>, Vec<f64>) {
    let parsed = AGENTS
        .iter()
        .map(|(_, ua, screens)| Agent {
            device: Device::from_user_agent(ua),
            screens,
        })
        .collect();
    (parsed, super::cumulative(AGENTS.iter().map(|a| a.0)))
}

const FIRST_RU: &[&str] = &[
    "Мария",
    "Анна",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Екатерина",
    "Юлия",
    "Ирина",
    "Светлана",
    "Алексей",
    "Дмитрий",
    "Сергей",
    "Андрей",
    "Иван",
    "Михаил",
    "Павел",
    "Никита",
    "Артём",
    "Айгерим",
    "Нурлан",
    "Арман",
];
const LAST_RU: &[&str] = &[
    "Смирнова",
    "Иванова",
    "Кузнецова",
    "Попова",
    "Петров",
    "Соколов",
    "Волков",
    "Морозов",
    "К.",
    "С.",
];
const FIRST_EN: &[&str] = &[
    "John", "Emma", "Oliver", "Sophie", "James", "Kate", "Max", "Alex", "Daniel", "Laura",
];
const LAST_EN: &[&str] = &["Smith", "Brown", "Wilson", "Taylor", "M.", "K."];

/// A WhatsApp profile name: mostly Russian where Russian is spoken, some without a surname,
/// a few people with no name at all.
pub(super) fn name(rng: &mut StdRng, russian: bool) -> Option<String> {
    if rng.random::<f64>() < 0.06 {
        return None;
    }
    let (first, last) = if russian == (rng.random::<f64>() < 0.9) {
        (FIRST_RU, LAST_RU)
    } else {
        (FIRST_EN, LAST_EN)
    };
    let first = first[rng.random_range(0..first.len())];
    Some(if rng.random::<f64>() < 0.45 {
        format!("{first} {}", last[rng.random_range(0..last.len())])
    } else {
        first.to_owned()
    })
}

/// What a visitor types into the chat link when the page gives no starter phrase.
pub(super) const STARTERS_RU: &[&str] = &[
    "Здравствуйте! Хочу узнать о наличии",
    "Добрый день, подскажите цену",
    "Здравствуйте, можно заказать с доставкой?",
];
pub(super) const STARTERS_EN: &[&str] = &[
    "Hello! Is it in stock?",
    "Hi, what's the price with delivery?",
];

/// Messages contacts write after the first.
pub(super) const FOLLOW_UPS_RU: &[&str] = &[
    "А в сером цвете есть?",
    "Сколько стоит доставка до квартиры?",
    "Спасибо!",
    "Можно в рассрочку?",
    "Хорошо, оформляйте 👍",
    "А сборка входит в цену?",
];
pub(super) const FOLLOW_UPS_EN: &[&str] = &[
    "Do you have it in grey?",
    "How long is delivery?",
    "Thanks!",
    "Great, I'll take it",
];

/// First messages without a session code (chats whose source is unknown, and visitors who
/// deleted the code).
pub(super) const PLAIN_FIRST_RU: &[&str] = &[
    "Здравствуйте, сколько стоит доставка?",
    "Добрый вечер! Диван Осло ещё есть?",
    "Здравствуйте",
];
pub(super) const PLAIN_FIRST_EN: &[&str] = &["Hi, how much is delivery?", "Hello"];

/// Meta's prefilled first message of a Click-to-WhatsApp ad.
pub(super) const CTWA_FIRST: &[&str] = &[
    "Здравствуйте! Можно узнать об этом подробнее?",
    "Hello! Can I get more info on this?",
];

/// One of `texts`.
pub(super) fn one<'a>(rng: &mut StdRng, texts: &[&'a str]) -> &'a str {
    texts[rng.random_range(0..texts.len())]
}
