//! What the module serves on Asterisk's HTTP server (http.conf), under `/minibot/`: the live
//! page, health (overall and per component, with active probes), Prometheus metrics (a viewer
//! token when `[http] metrics_auth = yes`) and the control endpoints under `api/` (bearer tokens,
//! roles, a budget per client, an access line each). Runs on Asterisk's HTTP threads, never on a
//! channel's; every probe and database call is bounded.

mod api;
mod health;

pub use health::ProbeCache;
mod live;
mod metrics;

use crate::ast::http::{self, Method, Request, Response};
use crate::module::with_bot;
use serde_json::json;

pub const URI: &str = "minibot";

pub fn register() -> Result<(), String> {
    http::register(URI, "MiniBot health, metrics and campaign pages", handle)
}

pub fn unregister() {
    http::unregister();
}

fn handle(request: &Request) -> Response {
    let path = request.path.trim_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    if let ["api", rest @ ..] = parts.as_slice() {
        return api::handle(request, rest);
    }
    if !matches!(request.method, Method::Get | Method::Head) {
        return json_response(405, &json!({"error": "only GET"}));
    }
    // Health answers every client, within the same budget per address as the API.
    if parts.first() == Some(&"health") {
        if let Some(refused) = api::over_budget(request) {
            return refused;
        }
    }
    match parts.as_slice() {
        [""] | ["index.html"] => live::page(),
        ["live.js"] => live::script(),
        ["health"] => health::overall(),
        ["health", component] => health::component(component),
        ["metrics"] => {
            if with_bot(|bot| bot.settings.http.metrics_auth).unwrap_or(false) {
                if let Err((refused, who)) = api::admit(request, crate::access::Role::Viewer) {
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
