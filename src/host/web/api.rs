//! `/minibot/api/...`: the control endpoints (campaigns, contact imports, reports, exports, the
//! live page's data). Every request is counted against its client address's budget, needs a
//! bearer token whose role covers the endpoint, and leaves one access line in Asterisk's log
//! (who, what, the answer; never the token). Runs on Asterisk's HTTP threads: database work here
//! is bounded by `[database]` timeouts and never touches a channel's thread.

use super::{json_response, live, Web};
use crate::access::{self, Caller, RateLimiter, Role};
use crate::ast::http::{BodyError, Method, Request, Response};
use crate::host::operator;
use crate::host::state::with_bot;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// The clients' budgets in force: the limiter is rebuilt when a reload changes the rate. Lives
/// with the HTTP registration (`Web`), gone at unload.
#[derive(Default)]
pub struct Budgets(Mutex<Option<(u32, Arc<RateLimiter>)>>);

impl Budgets {
    fn limiter(&self, per_minute: u32) -> Arc<RateLimiter> {
        let mut current = self.0.lock();
        match current.as_ref() {
            Some((rate, limiter)) if *rate == per_minute => limiter.clone(),
            _ => {
                let limiter = Arc::new(RateLimiter::new(per_minute));
                *current = Some((per_minute, limiter.clone()));
                limiter
            }
        }
    }
}

/// One control request, start to end, with its access line.
pub fn handle(request: &Request, path: &[&str], web: &Web) -> Response {
    let started = Instant::now();
    let (response, who) = serve(request, path, web);
    // The path arrives URL-decoded: escaped, it cannot forge log lines.
    log::info!(
        "HTTP access: {} {:?} /minibot/api/{} -> {} ({who}, {} ms)",
        request.remote.escape_debug(),
        request.method,
        path.join("/").escape_debug(),
        response.status,
        started.elapsed().as_millis()
    );
    response
}

/// The address's budget: Err is the 429 and the access log's words.
fn within_budget(request: &Request, per_minute: u32, web: &Web) -> Result<(), (Response, String)> {
    web.budgets.limiter(per_minute).allow(&request.remote, Instant::now()).map_err(|wait| {
        let mut response = error(429, &format!("too many requests from {}: at most {per_minute} a minute", request.remote));
        response.headers.push(format!("Retry-After: {}", wait.as_secs().max(1)));
        (response, "rate limited".to_string())
    })
}

/// A request over its address's budget (the 429 to send), for the pages without a token.
pub fn over_budget(request: &Request, web: &Web) -> Option<Response> {
    let per_minute = with_bot(|bot| bot.settings.http.rate_limit_per_min).unwrap_or(1);
    let (refused, _) = within_budget(request, per_minute, web).err()?;
    log::info!("HTTP access: {} GET /minibot/{} -> 429 (rate limited)", request.remote.escape_debug(), request.path.trim_matches('/').escape_debug());
    Some(refused)
}

/// Admits a request: its address's budget, then its token against `need`. Err: the refusal
/// and the access log's words for it.
pub fn admit(request: &Request, need: Role, web: &Web) -> Result<Caller, (Response, String)> {
    let Some(http) = with_bot(|bot| bot.settings.http.clone()) else {
        return Err((error(503, "MiniBot is not loaded"), "module not loaded".into()));
    };
    within_budget(request, http.rate_limit_per_min, web)?;
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

fn serve(request: &Request, path: &[&str], web: &Web) -> (Response, String) {
    let Some(need) = required(request.method, path) else {
        // Probing for paths costs the same budget as using them.
        let per_minute = with_bot(|bot| bot.settings.http.rate_limit_per_min).unwrap_or(1);
        if let Err(refused) = within_budget(request, per_minute, web) {
            return refused;
        }
        return (error(404, "no such endpoint (see the README: /minibot/api/campaigns, /minibot/api/live, ...)"), "unknown endpoint".into());
    };
    let caller = match admit(request, need, web) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let who = format!("{} as {}", caller.subject, caller.role.as_str());
    let response = match path {
        // What callees say is for operators; viewers see the calls' states.
        ["live"] => json_response(200, &live::snapshot(caller.role >= Role::Operator)),
        ["campaigns"] => match operator::progress() {
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
        ["campaigns", name] => match operator::report(name) {
            Ok((report, flow)) => json_response(200, &live::report_json(name, &report, &flow)),
            Err(e) => failure(e),
        },
        ["campaigns", name, "export", what] => {
            let mut csv = Vec::new();
            match operator::export_csv(name, *what == "leads", &mut csv) {
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
        ["campaigns", name, verb] => match operator::campaign_verb(verb, name) {
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
        Err(BodyError::TooLarge) => {
            return error(413, "the body is over Asterisk's 40 KB limit: copy the file into the import directory ([http] import_dir) and send {\"file\": \"name.csv\"}")
        }
        Err(BodyError::Unreadable) => return error(400, "the body is not JSON"),
    };
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let result = match (body["csv"].as_str(), body["file"].as_str()) {
        (Some(csv), None) => operator::import_contacts(name, csv.as_bytes(), "request body"),
        (None, Some(file)) => match import_file(file) {
            Ok((path, f)) => operator::import_contacts(name, std::io::BufReader::new(f), &path),
            Err(e) => return error(400, &e),
        },
        _ => return error(400, "give either \"csv\" (the file's text) or \"file\" (a file name in [http] import_dir)"),
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

/// Largest contact file imported over HTTP.
const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;

/// A contact file named by the request: a regular file directly in the import directory, of a
/// bounded size (an HTTP client must not make the module read anything else Asterisk can).
fn import_file(name: &str) -> Result<(String, std::fs::File), String> {
    let dir = with_bot(|bot| bot.import_dir()).ok_or("MiniBot is not loaded")?;
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(format!("'{}' is not a file name in the import directory {dir}", name.escape_debug()));
    }
    let path = format!("{dir}/{name}");
    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{path}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{path} is not a regular file"));
    }
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(format!("{path} is over {} MB", MAX_IMPORT_BYTES / 1024 / 1024));
    }
    Ok((path, file))
}

fn error(status: u16, message: &str) -> Response {
    json_response(status, &json!({"error": message}))
}

/// A refused operation, its status by its kind (`Refusal::status`).
fn failure(refusal: operator::Refusal) -> Response {
    error(refusal.status(), &refusal.to_string())
}
