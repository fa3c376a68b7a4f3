//! The LLM tier: a pool of worker threads (fed by a bounded crossbeam channel) asking an
//! Ollama-compatible server what an utterance means. Two wire formats behind one switch: Ollama's
//! native `/api/chat` (JSON-schema `format`, `keep_alive`, temperature 0) and the OpenAI-compatible
//! `/v1/chat/completions` (Ollama, llama.cpp, vLLM). Every failure is counted and answered with an
//! error, so the caller keeps its local answer; repeated failures open a circuit breaker.

use crate::domain::{Classification, Intent, Sentiment, StepContext, Waker};
use crossbeam_channel::{bounded, Sender, TrySendError};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use crate::config::document::{ConfigError, FromKeys, Key};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Ollama's `/api/chat`.
    Ollama,
    /// `/v1/chat/completions` (Ollama, llama.cpp's llama-server, vLLM, ...).
    OpenAi,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    /// Base URL, e.g. http://127.0.0.1:11434
    pub url: String,
    pub api: Api,
    pub model: String,
    pub workers: usize,
    /// Requests waiting for a worker; beyond it a turn keeps its local answer at once.
    pub queue: usize,
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    /// Consecutive failures that open the breaker, and how long it stays open.
    pub breaker_failures: u32,
    pub breaker_cooldown_ms: u64,
    /// Ollama keep_alive: how long the server keeps the model loaded.
    pub keep_alive: String,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            url: String::new(),
            api: Api::Ollama,
            model: "llama3.2:1b".into(),
            workers: 2,
            queue: 32,
            connect_timeout_ms: 300,
            timeout_ms: 2000,
            breaker_failures: 3,
            breaker_cooldown_ms: 30_000,
            keep_alive: "30m".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LlmError {
    /// Connection refused, reset, DNS...
    Transport(String),
    /// The server took longer than `timeout_ms`: an outage.
    Timeout,
    /// The turn's deadline passed while the question waited for a worker: not asked.
    Deadline,
    Http(u16),
    InvalidJson(String),
    BadLabel(String),
    /// The breaker is open: not asked.
    BreakerOpen,
    /// All workers busy and the queue full.
    Busy,
}

/// Counters for `minibot show metrics` and the closing notes.
#[derive(Default)]
pub struct LlmStats {
    pub requests: AtomicU64,
    pub ok: AtomicU64,
    pub transport: AtomicU64,
    pub timeouts: AtomicU64,
    /// Answers that came after the turn's deadline (the server is slow, not down).
    pub late: AtomicU64,
    pub http_errors: AtomicU64,
    pub invalid_json: AtomicU64,
    pub bad_labels: AtomicU64,
    pub breaker_skips: AtomicU64,
    pub busy: AtomicU64,
    pub breaker_opens: AtomicU64,
    /// The latest request's duration (microseconds), answered or not.
    pub last_latency_us: AtomicU64,
    pub stale: AtomicU64,
}

impl LlmStats {
    pub fn report(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "LLM: requests {} ok {} | failures: transport {} timeout {} http {} invalid_json {} bad_label {} | \
             answered after the turn's deadline {} | not asked: breaker {} busy {} stale {} | breaker opened {} times\n",
            g(&self.requests),
            g(&self.ok),
            g(&self.transport),
            g(&self.timeouts),
            g(&self.http_errors),
            g(&self.invalid_json),
            g(&self.bad_labels),
            g(&self.late),
            g(&self.breaker_skips),
            g(&self.busy),
            g(&self.stale),
            g(&self.breaker_opens)
        )
    }
}

const INTENTS: [&str; 7] = ["positive", "negative", "callback", "question", "answering_machine", "do_not_call", "unclear"];

fn schema(context: &StepContext) -> Value {
    // Bounded: small models otherwise repeat list items until max_tokens. A step without
    // entities allows none.
    let names = context.entity_names();
    let entities = if names.is_empty() {
        json!({"type": "array", "items": {"type": "string"}, "maxItems": 0})
    } else {
        json!({"type": "array", "items": {"type": "string", "enum": names}, "maxItems": 4})
    };
    json!({
        "type": "object",
        "properties": {
            "intent": {"type": "string", "enum": INTENTS},
            "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
            "entities": entities
        },
        "required": ["intent", "sentiment", "entities"],
        "additionalProperties": false
    })
}

