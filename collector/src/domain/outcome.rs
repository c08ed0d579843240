//! Outcomes of dialogs: a site's ordered lead stages, deal values, and the rules that move
//! dialogs between stages (`tag:paid -> won`, `text:*invoice paid* -> won`).

use super::names::closed_names;
use super::tag::Tag;

/// What a stage means for reports: still open, won (counts revenue) or lost.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    /// The dialog may still move on.
    Open,
    /// A sale: the dialog may carry a value.
    Won,
    /// No sale.
    Lost,
}

closed_names!(StageKind, "stage kind", {
    Open = "open",
    Won = "won",
    Lost = "lost",
});

/// One stage of a site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Stage {
    /// 1–30 lower-case letters, digits, spaces and `- _`.
    pub name: String,
    /// `open`, `won` or `lost`.
    pub kind: StageKind,
}

/// Most stages a site defines.
pub const MAX_STAGES: usize = 20;
/// Most rules a site defines.
pub const MAX_RULES: usize = 50;
/// Most characters in a stage name.
pub const MAX_STAGE_CHARS: usize = 30;
/// Most characters in a rule's text pattern.
pub const MAX_PATTERN_CHARS: usize = 200;

/// A site's stages, in order: the first is open (where dialogs start), exactly one is won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stages(Vec<Stage>);

/// Why stages, a rule, a value or a currency were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    /// A stage name outside the allowed set.
    #[error("stage {0:?} must be 1-30 letters, digits, spaces, - or _")]
    BadStageName(String),
    /// A stage set breaking the shape rules.
    #[error("{0}")]
    BadStages(&'static str),
    /// The same name twice.
    #[error("stage {0:?} is listed twice")]
    DuplicateStage(String),
    /// A stage the site does not have.
    #[error("unknown stage {0:?}: the site's stages are {1}")]
    UnknownStage(String, String),
    /// A rule that does not parse.
    #[error("rule {0:?} must be 'tag:TAG -> STAGE' or 'text:PATTERN -> STAGE'")]
    BadRule(String),
    /// A value that is not a non-negative amount.
    #[error("value must be a non-negative amount with at most 3 decimals, below 10^12")]
    BadValue,
    /// A currency that is not three letters.
    #[error("currency must be a three-letter ISO 4217 code such as USD")]
    BadCurrency,
    /// A value or currency on a stage that is not won, or one without the other.
    #[error("{0}")]
    BadMoney(&'static str),
}

fn stage_name(raw: &str) -> Result<String, OutcomeError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_STAGE_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'));
    if ok {
        Ok(name.to_lowercase())
    } else {
        Err(OutcomeError::BadStageName(raw.to_owned()))
    }
}

impl Stages {
    /// The default set: new → lead → qualified → won / lost.
    pub fn default_set() -> Stages {
        let stage = |name: &str, kind| Stage {
            name: name.into(),
            kind,
        };
        Stages(vec![
            stage("new", StageKind::Open),
            stage("lead", StageKind::Open),
            stage("qualified", StageKind::Open),
            stage("won", StageKind::Won),
            stage("lost", StageKind::Lost),
        ])
    }

    /// Validates a site's stages (names normalised as [`Tag`]s are).
    pub fn new(stages: Vec<Stage>) -> Result<Stages, OutcomeError> {
        if !(2..=MAX_STAGES).contains(&stages.len()) {
            return Err(OutcomeError::BadStages("a site has 2 to 20 stages"));
        }
        let mut out: Vec<Stage> = Vec::with_capacity(stages.len());
        for s in stages {
            let name = stage_name(&s.name)?;
            if out.iter().any(|o| o.name == name) {
                return Err(OutcomeError::DuplicateStage(name));
            }
            out.push(Stage { name, kind: s.kind });
        }
        if out[0].kind != StageKind::Open {
            return Err(OutcomeError::BadStages(
                "the first stage, where dialogs start, must be open",
            ));
        }
        if out.iter().filter(|s| s.kind == StageKind::Won).count() != 1 {
            return Err(OutcomeError::BadStages("exactly one stage must be won"));
        }
        Ok(Stages(out))
    }

    /// The stages, in order.
    pub fn all(&self) -> &[Stage] {
        &self.0
    }

    /// The stage dialogs start in.
    pub fn initial(&self) -> &Stage {
        &self.0[0]
    }

