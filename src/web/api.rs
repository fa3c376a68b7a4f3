//! `/minibot/api/...`: the control endpoints (campaigns, contact imports, reports, exports, the
//! live page's data). Every request is counted against its client address's budget, needs a
//! bearer token whose role covers the endpoint, and leaves one access line in Asterisk's log
//! (who, what, the answer; never the token). Runs on Asterisk's HTTP threads: database work here
//! is bounded by `[database]` timeouts and never touches a channel's thread.

use super::{json_response, live};
use crate::access::{self, Caller, RateLimiter, Role};
use crate::ast::http::{Method, Request, Response};
use crate::control;
use crate::module::with_bot;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::time::Instant;

/// The limiter of the budget in force (rebuilt when a reload changes it).
static LIMITER: Mutex<Option<(u32, std::sync::Arc<RateLimiter>)>> = Mutex::new(None);

fn limiter(per_minute: u32) -> std::sync::Arc<RateLimiter> {
    let mut current = LIMITER.lock();
    match current.as_ref() {
        Some((rate, limiter)) if *rate == per_minute => limiter.clone(),
        _ => {
            let limiter = std::sync::Arc::new(RateLimiter::new(per_minute));
            *current = Some((per_minute, limiter.clone()));
            limiter
        }
    }
}

/// One control request, start to end, with its access line.
pub fn handle(request: &Request, path: &[&str]) -> Response {
    let started = Instant::now();
    let (response, who) = serve(request, path);
    log::info!(
        "HTTP access: {} {:?} /minibot/api/{} -> {} ({who}, {} ms)",
        request.remote,
        request.method,
        path.join("/"),
        response.status,
        started.elapsed().as_millis()
    );
    response
}

/// The address's budget: Err is the 429 and the access log's words.
fn within_budget(request: &Request, per_minute: u32) -> Result<(), (Response, String)> {
    limiter(per_minute).allow(&request.remote, Instant::now()).map_err(|wait| {
        let mut response = error(429, &format!("too many requests from {}: at most {per_minute} a minute", request.remote));
        response.headers.push(format!("Retry-After: {}", wait.as_secs().max(1)));
        (response, "rate limited".to_string())
    })
}

/// Admits a request: its address's budget, then its token against `need`. Err: the refusal
/// and the access log's words for it.
pub fn admit(request: &Request, need: Role) -> Result<Caller, (Response, String)> {
    let Some(http) = with_bot(|bot| bot.settings.http.clone()) else {
        return Err((error(503, "MiniBot is not loaded"), "module not loaded".into()));
    };
    within_budget(request, http.rate_limit_per_min)?;
    access::authorize(request.header("authorization"), &http.jwt_secret, need).map_err(|denied| {
        let mut response = error(denied.status(), &denied.to_string());
        if denied.status() == 401 {
            response.headers.push("WWW-Authenticate: Bearer realm=\"minibot\"".into());
        }
        (response, format!("refused: {denied}"))
    })
}

/// What an endpoint needs: the role, or None for a path or method that is not served.
fn required(method: Method, path: &[&str]) -> Option<Role> {
    match (method, path) {
        (Method::Get | Method::Head, ["campaigns"] | ["campaigns", _] | ["live"]) => Some(Role::Viewer),
        (Method::Get | Method::Head, ["campaigns", _, "export", "leads" | "calls"]) => Some(Role::Operator),
        (Method::Post, ["campaigns", _, "stop"]) => Some(Role::Admin),
        (Method::Post, ["campaigns", _, "create" | "start" | "pause" | "resume" | "contacts"]) => Some(Role::Operator),
        _ => None,
    }
}