/// What every call shares (the intents); the campaign adds who calls and why, the step its
/// question and the entities its answer can name.
const SYSTEM_PROMPT: &str = "Tu analyses la réponse d'une personne appelée au téléphone par un assistant vocal. \
    Réponds uniquement en JSON avec: intent (positive = oui/accepte, negative = non/refuse, callback = demande à être \
    rappelé plus tard, question = pose une question, answering_machine = répondeur ou messagerie, do_not_call = ne \
    veut plus jamais être appelé, unclear = inaudible ou hésitant), sentiment (positive, neutral, negative), entities.";

fn messages(context: &StepContext, examples: &[(Intent, String)], text: &str) -> Value {
    let mut system = SYSTEM_PROMPT.to_string();
    if !context.llm_instructions.is_empty() {
        system = format!("{}\n{system}", context.llm_instructions);
    }
    let names = context.entity_names();
    system += &if names.is_empty() {
        " Pour cette question, entities est toujours vide.".to_string()
    } else {
        format!(" Pour cette question, entities liste ce que la personne nomme parmi: {}.", names.join(", "))
    };
    if !examples.is_empty() {
        system += " Exemples de réponses à ce genre de question:";
        for (intent, utterance) in examples {
            system += &format!("\n\"{utterance}\" -> {intent}");
        }
    }
    let question = if context.question.is_empty() { "(question de qualification)" } else { context.question.as_str() };
    json!([
        {"role": "system", "content": system},
        {"role": "user", "content": format!("Question posée: {question}\nRéponse de la personne: \"{text}\"")}
    ])
}

/// Ollama reads a bare number of keep_alive as seconds (-1: forever) and a string as a Go duration
/// ("30m"); the string "3600" would be refused with a 400 on every turn.
fn keep_alive(value: &str) -> Value {
    value.parse::<i64>().map_or_else(|_| Value::String(value.to_string()), Value::from)
}

/// Whether `value` is a keep_alive Ollama accepts: whole seconds, or a Go duration ("30m", "1h30m", "-1m").
fn valid_keep_alive(value: &str) -> bool {
    if value.parse::<i64>().is_ok() {
        return true;
    }
    let rest = value.strip_prefix('-').unwrap_or(value);
    let mut digits = false;
    let mut chars = rest.chars().peekable();
    let mut any_unit = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            digits = true;
            continue;
        }
        let mut unit = c.to_string();
        if matches!(c, 'm' | 'u' | 'n' | 'µ') && chars.peek() == Some(&'s') {
            unit.push(chars.next().unwrap_or('s'));
        }
        if !digits || !matches!(unit.as_str(), "h" | "m" | "s" | "ms" | "us" | "µs" | "ns") {
            return false;
        }
        digits = false;
        any_unit = true;
    }
    any_unit && !digits
}

/// The request for `api`: path and JSON body.
pub fn build_request(config: &LlmConfig, context: &StepContext, examples: &[(Intent, String)], text: &str) -> (String, String) {
    match config.api {
        Api::Ollama => (
            "/api/chat".into(),
            json!({
                "model": config.model,
                "messages": messages(context, examples, text),
                "stream": false,
                "format": schema(context),
                "keep_alive": keep_alive(&config.keep_alive),
                // A thinking model (qwen3, deepseek-r1) thinks unless told not to: seconds a turn
                // cannot wait. The answer is a few dozen tokens, bounded as on the other path.
                "think": false,
                "options": {"temperature": 0, "num_predict": 200}
            })
            .to_string(),
        ),
        Api::OpenAi => (
            "/v1/chat/completions".into(),
            json!({
                "model": config.model,
                "messages": messages(context, examples, text),
                "temperature": 0,
                "max_tokens": 200,
                "response_format": {"type": "json_schema", "json_schema": {"name": "intent", "strict": true, "schema": schema(context)}}
            })
            .to_string(),
        ),
    }
}