    /// The position and stage named `name` (any case and spacing).
    pub fn find(&self, name: &str) -> Result<(usize, &Stage), OutcomeError> {
        let wanted = stage_name(name).unwrap_or_default();
        self.0
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == wanted)
            .ok_or_else(|| OutcomeError::UnknownStage(name.to_owned(), self.names()))
    }

    /// The stage a dialog is in: its stored stage, or the initial one for none (or a stage
    /// the site no longer has).
    pub fn current(&self, stored: Option<&str>) -> (usize, &Stage) {
        stored
            .and_then(|s| self.find(s).ok())
            .unwrap_or((0, self.initial()))
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|s| s.name.as_str()).collect();
        names.join(", ")
    }
}

/// What a rule reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The tag being added to the dialog.
    Tag(Tag),
    /// A message of the contact whose text matches: case-insensitive, `*` matching any
    /// run of characters, anywhere in the text.
    Text(String),
}

/// A rule: a trigger and the stage it moves a dialog to. Rules move a dialog forward only
/// (to a later stage), and never out of a won or lost stage: that is for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What it reacts to.
    pub trigger: Trigger,
    /// The stage it moves to (normalised).
    pub stage: String,
}

impl Rule {
    /// Parses `tag:TAG -> STAGE` or `text:PATTERN -> STAGE`.
    pub fn parse(raw: &str) -> Result<Rule, OutcomeError> {
        let bad = || OutcomeError::BadRule(raw.to_owned());
        let (when, stage) = raw.rsplit_once("->").ok_or_else(bad)?;
        let stage = stage_name(stage).map_err(|_| bad())?;
        let (kind, what) = when.trim().split_once(':').ok_or_else(bad)?;
        let trigger = match kind.trim() {
            "tag" => Trigger::Tag(Tag::parse(what).map_err(|_| bad())?),
            "text" => {
                let pattern = what.trim().to_lowercase();
                let empty = pattern.chars().all(|c| c == '*' || c.is_whitespace());
                if empty || pattern.chars().count() > MAX_PATTERN_CHARS {
                    return Err(bad());
                }
                Trigger::Text(pattern)
            }
            _ => return Err(bad()),
        };
        Ok(Rule { trigger, stage })
    }

    /// Whether a message text matches this rule's pattern.
    pub fn matches_text(&self, text: &str) -> bool {
        let Trigger::Text(pattern) = &self.trigger else {
            return false;
        };
        let text = text.to_lowercase();
        let mut rest = text.as_str();
        for piece in pattern.split('*').filter(|p| !p.is_empty()) {
            match rest.find(piece) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }

    /// Whether adding `tag` triggers this rule.
    pub fn matches_tag(&self, tag: &str) -> bool {
        matches!(&self.trigger, Trigger::Tag(t) if t.as_str() == tag)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.trigger {
            Trigger::Tag(t) => write!(f, "tag:{} -> {}", t.as_str(), self.stage),
            Trigger::Text(p) => write!(f, "text:{p} -> {}", self.stage),
        }
    }
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeSource {
    /// An operator, on the dialog's card in the dashboard.
    Card,
    /// A CRM or script, over the API.
    Api,
    /// One of the site's rules.
    Rule,
}

impl ChangeSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Card => "card",
            ChangeSource::Api => "api",
            ChangeSource::Rule => "rule",
        }
    }
}

/// A dialog's outcome and its changes.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    /// The current stage (the site's first one until something is set).
    pub stage: String,
    /// `open`, `won` or `lost`.
    pub kind: StageKind,
    /// The deal's value, a decimal string (`1500.00`), for a won dialog.
    pub value: Option<String>,
    /// Its ISO 4217 currency.
    pub currency: Option<String>,
    /// When the outcome last changed (RFC 3339), if it ever did.
    pub changed_at: Option<String>,
    /// Every change, newest first (up to 100).
    pub history: Vec<OutcomeChange>,
}

/// One change of a dialog's outcome.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutcomeChange {
    /// When (RFC 3339).
    pub at: String,
    /// The stage it moved to.
    pub stage: String,
    /// The value set with it.
    pub value: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// `card`, `api` or `rule`.
    pub source: ChangeSource,
    /// The token's name, or the rule.
    pub actor: String,
}

/// A site's stages and rules.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutcomeSettings {
    /// The stages in order: the first is where dialogs start.
    pub stages: Vec<Stage>,
    /// The rules, as text (`tag:paid -> won`), checked in order.
    pub rules: Vec<String>,
}

