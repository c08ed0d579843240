//! Outcomes of dialogs: the stage (and a won dialog's value), every change of it, the
//! site's stages and rules. Every statement is keyed by the site, so a token of one site can
//! neither read nor set another site's outcomes.

use uuid::Uuid;

use crate::args;
use crate::db::{Backend, Conn, Db, StoreError};
use crate::domain::conversion::{Event, EventKind};
use crate::domain::now_ms;
use crate::domain::outcome::{
    format_amount, OutcomeError, Rule, Stage, StageKind, Stages, MAX_RULES,
};
pub use crate::domain::outcome::{ChangeSource, OutcomeChange, OutcomeSettings, OutcomeView};
use crate::domain::rfc3339_ms;
use crate::domain::site::SiteId;

/// Who makes a change: where from, and the token's name or the rule.
#[derive(Debug, Clone)]
pub struct ChangedBy {
    /// Card, API or rule.
    pub source: ChangeSource,
    /// For the card and the API, the hash of the token used (its name is recorded); for a
    /// rule, the rule.
    pub actor: String,
}

/// An outcome to set, its stage not yet checked against the site's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutcome {
    /// The stage, as given.
    pub stage: String,
    /// Thousandths of the currency's unit and the currency, for a won stage.
    pub money: Option<(i64, String)>,
}

/// What setting an outcome did.
#[derive(Debug, Clone)]
pub enum OutcomeSet {
    /// The site has no such dialog.
    NoDialog,
    /// The outcome does not fit the site's stages.
    Refused(OutcomeError),
    /// The outcome now (`changed` false: it was already so, nothing recorded).
    Set {
        /// Whether anything changed.
        changed: bool,
        /// The outcome after.
        outcome: OutcomeView,
    },
}

/// What saving a site's stages and rules did.
#[derive(Debug, Clone)]
pub enum SettingsSaved {
    /// Saved.
    Saved(OutcomeSettings),
    /// Refused: a rule names no stage of the site.
    Refused(String),
    /// Refused: a stage left out still has dialogs.
    StageInUse(String),
}

/// The site's stages (the default set if it defined none).
pub async fn stages(conn: &mut Conn, site: Uuid) -> Result<Stages, sqlx::Error> {
    let rows: Vec<(String, String)> = conn
        .fetch_all(
            "SELECT name, kind FROM outcome_stages WHERE site_id = $1 ORDER BY position",
            args![site],
        )
        .await?;
    let stages: Option<Vec<Stage>> = rows
        .into_iter()
        .map(|(name, kind)| {
            Some(Stage {
                name,
                kind: StageKind::parse(&kind).ok()?,
            })
        })
        .collect();
    Ok(stages
        .and_then(|s| Stages::new(s).ok())
        .unwrap_or_else(Stages::default_set))
}

async fn rules(conn: &mut Conn, site: Uuid) -> Result<Vec<Rule>, sqlx::Error> {
    let rows: Vec<(String,)> = conn
        .fetch_all(
            "SELECT rule FROM outcome_rules WHERE site_id = $1 ORDER BY position",
            args![site],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(r,)| Rule::parse(&r).ok())
        .collect())
}

/// The site's stages and rules.
pub async fn settings(db: &Db, site_id: SiteId) -> Result<OutcomeSettings, StoreError> {
    let mut conn = db.read().await?;
    let stages = stages(&mut conn, site_id.0).await?;
    let rules = rules(&mut conn, site_id.0).await?;
    Ok(OutcomeSettings {
        stages: stages.all().to_vec(),
        rules: rules.iter().map(ToString::to_string).collect(),
    })
}