/// Reads a server response into a classification (entities outside the step's list are dropped).
pub fn parse_response(api: Api, body: &str, context: &StepContext) -> Result<Classification, LlmError> {
    let envelope: Value = serde_json::from_str(body).map_err(|e| LlmError::InvalidJson(format!("envelope: {e}")))?;
    let content = match api {
        Api::Ollama => envelope.pointer("/message/content"),
        Api::OpenAi => envelope.pointer("/choices/0/message/content"),
    }
    .and_then(Value::as_str)
    .ok_or_else(|| LlmError::InvalidJson("no message content".into()))?;
    let answer: Value = serde_json::from_str(content.trim()).map_err(|e| LlmError::InvalidJson(format!("content: {e}")))?;
    let label = answer.get("intent").and_then(Value::as_str).unwrap_or_default();
    let intent = Intent::parse(label).ok_or_else(|| LlmError::BadLabel(label.to_string()))?;
    let sentiment = answer.get("sentiment").and_then(Value::as_str).and_then(Sentiment::parse).unwrap_or(Sentiment::Neutral);
    let entities = answer
        .get("entities")
        .and_then(Value::as_array)
        .map(|list| {
            let known = context.entity_names();
            let mut found: Vec<String> = Vec::new();
            for name in list.iter().filter_map(Value::as_str).filter(|e| known.contains(e)) {
                if !found.iter().any(|f| f == name) {
                    found.push(name.to_string()); // each once: a repeated entity must not score twice
                }
            }
            found
        })
        .unwrap_or_default();
    // An opt-out the local tier says (its words, the floor, the model) never reaches the LLM
    // (`IntentService::understand` keeps it): one the LLM reads in other words, on a turn the model
    // was unsure of, is asked back where the campaign can.
    let opt_out_unsure = intent == Intent::DoNotCall;
    Ok(Classification { intent, confidence: 0.8, entities, sentiment, topic: None, repair: None, opt_out_unsure })
}

struct Breaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

pub type Reply = Sender<Result<Classification, LlmError>>;

struct Job {
    context: Arc<StepContext>,
    /// Labelled utterances for this kind of step (from the intent model's corpus).
    examples: Vec<(Intent, String)>,
    text: String,
    deadline: Instant,
    reply: Reply,
    /// Told once the reply is sent: the call's loop reads it at once.
    wake: Waker,
}

pub struct LlmPool {
    config: LlmConfig,
    jobs: Mutex<Option<Sender<Job>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    breaker: Arc<Breaker>,
    pub stats: Arc<LlmStats>,
}

