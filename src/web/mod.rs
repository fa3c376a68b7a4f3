//! What the module serves on Asterisk's HTTP server (http.conf), under `/minibot/`: health
//! (overall and per component, with active probes) and Prometheus metrics. Runs on Asterisk's
//! HTTP threads, never on a channel's; every probe is bounded.

mod health;
mod metrics;

use crate::ast::http::{self, Method, Request, Response};
use serde_json::json;

pub const URI: &str = "minibot";

pub fn register() -> Result<(), String> {
    http::register(URI, "MiniBot health, metrics and campaign pages", handle)
}

pub fn unregister() {
    http::unregister();
}

fn handle(request: &Request) -> Response {
    if !matches!(request.method, Method::Get | Method::Head) {
        return json_response(405, &json!({"error": "only GET"}));
    }
    let path = request.path.trim_matches('/');
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["health"] => health::overall(),
        ["health", component] => health::component(component),
        ["metrics"] => Response::new(200, "text/plain; version=0.0.4; charset=utf-8", metrics::render()),
        _ => json_response(404, &json!({"error": format!("no such page: /{URI}/{path}"), "pages": ["health", "health/{asr,llm,db,asterisk}", "metrics"]})),
    }
}

fn json_response(status: u16, value: &serde_json::Value) -> Response {
    let mut response = Response::new(status, "application/json", value.to_string());
    response.headers.push("Cache-Control: no-store".into());
    response
}
