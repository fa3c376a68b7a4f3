//! `/minibot/health` and `/minibot/health/{asr,llm,db,asterisk}`: each component's state from an
//! active probe (the database answers a query, the LLM server answers HTTP), not only the last
//! thing seen; HTTP 200 when usable (ok or degraded), 503 when down.

use super::json_response;
use crate::ast::http::Response;
use crate::host::state::{current, Bot};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Probes are short: a health check must answer while the thing it checks hangs.
const PROBE_TIMEOUT: Duration = Duration::from_millis(2000);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Ok,
    /// Not configured: nothing to check.
    Disabled,
    /// Working, not at its best (an open LLM breaker, results waiting in the spool).
    Degraded,
    Down,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Disabled => "disabled",
            State::Degraded => "degraded",
            State::Down => "down",
        }
    }
}

const COMPONENTS: [&str; 4] = ["asr", "llm", "db", "asterisk"];

/// The last answer of each component's probe: a flood of requests runs at most one probe per
/// component per second (the others wait for it, or reuse its answer).
#[derive(Default)]
pub struct ProbeCache {
    slots: [Mutex<Option<(Instant, (State, Value))>>; COMPONENTS.len()],
}

/// How long a probe's answer stands.
const PROBE_FRESH: Duration = Duration::from_secs(1);

fn check(bot: &Bot, cache: &ProbeCache, name: &str) -> Option<(State, Value)> {
    let index = COMPONENTS.iter().position(|c| *c == name)?;
    let mut slot = cache.slots[index].lock();
    if let Some((at, answer)) = slot.as_ref().filter(|(at, _)| at.elapsed() < PROBE_FRESH) {
        let mut answer = answer.clone();
        answer.1["cached_ms"] = json!(at.elapsed().as_millis() as u64);
        return Some(answer);
    }
    let answer = match name {
        "asr" => asr(bot),
        "llm" => llm(bot),
        "db" => db(bot),
        _ => asterisk(bot),
    };
    *slot = Some((Instant::now(), answer.clone()));
    Some(answer)
}

fn respond(state: State, body: Value) -> Response {
    json_response(if state == State::Down { 503 } else { 200 }, &body)
}

pub fn overall(cache: &ProbeCache) -> Response {
    let Some(bot) = current() else {
        return respond(State::Down, json!({"status": "down", "reason": "MiniBot is not loaded"}));
    };
    let results = COMPONENTS.map(|c| (c, check(&bot, cache, c).expect("known component")));
    let worst = results.iter().map(|(_, (s, _))| *s).max().unwrap_or(State::Ok);
    let mut state = if worst == State::Disabled { State::Ok } else { worst };
    if !bot.disabled.is_empty() {
        state = state.max(State::Degraded); // a campaign does not run: the others do
    }
    let components: serde_json::Map<String, Value> =
        results.into_iter().map(|(name, (s, details))| (name.to_string(), json!({"status": s.name(), "details": details}))).collect();
    let campaigns = json!({"running": bot.scenarios.keys().collect::<Vec<_>>(), "disabled": *bot.disabled});
    respond(state, json!({"status": state.name(), "components": components, "campaigns": campaigns}))
}

pub fn component(cache: &ProbeCache, name: &str) -> Response {
    let Some(bot) = current() else {
        return respond(State::Down, json!({"status": "down", "reason": "MiniBot is not loaded"}));
    };
    match check(&bot, cache, name) {
        None => json_response(404, &json!({"error": format!("no component '{name}'"), "components": COMPONENTS})),
        Some((state, details)) => respond(state, json!({"component": name, "status": state.name(), "details": details})),
    }
}

fn asr(bot: &Bot) -> (State, Value) {
    let model = &bot.settings.asr.model_path;
    match &bot.asr {
        Some(engine) => {
            let (in_use, alive) = engine.recognizers();
            (State::Ok, json!({"model": model, "mode": format!("{:?}", engine.mode()), "recognizers_in_use": in_use, "recognizers_alive": alive}))
        }
        None if model.is_empty() => (State::Disabled, json!({"model": null, "note": "no [asr] model: DTMF and speech/no-speech only"})),
        None => (State::Down, json!({"model": model, "note": "the model failed to load (on_model_error = dtmf_only)"})),
    }
}