impl LlmPool {
    pub fn start(config: LlmConfig) -> Result<LlmPool, String> {
        let (tx, rx) = bounded::<Job>(config.queue.max(1));
        let breaker = Arc::new(Breaker { failures: AtomicU32::new(0), open_until: Mutex::new(None) });
        let stats = Arc::new(LlmStats::default());
        let mut workers = Vec::new();
        for i in 0..config.workers.max(1) {
            let (rx, breaker, stats, config) = (rx.clone(), breaker.clone(), stats.clone(), config.clone());
            let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_millis(config.connect_timeout_ms)).build();
            let handle = std::thread::Builder::new()
                .name(format!("minibot-llm-{i}"))
                .spawn(move || {
                    for job in rx.iter() {
                        let result = if Instant::now() >= job.deadline {
                            stats.stale.fetch_add(1, Ordering::Relaxed);
                            Err(LlmError::Deadline)
                        } else {
                            let asked = Instant::now();
                            let result = ask(&agent, &config, &job);
                            let took = asked.elapsed();
                            stats.last_latency_us.store(took.as_micros() as u64, Ordering::Relaxed);
                            let label = if result.is_ok() { "answered" } else { "failed" };
                            crate::obs::prom::RECORDED.llm_request.observe(&[label], took.as_secs_f64());
                            record(&breaker, &stats, &config, &result);
                            if result.is_ok() && Instant::now() > job.deadline {
                                stats.late.fetch_add(1, Ordering::Relaxed); // the local answer stood
                            }
                            result
                        };
                        let _ = job.reply.send(result);
                        job.wake.wake();
                    }
                })
                .map_err(|e| format!("cannot start LLM worker: {e}"))?;
            workers.push(handle);
        }
        Ok(LlmPool { config, jobs: Mutex::new(Some(tx)), workers: Mutex::new(workers), breaker, stats })
    }

    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    pub fn breaker_open(&self) -> bool {
        self.breaker.open_until.lock().is_some_and(|until| Instant::now() < until)
    }

    /// Queues a question; the answer (or the error) arrives on `reply`, then `wake` is told.
    /// Never blocks.
    pub fn submit(&self, context: &Arc<StepContext>, text: &str, examples: Vec<(Intent, String)>, deadline: Instant, reply: Reply, wake: Waker) -> Result<(), LlmError> {
        if self.breaker_open() {
            self.stats.breaker_skips.fetch_add(1, Ordering::Relaxed);
            return Err(LlmError::BreakerOpen);
        }
        let jobs = self.jobs.lock();
        let Some(jobs) = jobs.as_ref() else { return Err(LlmError::Busy) };
        match jobs.try_send(Job { context: context.clone(), examples, text: text.to_string(), deadline, reply, wake }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.busy.fetch_add(1, Ordering::Relaxed);
                Err(LlmError::Busy)
            }
        }
    }

    /// Stops taking questions and waits for the workers (each finishes its request, bounded by
    /// the request timeout).
    pub fn shutdown(&self) {
        self.jobs.lock().take();
        for worker in self.workers.lock().drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for LlmPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// `minibot check`: the server answers, lists the configured model, and classifies `text` at
/// `context`'s step. Blocking (the CLI's thread, never a call's). Ok: what was found, and whether
/// the classification came within `deadline_ms` (as a call's turn needs); Err: what to fix.
pub fn check(config: &LlmConfig, deadline_ms: u64, context: &StepContext, text: &str) -> Result<(String, bool), String> {
    let base = config.url.trim_end_matches('/');
    let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_millis(config.connect_timeout_ms.max(1000))).build();
    let list = match config.api {
        Api::Ollama => "/api/tags",
        Api::OpenAi => "/v1/models",
    };
    let where_ = without_credentials(base);
    // ureq's errors spell the whole URL, a password included: never print it.
    let hide = |text: String| text.replace(base, &where_);
    let body = agent
        .get(&format!("{base}{list}"))
        .timeout(Duration::from_millis(config.timeout_ms.max(5000)))
        .call()
        .map_err(|e| hide(format!("{where_}{list}: {e} (is the server running, and is [llm] url right?)")))?
        .into_string()
        .map_err(|e| hide(format!("{where_}{list}: {e}")))?;
    let listed: serde_json::Value = serde_json::from_str(&body).map_err(|e| format!("{where_}{list}: not JSON ({e}): is [llm] api right?"))?;
    let names: Vec<String> = match config.api {
        Api::Ollama => listed["models"].as_array().into_iter().flatten().filter_map(|m| m["name"].as_str().map(String::from)).collect(),
        Api::OpenAi => listed["data"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str().map(String::from)).collect(),
    };
    let present = names.iter().any(|n| *n == config.model || *n == format!("{}:latest", config.model));
    let mut found = String::new();
    match (present, config.api) {
        (true, _) => found += &format!("model {} present", config.model),
        (false, Api::Ollama) => return Err(format!("model '{}' is not pulled on {where_} (it has: {}): ollama pull {}", config.model, names.join(", "), config.model)),
        // A llama.cpp or vLLM server serves the one model it was started with, whatever the name asked.
        (false, Api::OpenAi) => found += &format!("the server serves {} (the name '{}' is not listed; a single-model server ignores it)", names.join(", "), config.model),
    }
    // A first request may load the model: the round trip gets time enough to tell a slow server
    // from a dead one, and says when it took longer than a turn may wait.
    let config = &LlmConfig { timeout_ms: config.timeout_ms.max(CHECK_TIMEOUT_MS), ..config.clone() };
    let started = Instant::now();
    let job = Job {
        context: Arc::new(context.clone()),
        examples: Vec::new(),
        text: text.to_string(),
        deadline: started + Duration::from_millis(config.timeout_ms),
        reply: bounded(1).0,
        wake: Waker::default(),
    };
    let classification = ask_telling(&agent, config, &job).map_err(|(e, said)| {
        let said = said.map_or_else(String::new, |s| format!(": the server says \"{s}\""));
        hide(format!("{found}, but classifying \"{text}\" failed: {e:?}{said}"))
    })?;
    let took = started.elapsed().as_millis();
    let in_time = took <= u128::from(deadline_ms);
    let slow = if in_time { String::new() } else { format!(" (over [intent] deadline_ms = {deadline_ms}: a call would keep its local answer; run the check again once warm)") };
    Ok((format!("{found}; \"{text}\" classified {} in {took} ms{slow}", classification.intent), in_time))
}

