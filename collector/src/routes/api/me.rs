//! `GET /api/v1/me`: what the presented token (or signed-in account, on the chosen site)
//! is: its site and role, and so which parts of the dashboard it opens; for an account,
//! also all its sites. Any valid token or session may ask.

use actix_web::{get, web, HttpResponse};

use crate::auth::Authenticated;
use crate::enrich::channel::Channel;
use crate::error::ApiError;
use crate::state::AppState;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(me);
}

/// What the presented token is. Any valid token.
#[utoipa::path(
    tag = "site",
    security(("token" = [])),
    responses((status = 200, description = "The token's role and site", body = crate::routes::schemas::Me))
)]
#[get("/me")]
async fn me(auth: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (site, timezone) = super::site::load(&state, &auth).await?;
    let role = auth.0.role;
    let account = match auth.1 {
        Some(account) => Some(serde_json::json!({
            "email": state.store.account_email(account).await?,
            "sites": state.store.account_sites(account).await?,
        })),
        None => None,
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "role": role,
        "site": { "key": site.key, "name": site.name, "timezone": timezone },
        "can": {
            "dialogs": role.can_read_dialogs(),
            "reports": role.can_read_reports(),
            "settings": role.can_administer(),
        },
        "numbers": site.numbers.iter().map(|n| &n.number).collect::<Vec<_>>(),
        "channels": Channel::ALL.map(Channel::as_str),
        "account": account,
    })))
}