fn serve(request: &Request, path: &[&str]) -> (Response, String) {
    let Some(need) = required(request.method, path) else {
        // Probing for paths costs the same budget as using them.
        let per_minute = with_bot(|bot| bot.settings.http.rate_limit_per_min).unwrap_or(1);
        if let Err(refused) = within_budget(request, per_minute) {
            return refused;
        }
        return (error(404, "no such endpoint (see the README: /minibot/api/campaigns, /minibot/api/live, ...)"), "unknown endpoint".into());
    };
    let caller = match admit(request, need) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let who = format!("{} as {}", caller.subject, caller.role.as_str());
    let response = match path {
        ["live"] => json_response(200, &live::snapshot()),
        ["campaigns"] => match control::progress() {
            Ok(rows) => json_response(
                200,
                &Value::Array(
                    rows.iter()
                        .map(|(name, status, contacts, pending, dialing, done, closed, calls)| {
                            json!({"name": name, "status": status, "contacts": contacts, "pending": pending, "dialing": dialing,
                                   "done": done, "closed": closed, "calls": calls})
                        })
                        .collect(),
                ),
            ),
            Err(e) => failure(e),
        },
        ["campaigns", name] => match control::report(name) {
            Ok((report, flow)) => json_response(200, &live::report_json(name, &report, &flow)),
            Err(e) => failure(e),
        },
        ["campaigns", name, "export", what] => {
            let mut csv = Vec::new();
            match control::export_csv(name, *what == "leads", &mut csv) {
                Ok(rows) => {
                    let mut response = Response::new(200, "text/csv; charset=utf-8", csv);
                    response.headers.push(format!("Content-Disposition: attachment; filename=\"{name}-{what}.csv\""));
                    response.headers.push(format!("X-Rows: {rows}"));
                    response.headers.push("Cache-Control: no-store".into());
                    response
                }
                Err(e) => failure(e),
            }
        }
        ["campaigns", name, "contacts"] => import(request, name),
        ["campaigns", name, verb] => match control::campaign_verb(verb, name) {
            Ok(said) => json_response(200, &json!({"result": said})),
            Err(e) => failure(e),
        },
        _ => error(404, "no such endpoint"),
    };
    (response, who)
}

/// `{"csv": "<the file's text>"}` (Asterisk reads bodies up to 40 KB), or `{"file": "<path on
/// this server>"}` for bigger lists copied there first.
fn import(request: &Request, name: &str) -> Response {
    let body = match request.json_body() {
        Ok(Some(body)) => body,
        Ok(None) => return error(400, "send application/json: {\"csv\": \"phone,first_name\\n...\"} or {\"file\": \"/path/on/server.csv\"}"),
        Err(e) => return error(413, &format!("{e}: copy the file to the server and send {{\"file\": \"/path\"}}")),
    };
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let result = match (body["csv"].as_str(), body["file"].as_str()) {
        (Some(csv), None) => control::import_contacts(name, csv.as_bytes(), "request body"),
        (None, Some(file)) if file.starts_with('/') => match std::fs::File::open(file) {
            Ok(f) => control::import_contacts(name, std::io::BufReader::new(f), file),
            Err(e) => return error(400, &format!("{file}: {e}")),
        },
        _ => return error(400, "give either \"csv\" (the file's text) or \"file\" (an absolute path on the server)"),
    };
    match result {
        Ok(imported) => json_response(
            200,
            &json!({
                "good": imported.good, "queued": imported.queued, "already_queued": imported.already_queued,
                "opted_out": imported.opted_out,
                "duplicates": imported.duplicates.iter().map(|(line, first)| json!({"line": line, "duplicate_of": first})).collect::<Vec<_>>(),
                "errors": imported.errors.iter().map(|(line, reason)| json!({"line": line, "reason": reason})).collect::<Vec<_>>(),
                "elapsed_ms": imported.elapsed_ms as u64,
            }),
        ),
        Err(e) => failure(e),
    }
}

fn error(status: u16, message: &str) -> Response {
    json_response(status, &json!({"error": message}))
}

/// A failed operation: unknown campaign 404, database unreachable 503, otherwise a conflict
/// with the campaign's state or its configuration (409).
fn failure(message: String) -> Response {
    let status = if message.starts_with("no campaign") || message.starts_with("no scenario") {
        404
    } else if message.starts_with("no database") || message.contains("connect") || message.contains("timed out") {
        503
    } else {
        409
    };
    error(status, &message)
}
