//! Ad spend: `POST /costs` imports a CSV file (the Settings upload; admins), `GET /costs`
//! sums what is stored per source, medium, campaign and currency (analysts, admins). The
//! format: `collector/src/reports/costs/README.md`.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::Authenticated;
use crate::error::{read_body, ApiError};
use crate::reports::costs::{parse_csv, Mapping};
use crate::state::AppState;

/// A cost file: 4 MiB is about 60,000 rows (the CLI, `chatrail costs import`, takes more).
pub const MAX_BODY_BYTES: usize = crate::routes::MAX_BODY_BYTES;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import).service(totals);
}

/// The column mapping of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct ImportParams {
    /// Entries separated by `;`: `FIELD=Column header` takes a field from another column,
    /// `FIELD:=value` gives it one value for every row (fields: date, source, medium,
    /// campaign, ad, cost, currency). E.g. `date=Day;campaign=Campaign;currency=Currency
    /// code;source:=google;medium:=cpc`.
    #[param(max_length = 2000)]
    map: Option<String>,
}

#[utoipa::path(
    tag = "reports",
    operation_id = "import_costs",
    params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "Daily costs, one row per day and campaign (or ad): see the format"),
    security(("token" = [])),
    responses(
        (status = 200, description = "Stored; the file's days and sources replace what was stored for them", body = crate::reports::costs::store::CostImport),
        (status = 400, description = "A bad mapping, column or value, named with its line"),
        (status = 403, description = "Not an admin token"),
        (status = 413, description = "Body over 4 MiB"),
    )
)]
#[post("/costs")]
async fn import(
    auth: Authenticated,
    params: web::Query<ImportParams>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::site::require_admin(&auth)?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let map = params.into_inner().map.unwrap_or_default();
    if map.chars().count() > 2000 {
        return Err(ApiError::bad_request("map must be at most 2000 characters"));
    }
    let mapping =
        Mapping::parse(map.split(';')).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let site = state
        .store
        .site_by_id(auth.0.site_id)
        .await?
        .ok_or(ApiError::NotFound("site"))?;
    let rows = parse_csv(&body, &mapping, &site.channel_rules)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let stored = state.store.import_costs(auth.0.site_id, &rows).await?;
    Ok(HttpResponse::Ok().json(stored))
}

/// The days to sum.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct TotalsParams {
    /// First day, `YYYY-MM-DD` (UTC days, as costs are stored).
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    from: String,
    /// Last day, inclusive.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}$")]
    to: String,
}

#[utoipa::path(
    tag = "reports",
    operation_id = "cost_totals",
    params(TotalsParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "Spend per source, medium, campaign, channel and currency, largest first", body = Vec<crate::reports::costs::store::CostTotal>),
        (status = 400, description = "A missing or malformed day"),
        (status = 403, description = "The role cannot read reports"),
    )
)]
#[get("/costs")]
async fn totals(
    auth: Authenticated,
    params: web::Query<TotalsParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !auth.0.role.can_read_reports() {
        return Err(ApiError::Forbidden("this token's role cannot read reports"));
    }
    let day = |key: &str, v: &str| -> Result<i64, ApiError> {
        let date = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(format!("{key} must be a date YYYY-MM-DD")))?;
        Ok((date - NaiveDate::default()).num_days())
    };
    let (from, to) = (day("from", &params.from)?, day("to", &params.to)?);
    if to < from {
        return Err(ApiError::bad_request("to is before from"));
    }
    let totals = state.store.cost_totals(auth.0.site_id, from, to).await?;
    Ok(HttpResponse::Ok().json(totals))
}