/// How long `check` waits for its one classification.
const CHECK_TIMEOUT_MS: u64 = 60_000;

fn ask(agent: &ureq::Agent, config: &LlmConfig, job: &Job) -> Result<Classification, LlmError> {
    ask_telling(agent, config, job).map_err(|(error, said)| {
        if let Some(said) = said {
            warn_now_and_then(&format!("the LLM server answered HTTP {}: {said}", match error { LlmError::Http(code) => code, _ => 0 }));
        }
        error
    })
}

/// At most one warning a minute: a misconfigured server refuses every turn of every call.
fn warn_now_and_then(message: &str) {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let last = LAST.load(Ordering::Relaxed);
    if now >= last + 60 && LAST.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
        log::warn!("MiniBot: {message}");
    }
}

/// What an HTTP error's body says: Ollama's `{"error": "..."}` (or the start of any other body).
fn server_says(response: ureq::Response) -> Option<String> {
    let mut body = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(response.into_reader(), 2048), &mut body).ok()?;
    let said = serde_json::from_str::<Value>(&body).ok().and_then(|v| v["error"].as_str().map(str::to_string)).unwrap_or(body);
    let said: String = said.chars().filter(|c| !c.is_control()).take(300).collect();
    (!said.trim().is_empty()).then_some(said)
}

/// `ask`, with what the server said when it refused the request.
fn ask_telling(agent: &ureq::Agent, config: &LlmConfig, job: &Job) -> Result<Classification, (LlmError, Option<String>)> {
    let (path, body) = build_request(config, &job.context, &job.examples, &job.text);
    let url = format!("{}{path}", config.url.trim_end_matches('/'));
    // The request gets its full `timeout_ms` even when the turn's deadline comes first (the turn
    // then goes on with its local answer): cutting it at the deadline would make a slow but
    // healthy server look like one that never answers, and only the latter is an outage.
    let timeout = Duration::from_millis(config.timeout_ms);
    let response = agent.post(&url).timeout(timeout).set("Content-Type", "application/json").send_string(&body);
    match response {
        Ok(response) => {
            let text = response.into_string().map_err(|e| {
                if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::WouldBlock {
                    (LlmError::Timeout, None)
                } else {
                    (LlmError::Transport(e.to_string()), None)
                }
            })?;
            parse_response(config.api, &text, &job.context).map_err(|e| (e, None))
        }
        Err(ureq::Error::Status(code, response)) => Err((LlmError::Http(code), server_says(response))),
        Err(ureq::Error::Transport(t)) => {
            let message = t.to_string();
            if message.contains("timed out") || message.contains("Timeout") || message.contains("timeout") {
                Err((LlmError::Timeout, None))
            } else {
                Err((LlmError::Transport(message), None))
            }
        }
    }
}