/// Replaces the site's stages and rules; refused if a stage it drops still has dialogs or
/// a rule names a stage the site will not have.
pub async fn save_settings(
    db: &Db,
    site_id: SiteId,
    new: &Stages,
    new_rules: &[Rule],
) -> Result<SettingsSaved, StoreError> {
    let site = site_id.0;
    if new_rules.len() > MAX_RULES {
        return Ok(SettingsSaved::Refused(format!(
            "a site has at most {MAX_RULES} rules"
        )));
    }
    for r in new_rules {
        if let Err(e) = new.find(&r.stage) {
            return Ok(SettingsSaved::Refused(format!("rule {r}: {e}")));
        }
    }
    let mut tx = db.begin().await?;
    let old = stages(&mut tx, site).await?;
    for gone in old.all().iter().filter(|s| new.find(&s.name).is_err()) {
        let (n,): (i64,) = tx
            .fetch_one(
                "SELECT COUNT(*) FROM dialogs WHERE site_id = $1 AND stage = $2",
                args![site, gone.name.as_str()],
            )
            .await?;
        if n > 0 {
            return Ok(SettingsSaved::StageInUse(format!(
                "stage {:?} still has {n} dialogs: move them first",
                gone.name
            )));
        }
    }
    tx.execute("DELETE FROM outcome_stages WHERE site_id = $1", args![site])
        .await?;
    tx.execute("DELETE FROM outcome_rules WHERE site_id = $1", args![site])
        .await?;
    for (i, s) in new.all().iter().enumerate() {
        tx.execute(
            "INSERT INTO outcome_stages (site_id, position, name, kind) VALUES ($1, $2, $3, $4)",
            args![site, i as i64, s.name.as_str(), s.kind.as_str()],
        )
        .await?;
    }
    for (i, r) in new_rules.iter().enumerate() {
        tx.execute(
            "INSERT INTO outcome_rules (site_id, position, rule) VALUES ($1, $2, $3)",
            args![site, i as i64, r.to_string()],
        )
        .await?;
    }
    tx.commit().await?;
    db.config_changed();
    Ok(SettingsSaved::Saved(OutcomeSettings {
        stages: new.all().to_vec(),
        rules: new_rules.iter().map(ToString::to_string).collect(),
    }))
}

type Current = (Option<String>, Option<i64>, Option<String>, Option<i64>);

/// The dialog's stored outcome; with `lock`, locked for the transaction on PostgreSQL
/// (SQLite has one writer at a time).
async fn current(
    conn: &mut Conn,
    site: Uuid,
    dialog: Uuid,
    lock: bool,
) -> Result<Option<Current>, sqlx::Error> {
    let lock = match conn.backend() {
        Backend::Postgres if lock => " FOR UPDATE",
        _ => "",
    };
    conn.fetch_optional(
        &format!(
            "SELECT stage, value_milli, currency, stage_changed_at FROM dialogs \
             WHERE site_id = $1 AND dialog_id = $2{lock}"
        ),
        args![site, dialog],
    )
    .await
}

/// The outcome of a dialog of the site, with its history; `None` if there is no such dialog.
pub async fn outcome(
    conn: &mut Conn,
    site: Uuid,
    dialog: Uuid,
) -> Result<Option<OutcomeView>, sqlx::Error> {
    let Some((stage, value, currency, changed_at)) = current(conn, site, dialog, false).await?
    else {
        return Ok(None);
    };
    let stages = stages(conn, site).await?;
    let (_, now) = stages.current(stage.as_deref());
    type Row = (i64, String, Option<i64>, Option<String>, String, String);
    let rows: Vec<Row> = conn
        .fetch_all(
            "SELECT changed_at, stage, value_milli, currency, source, actor \
             FROM dialog_outcome_changes WHERE site_id = $1 AND dialog_id = $2 \
             ORDER BY changed_at DESC, change_id DESC LIMIT 100",
            args![site, dialog],
        )
        .await?;
    let history = rows
        .into_iter()
        .map(
            |(at, stage, value, currency, source, actor)| OutcomeChange {
                at: rfc3339_ms(at),
                stage,
                value: value.map(format_amount),
                currency,
                source: match source.as_str() {
                    "card" => ChangeSource::Card,
                    "rule" => ChangeSource::Rule,
                    _ => ChangeSource::Api,
                },
                actor,
            },
        )
        .collect();
    Ok(Some(OutcomeView {
        stage: now.name.clone(),
        kind: now.kind,
        value: value.map(format_amount),
        currency,
        changed_at: changed_at.map(rfc3339_ms),
        history,
    }))
}

