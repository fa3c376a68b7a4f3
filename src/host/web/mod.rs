//! What the module serves on Asterisk's HTTP server (http.conf), under `/minibot/`: the live
//! page, health (overall and per component, with active probes), Prometheus metrics (a viewer
//! token when `[http] metrics_auth = yes`) and the control endpoints under `api/` (bearer tokens,
//! roles, a budget per client, an access line each). Runs on Asterisk's HTTP threads, never on a
//! channel's; every probe and database call is bounded.

mod api;
mod health;
mod live;
mod metrics;

use crate::ast::http::{self, Method, Request, Response};
use crate::host::state::with_bot;
use serde_json::json;

pub const URI: &str = "minibot";

/// What the pages keep between requests, as long as they are registered: the clients' budgets
/// and the health probes' last answers. Dropped at unregister (a reload keeps them).
#[derive(Default)]
pub struct Web {
    budgets: api::Budgets,
    probes: health::ProbeCache,
}

pub fn register() -> Result<(), String> {
    let web = Web::default();
    http::register(URI, "MiniBot health, metrics and campaign pages", move |request| handle(request, &web))
}

pub fn unregister() {
    http::unregister();
}

fn handle(request: &Request, web: &Web) -> Response {
    let path = request.path.trim_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    if let ["api", rest @ ..] = parts.as_slice() {
        return api::handle(request, rest, web);
    }
    if !matches!(request.method, Method::Get | Method::Head) {
        return json_response(405, &json!({"error": "only GET"}));
    }
    // Health answers every client, within the same budget per address as the API.
    if parts.first() == Some(&"health") {
        if let Some(refused) = api::over_budget(request, web) {
            return refused;
        }
    }
    match parts.as_slice() {
        [""] | ["index.html"] => live::page(),
        ["live.js"] => live::script(),
        ["health"] => health::overall(&web.probes),
        ["health", component] => health::component(&web.probes, component),
        ["metrics"] => {
            if with_bot(|bot| bot.settings.http.metrics_auth).unwrap_or(false) {
                if let Err((refused, who)) = api::admit(request, crate::access::Role::Viewer, web) {
                    log::info!("HTTP access: {} GET /minibot/metrics -> {} ({who})", request.remote.escape_debug(), refused.status);
                    return refused;
                }
            }
            Response::new(200, "text/plain; version=0.0.4; charset=utf-8", metrics::render())
        }
        _ => json_response(
            404,
            &json!({"error": format!("no such page: /{URI}/{path}"), "pages": ["", "health", "health/{asr,llm,db,asterisk}", "metrics", "api/..."]}),
        ),
    }
}

fn json_response(status: u16, value: &serde_json::Value) -> Response {
    let mut response = Response::new(status, "application/json", value.to_string());
    response.headers.push("Cache-Control: no-store".into());
    response
}