fn record(breaker: &Breaker, stats: &LlmStats, config: &LlmConfig, result: &Result<Classification, LlmError>) {
    stats.requests.fetch_add(1, Ordering::Relaxed);
    let counter = match result {
        Ok(_) => {
            stats.ok.fetch_add(1, Ordering::Relaxed);
            breaker.failures.store(0, Ordering::Relaxed);
            return;
        }
        Err(LlmError::Transport(_)) => &stats.transport,
        Err(LlmError::Timeout) => &stats.timeouts,
        Err(LlmError::Deadline) => return,
        Err(LlmError::Http(_)) => &stats.http_errors,
        Err(LlmError::InvalidJson(_)) => &stats.invalid_json,
        Err(LlmError::BadLabel(_)) => &stats.bad_labels,
        Err(LlmError::BreakerOpen | LlmError::Busy) => return,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    // A wrong answer from a live server is not an outage; only transport, timeouts and 5xx trip.
    let outage = matches!(result, Err(LlmError::Transport(_) | LlmError::Timeout | LlmError::Http(500..=599)));
    if outage && breaker.failures.fetch_add(1, Ordering::Relaxed) + 1 >= config.breaker_failures {
        breaker.failures.store(0, Ordering::Relaxed);
        *breaker.open_until.lock() = Some(Instant::now() + Duration::from_millis(config.breaker_cooldown_ms));
        stats.breaker_opens.fetch_add(1, Ordering::Relaxed);
        log::warn!("LLM at {} failed {} times in a row: not asked for {} ms", without_credentials(&config.url), config.breaker_failures, config.breaker_cooldown_ms);
    }
}

/// A URL for the log: `user:password@` left out.
pub fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}{}", &url[..scheme + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// `[llm]` in minibot.conf.
impl FromKeys for LlmConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        let value = key.value();
        match key.name() {
            "url" => {
                if !(value.is_empty() || value.starts_with("http://") || value.starts_with("https://")) {
                    return Err(key.error(format!("'{value}' is not an http(s) URL")));
                }
                self.url = value.to_string();
            }
            "api" => {
                self.api = match value {
                    "ollama" => Api::Ollama,
                    "openai" => Api::OpenAi,
                    _ => return Err(key.error(format!("'{value}' is not ollama or openai"))),
                }
            }
            "model" => self.model = value.to_string(),
            "keep_alive" => {
                if !valid_keep_alive(value) {
                    return Err(key.error(format!("'{value}' is neither whole seconds (3600, -1) nor a duration (30m, 1h)")));
                }
                self.keep_alive = value.to_string()
            }
            "workers" => self.workers = key.number(1, 64)? as usize,
            "queue" => self.queue = key.number(1, 10_000)? as usize,
            "connect_timeout_ms" => self.connect_timeout_ms = key.number(10, 60_000)? as u64,
            "timeout_ms" => self.timeout_ms = key.number(50, 120_000)? as u64,
            "breaker_failures" => self.breaker_failures = key.number(1, 1000)?,
            "breaker_cooldown_ms" => self.breaker_cooldown_ms = key.number(100, 3_600_000)? as u64,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EntityCues, StepKind};

    fn savings() -> StepContext {
        let entity = |name: &str| EntityCues { name: name.into(), cues: vec![name.into()] };
        StepContext {
            id: "demo.q1".into(),
            kind: StepKind::Question,
            question: "Quels placements avez-vous ?".into(),
            entities: vec![entity("livret_a"), entity("pel")],
            topic: Vec::new(),
            elsewhere: Vec::new(),
            none_entity: Some("none".into()),
            llm_instructions: "Un cabinet de conseil en épargne appelle.".into(),
        }
    }

    fn hello() -> Arc<StepContext> {
        Arc::new(StepContext { id: "demo.hello".into(), kind: StepKind::Greeting, ..StepContext::default() })
    }

    #[test]
    fn urls_are_logged_without_credentials() {
        assert_eq!(without_credentials("http://bot:s3cret@llm:11434/api"), "http://llm:11434/api");
        assert_eq!(without_credentials("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn ollama_native_request_and_response() {
        let config = LlmConfig { url: "http://x".into(), model: "llama3.2:1b".into(), ..LlmConfig::default() };
        let examples = vec![(Intent::Negative, "non rien du tout".to_string())];
        let (path, body) = build_request(&config, &savings(), &examples, "j'ai un livret a");
        assert_eq!(path, "/api/chat");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["model"], "llama3.2:1b");
        assert_eq!(body["stream"], false);
        assert_eq!(body["keep_alive"], "30m");
        assert_eq!(body["think"], false);
        assert_eq!(body["options"]["num_predict"], 200);
        // Seconds travel as a number (Ollama parses a string as a duration and refuses "3600").
        let seconds = LlmConfig { keep_alive: "3600".into(), ..config.clone() };
        let (_, in_seconds) = build_request(&seconds, &savings(), &examples, "oui");
        assert_eq!(serde_json::from_str::<Value>(&in_seconds).unwrap()["keep_alive"], 3600);
        for good in ["30m", "1h30m", "-1", "0", "3600", "-1m", "500ms"] {
            assert!(valid_keep_alive(good), "{good}");
        }
        for bad in ["", "30 minutes", "m", "10x", "1h30"] {
            assert!(!valid_keep_alive(bad), "{bad}");
        }
        assert_eq!(body["options"]["temperature"], 0);
        assert_eq!(body["format"]["properties"]["intent"]["enum"][4], "answering_machine");
        assert!(body["messages"][1]["content"].as_str().unwrap().contains("j'ai un livret a"));
        // The campaign's words and the step's question and entities, not the code's.
        assert!(body["messages"][0]["content"].as_str().unwrap().starts_with("Un cabinet de conseil en épargne appelle."));
        assert!(body["messages"][0]["content"].as_str().unwrap().contains("parmi: livret_a, pel, none."));
        assert!(body["messages"][1]["content"].as_str().unwrap().contains("Question posée: Quels placements avez-vous ?"));
        assert_eq!(body["format"]["properties"]["entities"]["items"]["enum"], json!(["livret_a", "pel", "none"]));
        assert!(body["messages"][0]["content"].as_str().unwrap().ends_with("Exemples de réponses à ce genre de question:\n\"non rien du tout\" -> negative"));
        // The documented /api/chat response shape (stream false).
        let response = r#"{"model":"llama3.2:1b","created_at":"2026-11-25T12:00:00Z","message":{"role":"assistant",
            "content":"{\"intent\": \"positive\", \"sentiment\": \"neutral\", \"entities\": [\"livret_a\", \"gold\", \"pel\", \"livret_a\"]}"},
            "done_reason":"stop","done":true,"total_duration":123,"eval_count":12}"#;
        let c = parse_response(Api::Ollama, response, &savings()).unwrap();
        assert_eq!((c.intent, c.sentiment, c.entities), (Intent::Positive, Sentiment::Neutral, vec!["livret_a".to_string(), "pel".to_string()]));
    }

    #[test]
    fn openai_compatible_request_and_response() {
        let config = LlmConfig { api: Api::OpenAi, model: "gemma".into(), ..LlmConfig::default() };
        let (path, body) = build_request(&config, &hello(), &[], "oui");
        assert_eq!(path, "/v1/chat/completions");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["temperature"], 0);
        assert_eq!(body["response_format"]["json_schema"]["schema"]["properties"]["entities"]["maxItems"], 0, "no entities at a greeting");
        let response = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"{\"intent\":\"callback\",\"sentiment\":\"negative\",\"entities\":[]}"}}]}"#;
        assert_eq!(parse_response(Api::OpenAi, response, &hello()).unwrap().intent, Intent::Callback);
    }

    #[test]
    fn an_opt_out_the_llm_reads_is_asked_back_where_the_campaign_can() {
        let answer = |intent: &str| format!(r#"{{"choices":[{{"message":{{"content":"{{\"intent\":\"{intent}\",\"entities\":[]}}"}}}}]}}"#);
        let opt_out = parse_response(Api::OpenAi, &answer("do_not_call"), &hello()).unwrap();
        assert_eq!((opt_out.intent, opt_out.opt_out_unsure), (Intent::DoNotCall, true));
        assert!(!parse_response(Api::OpenAi, &answer("negative"), &hello()).unwrap().opt_out_unsure);
    }

    #[test]
    fn malformed_answers_are_errors() {
        assert!(matches!(parse_response(Api::Ollama, "not json", &hello()), Err(LlmError::InvalidJson(_))));
        assert!(matches!(parse_response(Api::Ollama, r#"{"message":{"content":"oui"}}"#, &hello()), Err(LlmError::InvalidJson(_))));
        assert_eq!(
            parse_response(Api::Ollama, r#"{"message":{"content":"{\"intent\":\"maybe\"}"}}"#, &hello()),
            Err(LlmError::BadLabel("maybe".into()))
        );
        assert!(matches!(parse_response(Api::OpenAi, r#"{"choices":[]}"#, &hello()), Err(LlmError::InvalidJson(_))));
    }

    #[test]
    fn breaker_opens_after_consecutive_outages_and_skips() {
        // Nothing listens on port 9 (discard) on loopback: connection refused, fast.
        let config = LlmConfig { url: "http://127.0.0.1:9".into(), breaker_failures: 2, breaker_cooldown_ms: 60_000, ..LlmConfig::default() };
        let pool = LlmPool::start(config).unwrap();
        for _ in 0..2 {
            let (tx, rx) = crossbeam_channel::bounded(1);
            pool.submit(&hello(), "oui", Vec::new(), Instant::now() + Duration::from_secs(2), tx, Waker::default()).unwrap();
            assert!(matches!(rx.recv().unwrap(), Err(LlmError::Transport(_))));
        }
        assert!(pool.breaker_open());
        let (tx, _rx) = crossbeam_channel::bounded(1);
        assert_eq!(pool.submit(&hello(), "oui", Vec::new(), Instant::now() + Duration::from_secs(2), tx, Waker::default()), Err(LlmError::BreakerOpen));
        assert_eq!(pool.stats.breaker_opens.load(Ordering::Relaxed), 1);
        assert_eq!(pool.stats.breaker_skips.load(Ordering::Relaxed), 1);
        pool.shutdown();
    }

    /// A server that answers correctly, `delay` after each request (a slow but healthy LLM).
    fn slow_server(delay: Duration, requests: usize) -> (u16, std::thread::JoinHandle<()>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 8192];
                let _ = stream.read(&mut buf);
                std::thread::sleep(delay);
                let body = r#"{"choices":[{"message":{"content":"{\"intent\":\"positive\",\"sentiment\":\"neutral\",\"entities\":[]}"}}]}"#;
                let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
        });
        (port, handle)
    }

    #[test]
    fn a_slow_but_healthy_server_never_opens_the_breaker() {
        let (port, server) = slow_server(Duration::from_millis(400), 3);
        let config = LlmConfig { url: format!("http://127.0.0.1:{port}"), api: Api::OpenAi, workers: 1, breaker_failures: 2, ..LlmConfig::default() };
        let pool = LlmPool::start(config).unwrap();
        for _ in 0..3 {
            let (tx, rx) = crossbeam_channel::bounded(1);
            // The turn can wait 150 ms; the server needs 400: the turn goes on without it, and the
            // answer that comes later shows the server is alive.
            pool.submit(&hello(), "oui", Vec::new(), Instant::now() + Duration::from_millis(150), tx, Waker::default()).unwrap();
            assert!(rx.recv().unwrap().is_ok());
        }
        assert!(!pool.breaker_open(), "{}", pool.stats.report());
        assert_eq!(pool.stats.breaker_opens.load(Ordering::Relaxed), 0);
        assert_eq!(pool.stats.late.load(Ordering::Relaxed), 3);
        pool.shutdown();
        server.join().unwrap();
        // The same server past the configured request timeout is an outage.
        let (port, server) = slow_server(Duration::from_millis(400), 2);
        let config = LlmConfig { url: format!("http://127.0.0.1:{port}"), api: Api::OpenAi, workers: 1, timeout_ms: 100, breaker_failures: 2, ..LlmConfig::default() };
        let pool = LlmPool::start(config).unwrap();
        for _ in 0..2 {
            let (tx, rx) = crossbeam_channel::bounded(1);
            pool.submit(&hello(), "oui", Vec::new(), Instant::now() + Duration::from_secs(5), tx, Waker::default()).unwrap();
            assert_eq!(rx.recv().unwrap(), Err(LlmError::Timeout));
        }
        assert!(pool.breaker_open());
        pool.shutdown();
        server.join().unwrap();
    }
}
