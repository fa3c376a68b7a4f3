//! The live campaign page: `/minibot/` serves one static HTML file and its script (`live.js`; no
//! build step), which polls `/minibot/api/live` with the operator's bearer token for the calls in
//! progress (state, step, last words), each campaign's progress, outcome and lead funnel, and
//! the reaction-latency histogram.

use crate::ast::http::Response;
use crate::host::operator;
use crate::host::state::with_bot;
use crate::obs::prom::{REACTION_BUCKETS, RECORDED};
use crate::phone::mask_in_text;
use crate::store::campaigns::{self as db, Counts, Report};
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;

const PAGE: &str = include_str!("live.html");
const SCRIPT: &str = include_str!("live.js");

/// Campaigns shown on the page at most (the most recent first, as `progress` lists them).
const CAMPAIGNS_SHOWN: usize = 10;

pub fn page() -> Response {
    let mut response = Response::new(200, "text/html; charset=utf-8", PAGE);
    response.headers.push("Cache-Control: no-store".into());
    // Only the page's own script (no inline code can run) and styles; it talks to this server only.
    response
        .headers
        .push("Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'".into());
    response.headers.push("X-Frame-Options: DENY".into());
    response.headers.push("Referrer-Policy: no-referrer".into());
    response
}

pub fn script() -> Response {
    let mut response = Response::new(200, "text/javascript; charset=utf-8", SCRIPT);
    response.headers.push("Cache-Control: no-store".into());
    response
}

fn counts(c: &Counts) -> Value {
    Value::Object(c.iter().map(|(k, n)| (if k.is_empty() { "-".to_string() } else { k.clone() }, json!(n))).collect::<Map<_, _>>())
}

fn count_of(c: &Counts, key: &str) -> i64 {
    c.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

/// A campaign's report as JSON: progress, outcomes, leads and the funnel from the answer to the
/// appointment (each listening step of the scenario in the order a call meets it).
pub fn report_json(name: &str, r: &Report, flow: &[String]) -> Value {
    let leads: i64 = r.leads.iter().filter(|(k, _)| k != crate::qualify::NOT_QUALIFIED).map(|(_, n)| n).sum();
    let mut funnel = vec![json!(["answered", r.answered])];
    funnel.extend(flow.iter().map(|step| json!([step, count_of(&r.steps, step)])));
    funnel.push(json!(["lead", leads]));
    funnel.push(json!(["appointment", count_of(&r.outcomes, "appointment")]));
    json!({
        "name": name, "status": r.status, "company": r.company, "queue": counts(&r.queue), "waiting": counts(&r.waiting),
        "calls": r.calls, "answered": r.answered, "outcomes": counts(&r.outcomes), "leads": counts(&r.leads),
        "amd": counts(&r.amd), "funnel": funnel, "mean_turn_ms": r.mean_turn_ms,
    })
}

/// What the page shows, now; the callees' words only when `with_words` (operators).
pub fn snapshot(with_words: bool) -> Value {
    let Some((calls, node, scenarios)) = with_bot(|bot| (bot.calls.list(), bot.settings.node.clone(), bot.scenarios.clone())) else {
        return json!({"error": "MiniBot is not loaded"});
    };
    let calls: Vec<Value> = calls
        .iter()
        .map(|call| {
            let view = call.view.lock().clone();
            let last = view.turns.iter().rev().find(|t| !t.no_input && t.dtmf.is_none());
            json!({
                "channel": mask_in_text(&call.channel),
                "campaign": call.campaign,
                "step": view.step,
                "state": view.phase,
                "speaking": call.media.speaking.load(Ordering::Relaxed),
                "rate": view.rate,
                "duration_s": call.started.elapsed().as_secs(),
                "turns": view.turns.len(),
                "barge_ins": view.barge_ins,
                "partial": with_words.then(|| view.last_partial.clone()),
                "last_text": if with_words { last.map(|t| t.text.clone()) } else { None },
                "last_intent": last.and_then(|t| t.intent).map(|i| i.as_str()),
            })
        })
        .collect();
    let (campaigns, db_error) = match campaign_reports(&scenarios) {
        Ok(c) => (c, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let (buckets, count, sum) = RECORDED.reaction.merged();
    let mut bounds: Vec<Value> = REACTION_BUCKETS.iter().map(|b| json!(b)).collect();
    bounds.push(json!("+Inf"));
    json!({
        "node": node,
        "time_ms": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
        "calls": calls,
        "campaigns": campaigns,
        "db_error": db_error,
        "reaction": {"bounds_s": bounds, "counts": buckets, "count": count, "sum_s": sum},
    })
}

/// The campaigns' reports on one connection (none without a database).
fn campaign_reports(scenarios: &crate::scenario::Scenarios) -> Result<Vec<Value>, String> {
    if with_bot(|bot| bot.settings.database.url.is_empty()).unwrap_or(true) {
        return Ok(Vec::new());
    }
    let (mut client, _) = operator::database()?;
    let mut out = Vec::new();
    for (name, ..) in db::progress(&mut client)?.into_iter().take(CAMPAIGNS_SHOWN) {
        if let Some(report) = db::report(&mut client, &name)? {
            let flow = scenarios.get(&name).map(|s| s.funnel_steps()).unwrap_or_default();
            out.push(report_json(&name, &report, &flow));
        }
    }
    Ok(out)
}