fn llm(bot: &Bot) -> (State, Value) {
    let url = &bot.settings.llm.url;
    let Some(pool) = bot.intents.llm() else {
        return (State::Disabled, json!({"url": null, "note": "no [llm] url: the local model alone"}));
    };
    let started = Instant::now();
    let agent = ureq::AgentBuilder::new().timeout(PROBE_TIMEOUT).build();
    // Any HTTP answer means the server is up (Ollama answers "/" with 200, others may 404).
    let reachable = match agent.get(url).call() {
        Ok(_) | Err(ureq::Error::Status(_, _)) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    let probe_ms = started.elapsed().as_secs_f64() * 1000.0;
    let stats = &pool.stats;
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    let breaker_open = pool.breaker_open();
    let state = match (&reachable, breaker_open) {
        (Err(_), _) => State::Down,
        (Ok(()), true) => State::Degraded,
        (Ok(()), false) => State::Ok,
    };
    let last = Some(g(&stats.last_latency_us)).filter(|us| *us > 0).map(|us| us as f64 / 1000.0);
    (
        state,
        json!({
            "url": crate::nlp::llm::without_credentials(url), "model": bot.settings.llm.model, "reachable": reachable.is_ok(), "error": reachable.err(),
            "probe_ms": (probe_ms * 10.0).round() / 10.0, "last_request_ms": last, "breaker": if breaker_open { "open" } else { "closed" },
            "requests": g(&stats.requests), "answered": g(&stats.ok), "timeouts": g(&stats.timeouts), "breaker_opened": g(&stats.breaker_opens),
        }),
    )
}

fn db(bot: &Bot) -> (State, Value) {
    let Some(store) = &bot.store else {
        return (State::Disabled, json!({"url": null, "note": "no [database] url: results go to the log and AMI"}));
    };
    let config = &bot.settings.database;
    let started = Instant::now();
    // A connection of the module's pool (bounded by the database's own timeouts): a probe never
    // opens a connection of its own.
    // Ok(false): every connection is lent (operators' exports): busy, not down.
    let probe = bot.pool.as_ref().ok_or_else(|| "no pool".to_string()).and_then(|pool| match pool.get_within(PROBE_TIMEOUT)? {
        Some(mut client) => client.simple_query("SELECT 1").map(|_| true).map_err(|e| crate::store::db::error_chain(&e)),
        None => Ok(false),
    });
    let probe_ms = started.elapsed().as_secs_f64() * 1000.0;
    let spooled = store.spool_lines();
    let busy = probe == Ok(false);
    let probe = probe.map(|_| ());
    let state = match (&probe, spooled) {
        (Err(_), _) => State::Down,
        (Ok(()), _) if busy => State::Degraded,
        // Writers connect when they have something to write: the probe says whether they can.
        (Ok(()), n) if n > 0 => State::Degraded,
        _ => State::Ok,
    };
    let stats = store.stats();
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    (
        state,
        json!({
            "url": crate::store::db::redact(&config.url), "reachable": probe.is_ok(), "pool_busy": busy, "error": probe.err(), "probe_ms": (probe_ms * 10.0).round() / 10.0,
            "writers_connected": store.connected(), "spool_records": spooled, "queued": g(&stats.queued), "written": g(&stats.written),
            "spooled": g(&stats.spooled), "replayed": g(&stats.replayed), "refused": g(&stats.refused),
        }),
    )
}

fn asterisk(bot: &Bot) -> (State, Value) {
    let snap = bot.stats.snapshot();
    (
        State::Ok,
        json!({
            "asterisk": crate::ast::asterisk_version(), "minibot": crate::version(), "uptime_s": bot.loaded_at.elapsed().as_secs(),
            "calls_active": snap.active, "calls_started": snap.started,
            "campaign_calls_in_progress": bot.dialer.as_ref().map(|d| d.in_flight()),
        }),
    )
}
