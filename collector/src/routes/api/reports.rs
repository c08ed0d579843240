//! `GET /api/v1/reports/<name>`: every report as JSON, or as CSV with `Accept: text/csv` or
//! `format=csv`.

use std::collections::HashMap;

use actix_web::{get, web, HttpRequest, HttpResponse};

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::reports::{self, ReportError, ReportName, ReportRequest};
use crate::state::AppState;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(report);
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid(msg) => ApiError::BadRequest(msg),
            ReportError::Store(e) => e.into(),
        }
    }
}

#[utoipa::path(
    operation_id = "get_report",
    tag = "reports",
    params(("name" = ReportName, Path), crate::routes::schemas::ReportParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "The report; CSV with `format=csv` or `Accept: text/csv`", content(
            (crate::routes::schemas::ReportBody = "application/json"),
            (String = "text/csv"),
        ), headers(("Content-Disposition" = String, description = "CSV only: `attachment; filename=\"<name>_<from>_<to>.csv\"`"))),
        (status = 400, description = "Unknown report or parameter, or a bad value"),
        (status = 403, description = "Reports need an analyst or admin token"),
    )
)]
#[get("/reports/{name}")]
#[tracing::instrument(skip_all, fields(report = %name))]
async fn report(
    auth: Authenticated,
    name: web::Path<String>,
    params: web::Query<HashMap<String, String>>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !auth.0.role.can_read_reports() {
        return Err(ApiError::Forbidden(
            "reports need an analyst or admin token",
        ));
    }
    let csv = super::wants_csv(&req, params.get("format").map(String::as_str))?;
    let request = ReportRequest::parse(&name, &params)?;
    let report = reports::run(state.store.as_ref(), auth.0.site_id, request).await?;
    if csv {
        let r = &report.request;
        let file = format!("{}_{}_{}.csv", r.name.as_str(), r.period.from, r.period.to);
        super::csv_attachment(&report.table, &file)
    } else {
        Ok(HttpResponse::Ok().json(report.to_json()))
    }
}