/// Sets a dialog's outcome; setting the one it has is a no-op (nothing recorded).
pub async fn set(
    db: &Db,
    site_id: SiteId,
    dialog: Uuid,
    new: &NewOutcome,
    by: &ChangedBy,
) -> Result<OutcomeSet, StoreError> {
    let site = site_id.0;
    let mut tx = db.begin().await?;
    let Some((stage, value, currency, _)) = current(&mut tx, site, dialog, true).await? else {
        return Ok(OutcomeSet::NoDialog);
    };
    let stages = stages(&mut tx, site).await?;
    let target = match stages.find(&new.stage) {
        Ok((_, s)) => s.clone(),
        Err(e) => return Ok(OutcomeSet::Refused(e)),
    };
    if new.money.is_some() && target.kind != StageKind::Won {
        return Ok(OutcomeSet::Refused(OutcomeError::BadMoney(
            "only a won stage carries a value and currency",
        )));
    }
    let (_, now) = stages.current(stage.as_deref());
    let (new_value, new_currency) = new.money.clone().unzip();
    let unchanged = now.name == target.name && value == new_value && currency == new_currency;
    if !unchanged {
        let actor = match by.source {
            ChangeSource::Rule => by.actor.clone(),
            ChangeSource::Card | ChangeSource::Api => token_name(&mut tx, site, &by.actor).await?,
        };
        let by = ChangedBy {
            source: by.source,
            actor,
        };
        write(&mut tx, site, dialog, &target, &new.money, &by).await?;
    }
    let outcome = outcome(&mut tx, site, dialog)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(OutcomeSet::Set {
        changed: !unchanged,
        outcome,
    })
}

/// The name of the site's token with hash `hash` (`token` if it was revoked meanwhile).
async fn token_name(conn: &mut Conn, site: Uuid, hash: &str) -> Result<String, sqlx::Error> {
    let name: Option<(String,)> = conn
        .fetch_optional(
            "SELECT name FROM api_tokens WHERE site_id = $1 AND token_hash = $2",
            args![site, hash],
        )
        .await?;
    Ok(name.map_or_else(|| "token".to_owned(), |(n,)| n))
}

/// Stores a change: the dialog's outcome and its history row.
async fn write(
    tx: &mut Conn,
    site: Uuid,
    dialog: Uuid,
    stage: &Stage,
    money: &Option<(i64, String)>,
    by: &ChangedBy,
) -> Result<(), sqlx::Error> {
    let at = now_ms();
    let (value, currency) = money.clone().unzip();
    tx.execute(
        "UPDATE dialogs SET stage = $3, value_milli = $4, currency = $5, stage_changed_at = $6 \
         WHERE site_id = $1 AND dialog_id = $2",
        args![site, dialog, stage.name.as_str(), value, &currency, at],
    )
    .await?;
    tx.execute(
        "INSERT INTO dialog_outcome_changes (site_id, dialog_id, change_id, changed_at, stage, \
         value_milli, currency, source, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            site,
            dialog,
            Uuid::now_v7(),
            at,
            stage.name.as_str(),
            value,
            &currency,
            by.source.as_str(),
            by.actor.as_str()
        ],
    )
    .await?;
    let mut event = Event::new(EventKind::OutcomeChanged, site, dialog, at);
    event.stage = Some(stage.name.clone());
    event.stage_kind = Some(stage.kind);
    (event.value_milli, event.currency) = (value, currency);
    crate::storage::conversions::record(tx, &event).await
}

/// What a rule may react to.
#[derive(Debug, Clone, Copy)]
pub enum RuleEvent<'a> {
    /// A tag added to the dialog.
    Tag(&'a str),
    /// A message of the contact in the dialog.
    Text(&'a str),
}

/// Applies the site's rules to a dialog in transaction `tx`: the first rule that matches
/// the event and moves the dialog forward moves it. A won or lost dialog stays where it is.
pub async fn apply_rules(
    tx: &mut Conn,
    site: Uuid,
    dialog: Uuid,
    event: RuleEvent<'_>,
) -> Result<(), sqlx::Error> {
    let rules = tx
        .remembered(&format!("outcome_rules:{site}"), async |tx| {
            rules(tx, site).await
        })
        .await?;
    let matching: Vec<&Rule> = rules
        .iter()
        .filter(|r| match event {
            RuleEvent::Tag(t) => r.matches_tag(t),
            RuleEvent::Text(t) => r.matches_text(t),
        })
        .collect();
    if matching.is_empty() {
        return Ok(());
    }
    let Some((stage, ..)) = current(tx, site, dialog, true).await? else {
        return Ok(());
    };
    let stages = stages(tx, site).await?;
    let (at, now) = stages.current(stage.as_deref());
    if now.kind != StageKind::Open {
        return Ok(());
    }
    let forward = matching.into_iter().find_map(|r| {
        let (to, target) = stages.find(&r.stage).ok()?;
        (to > at).then(|| (r, target.clone()))
    });
    if let Some((rule, target)) = forward {
        let by = ChangedBy {
            source: ChangeSource::Rule,
            actor: rule.to_string(),
        };
        write(tx, site, dialog, &target, &None, &by).await?;
    }
    Ok(())
}