/// Most thousandths a value holds (10^12 units).
const MAX_MILLI: i64 = 1_000_000_000_000_000;

/// Parses an amount (`1500`, `1500.5`, `0.125`) into thousandths of the unit.
pub fn parse_amount(raw: &str) -> Result<i64, OutcomeError> {
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || !digits(whole) || frac.len() > 3 || !digits(frac) {
        return Err(OutcomeError::BadValue);
    }
    if raw.ends_with('.') {
        return Err(OutcomeError::BadValue);
    }
    let whole: i64 = whole.parse().map_err(|_| OutcomeError::BadValue)?;
    let frac: i64 = format!("{frac:0<3}")
        .parse()
        .map_err(|_| OutcomeError::BadValue)?;
    let milli = whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(frac))
        .filter(|m| *m < MAX_MILLI)
        .ok_or(OutcomeError::BadValue)?;
    Ok(milli)
}

/// Thousandths as an amount with at least two decimals: `1500.50`, `0.125`.
pub fn format_amount(milli: i64) -> String {
    let (sign, m) = if milli < 0 {
        ("-", -milli)
    } else {
        ("", milli)
    };
    let frac = format!("{:03}", m % 1000);
    let frac = frac.strip_suffix('0').unwrap_or(&frac);
    format!("{sign}{}.{frac}", m / 1000)
}

/// Parses a currency code, upper-cased: three ASCII letters.
pub fn parse_currency(raw: &str) -> Result<String, OutcomeError> {
    let code = raw.trim();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(OutcomeError::BadCurrency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_validated() {
        let s = |n: &str, kind| Stage {
            name: n.into(),
            kind,
        };
        let ok = Stages::new(vec![
            s(" New  Lead ", StageKind::Open),
            s("Paid", StageKind::Won),
        ])
        .unwrap();
        assert_eq!(ok.initial().name, "new lead");
        assert_eq!(ok.find("PAID").unwrap().0, 1);
        assert!(ok.find("lost").is_err());
        assert_eq!(ok.current(None).0, 0);
        assert_eq!(ok.current(Some("gone")).0, 0);
        assert!(Stages::new(vec![s("a", StageKind::Won), s("b", StageKind::Open)]).is_err());
        assert!(Stages::new(vec![s("a", StageKind::Open), s("b", StageKind::Lost)]).is_err());
        assert!(Stages::new(vec![s("a", StageKind::Open), s("A", StageKind::Won)]).is_err());
        assert!(Stages::new(vec![s("a/b", StageKind::Open), s("w", StageKind::Won)]).is_err());
        assert_eq!(Stages::default_set().all().len(), 5);
        assert!(Stages::new(Stages::default_set().all().to_vec()).is_ok());
    }

    #[test]
    fn rules_parse_and_match() {
        let r = Rule::parse("tag: Paid -> WON").unwrap();
        assert_eq!(r.to_string(), "tag:paid -> won");
        assert!(r.matches_tag("paid") && !r.matches_tag("unpaid"));
        let t = Rule::parse("text:*Invoice * paid* -> won").unwrap();
        assert!(t.matches_text("Your INVOICE 42 was paid, thanks"));
        assert!(!t.matches_text("paid the invoice"));
        assert!(!t.matches_tag("paid"));
        let plain = Rule::parse("text:price -> lead").unwrap();
        assert!(plain.matches_text("What's the PRICE?"));
        for bad in [
            "paid -> won",
            "tag:paid won",
            "tag: -> won",
            "text:** -> won",
            "mail:x -> won",
            "tag:paid -> ",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_and_currencies() {
        assert_eq!(parse_amount("1500"), Ok(1_500_000));
        assert_eq!(parse_amount("1500.5"), Ok(1_500_500));
        assert_eq!(parse_amount("0.125"), Ok(125));
        for bad in [
            "",
            "-1",
            "1.2345",
            "1e3",
            "1.",
            ".5",
            "1,5",
            "99999999999999",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(format_amount(1_500_500), "1500.50");
        assert_eq!(format_amount(125), "0.125");
        assert_eq!(format_amount(0), "0.00");
        assert_eq!(parse_currency(" usd "), Ok("USD".into()));
        assert!(parse_currency("US").is_err() && parse_currency("U$D").is_err());
    }
}
