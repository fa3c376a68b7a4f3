//! The LLM tier against a real server: sid's llama-server with Gemma 3 270M (the Ollama role; no
//! Ollama binary can be had here). It checks the integration, not the model's wisdom: the
//! OpenAI-compatible request is accepted and answered within the schema, Ollama's native path is
//! refused by llama.cpp (404) and counted, timeouts and the deadline hold.
//!
//! Ollama's native API, the production path, is checked against recorded exchanges instead
//! (tests/data/ollama, from Ollama's documentation and server code): a mock replays them.

mod support;

use crossbeam_channel::bounded;
use res_minibot::domain::{Classification, Intent, Sentiment, StepContext};
use res_minibot::nlp::llm::{self, Api, LlmConfig, LlmError, LlmPool};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use res_minibot::nlp::service::{IntentConfig, IntentService, Understood};
use res_minibot::domain::Tier;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use support::llm::LlmServer;

/// One llama-server at a time: two on 2 cores, each spinning its threads, slowed a first answer
/// past 20 s on a fresh machine (seen in a cold rehearsal).
static ONE_SERVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_server() -> std::sync::MutexGuard<'static, ()> {
    ONE_SERVER.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ask(pool: &LlmPool, text: &str, within: Duration) -> (Result<res_minibot::domain::Classification, LlmError>, Duration) {
    let (tx, rx) = bounded(1);
    let started = Instant::now();
    // With examples, as the intent service sends them from the model's corpus.
    let examples = vec![(res_minibot::domain::Intent::Positive, "oui allez-y je vous écoute".to_string())];
    pool.submit(&support::sample_step("hello"), text, examples, started + within, tx, Default::default()).unwrap();
    (rx.recv_timeout(within + Duration::from_secs(5)).expect("an answer or an error"), started.elapsed())
}

#[test]
fn openai_format_is_answered_in_the_schema_and_ollama_native_is_a_counted_404() {
    let _alone = one_server();
    let server = LlmServer::start();
    let pool = LlmPool::start(LlmConfig { url: server.url(), api: Api::OpenAi, model: "gemma".into(), timeout_ms: 20_000, ..LlmConfig::default() }).unwrap();
    let mut latencies = Vec::new();
    for text in ["oui allez-y je vous écoute", "non merci", "rappelez-moi demain"] {
        let (result, elapsed) = ask(&pool, text, Duration::from_secs(20));
        latencies.push(elapsed.as_millis());
        match result {
            Ok(c) => eprintln!("{text:?} -> {} ({:?}) in {elapsed:?}", c.intent, c.sentiment),
            Err(e @ (LlmError::InvalidJson(_) | LlmError::BadLabel(_))) => eprintln!("{text:?} -> {e:?} (the model's answer, counted)"),
            Err(e) => panic!("the server refused the request shape: {e:?}"),
        }
    }
    eprintln!("llama-server latencies (ms): {latencies:?}");
    assert!(pool.stats.ok.load(Ordering::Relaxed) >= 1, "schema-constrained output parses");
    assert_eq!(pool.stats.http_errors.load(Ordering::Relaxed), 0);
    pool.shutdown();

    let native = LlmPool::start(LlmConfig { url: server.url(), api: Api::Ollama, model: "gemma".into(), ..LlmConfig::default() }).unwrap();
    let (result, _) = ask(&native, "oui", Duration::from_secs(5));
    assert_eq!(result.unwrap_err(), LlmError::Http(404), "llama.cpp has no /api/chat");
    assert_eq!(native.stats.http_errors.load(Ordering::Relaxed), 1);
    assert!(!native.breaker_open(), "a 404 is a configuration error, not an outage");
    native.shutdown();
}

/// The turn's deadline holds whatever the server does: the turn goes on with its local answer
/// at the deadline, while the request runs on to its own timeout and, answered late, shows the
/// server is alive (no outage counted).
#[test]
fn a_short_deadline_lets_the_local_answer_stand_before_the_llm_s() {
    let _alone = one_server();
    let server = LlmServer::start();
    // A timeout far above a busy machine's slowest answer (the test waits for the late answer).
    let pool = LlmPool::start(LlmConfig { url: server.url(), api: Api::OpenAi, model: "gemma".into(), timeout_ms: 120_000, ..LlmConfig::default() }).unwrap();
    let pool = std::sync::Arc::new(pool);
    // 50 ms is far below what a CPU model needs.
    let service = IntentService::new(IntentConfig { llm_below: 1.1, deadline_ms: 50, ..IntentConfig::default() }, Some(pool.clone()), None);
    let Understood::Pending(pending) = service.understand(&support::sample_step("q1"), "j'ai un livret a et une assurance vie", &Default::default()) else {
        panic!("llm_below > 1 asks the LLM")
    };
    let started = Instant::now();
    let (classification, tier, _) = loop {
        if let Some(answer) = service.poll(&pending, Instant::now()) {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let late_when_answered = pool.stats.late.load(Ordering::Relaxed);
    eprintln!("the local answer stood after {elapsed:?}");
    assert_eq!(tier, Tier::LocalUnsure, "the local answer stands, unsure");
    assert_eq!(classification.entities, ["livret_a", "assurance_vie"]);
    // Causality, not a stopwatch: the turn was answered before the LLM's (late) answer came.
    assert_eq!(late_when_answered, 0, "the turn waited for the LLM");
    let deadline = Instant::now() + Duration::from_secs(150);
    while pool.stats.late.load(Ordering::Relaxed) == 0 {
        assert!(Instant::now() < deadline, "{}", pool.stats.report());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pool.breaker_open(), "a slow answer is not an outage: {}", pool.stats.report());
    assert_eq!(pool.stats.timeouts.load(Ordering::Relaxed), 0);
    pool.shutdown();
}

// Ollama's native API against recorded exchanges. No Ollama binary can run here, so a MOCK server
// (`mock_ollama_replaying`, not Ollama) answers each request with a response recorded from Ollama's
// documentation and server code (tests/data/ollama/README.md says where each comes from) and keeps
// what the pool sent. No llama-server, no ONE_SERVER lock, no timing asserted.

/// One request as the mock received it: the request line and headers (CRLF), and the body.
struct Received {
    head: String,
    body: String,
}

impl Received {
    fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("the request body is not JSON ({e}): {}", self.body))
    }
}

/// The bytes of a recorded response in tests/data/ollama: the file's `#` provenance lines left
/// out, the head sent with CRLF, the body without the file's final newline (gin writes none).
fn recorded_response(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/ollama/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let comments: usize = text.lines().take_while(|line| line.starts_with('#')).map(|line| line.len() + 1).sum();
    let (head, body) = text[comments..].split_once("\n\n").unwrap_or_else(|| panic!("{path}: no blank line after the headers"));
    let body = body.strip_suffix('\n').unwrap_or(body);
    assert!(head.starts_with("HTTP/1.1 "), "{path}: no status line after the comments");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("{path}: no Content-Length"));
    assert_eq!(length, body.len(), "{path}: Content-Length is not the body's length");
    let mut bytes: String = head.lines().map(|line| format!("{line}\r\n")).collect();
    bytes += "\r\n";
    bytes += body;
    bytes.into_bytes()
}

/// Reads one HTTP/1.1 request (head, then a Content-Length body); None when the client closed
/// the connection instead.
fn read_request(reader: &mut impl BufRead) -> Option<Received> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head += &line;
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().expect("a Content-Length"))
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received { head, body: String::from_utf8(body).expect("a UTF-8 body") })
}

/// A MOCK of Ollama replaying recorded exchanges, not Ollama: it answers the requests it gets, in
/// order, with the recorded responses `exchanges` (file names in tests/data/ollama), one each, on
/// whatever connections the client opens (ureq keeps one alive between requests, as Go's server
/// allows, and drops it after an error status), then stops. Joined, it gives what it received.
fn mock_ollama_replaying(exchanges: &[&str]) -> (String, std::thread::JoinHandle<Vec<Received>>) {
    let responses: Vec<Vec<u8>> = exchanges.iter().map(|name| recorded_response(name)).collect();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mock = std::thread::Builder::new()
        .name("mock-ollama".into())
        .spawn(move || {
            let mut received = Vec::new();
            let mut responses = responses.into_iter();
            let mut next = responses.next();
            while next.is_some() {
                let (stream, _) = listener.accept().expect("the client connects");
                // A guard against a hung test, not a measurement.
                stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while let Some(response) = next.take() {
                    let Some(request) = read_request(&mut reader) else {
                        next = Some(response); // this connection is over: the request comes on a new one
                        break;
                    };
                    received.push(request);
                    writer.write_all(&response).unwrap();
                    writer.flush().unwrap();
                    next = responses.next();
                }
            }
            received
        })
        .unwrap();
    (url, mock)
}

/// Asks the pool about `text` at `step` and waits for its answer (the deadline is far: no turn
/// waits here).
fn ask_replayed(pool: &LlmPool, step: &Arc<StepContext>, text: &str) -> Result<Classification, LlmError> {
    let (tx, rx) = bounded(1);
    pool.submit(step, text, Vec::new(), Instant::now() + Duration::from_secs(60), tx, Default::default()).unwrap();
    rx.recv_timeout(Duration::from_secs(90)).expect("an answer or an error")
}

#[test]
fn ollama_native_wire_format_against_a_recorded_exchange() {
    let (url, mock) = mock_ollama_replaying(&["chat-intent.http", "chat-structured-outputs.http"]);
    let config = LlmConfig { url, api: Api::Ollama, workers: 1, ..LlmConfig::default() };
    assert_eq!((config.model.as_str(), config.keep_alive.as_str()), ("llama3.2:1b", "30m"), "the production defaults");
    let pool = LlmPool::start(config).unwrap();
    let q1 = support::sample_step("q1");
    let text = "j'ai un livret a et une assurance vie";
    let answer = ask_replayed(&pool, &q1, text).expect("the recorded answer is read");
    assert_eq!((answer.intent, answer.sentiment), (Intent::Positive, Sentiment::Neutral));
    assert_eq!(answer.entities, ["livret_a", "assurance_vie"]);
    // The documentation's own answer, unchanged ({"age": 22, "available": false}): the envelope is
    // read (message.content, no InvalidJson), and an answer outside the schema is a bad label.
    assert_eq!(ask_replayed(&pool, &q1, "oui").unwrap_err(), LlmError::BadLabel(String::new()));
    assert_eq!(pool.stats.ok.load(Ordering::Relaxed), 1, "{}", pool.stats.report());
    assert_eq!(pool.stats.bad_labels.load(Ordering::Relaxed), 1, "{}", pool.stats.report());
    assert_eq!(pool.stats.invalid_json.load(Ordering::Relaxed), 0, "{}", pool.stats.report());
    pool.shutdown();

    let received = mock.join().unwrap();
    assert_eq!(received.len(), 2);
    let request = &received[0];
    assert_eq!(request.request_line(), "POST /api/chat HTTP/1.1");
    assert_eq!(received[1].request_line(), "POST /api/chat HTTP/1.1");
    assert!(request.header("Content-Type").is_some_and(|t| t.starts_with("application/json")), "{}", request.head);
    assert_eq!(request.header("Content-Length"), Some(request.body.len().to_string().as_str()), "{}", request.head);
    // The fields docs/api.md gives /api/chat, with the types Ollama's ChatRequest reads.
    let body = request.json();
    assert_eq!(body["model"], "llama3.2:1b");
    let messages = body["messages"].as_array().expect("messages: an array");
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().expect("a role")).collect();
    assert_eq!(roles, ["system", "user"]);
    assert!(messages.iter().all(|m| m["content"].is_string()), "{body}");
    assert!(messages[1]["content"].as_str().unwrap().contains(text), "{body}");
    assert_eq!(body["stream"], false, "Ollama streams NDJSON unless told not to");
    // `format`: the JSON schema object itself, at the top level (not OpenAI's response_format).
    let format = &body["format"];
    assert_eq!(format["type"], "object", "{format}");
    let intents = format["properties"]["intent"]["enum"].as_array().expect("the intents: an enum");
    let labels: Vec<&str> = intents.iter().map(|label| label.as_str().expect("a label")).collect();
    assert!(labels.iter().all(|label| Intent::parse(label).is_some()), "{labels:?}");
    assert!(labels.contains(&"positive") && labels.contains(&"do_not_call"), "{labels:?}");
    assert_eq!(format["properties"]["entities"]["items"]["enum"], json!(q1.entity_names()), "{format}");
    assert!(format["required"].as_array().is_some_and(|r| r.contains(&json!("intent"))), "{format}");
    assert_eq!(body["options"]["temperature"], 0, "{body}");
    assert_eq!(body["options"]["num_predict"], 200, "bounded as the OpenAI path's max_tokens: {body}");
    assert_eq!(body["think"], false, "a thinking model would think for seconds unless told not to: {body}");
    // A Go duration string: api.Duration parses a string with time.ParseDuration.
    assert_eq!(body["keep_alive"], "30m");
    for openai_only in ["response_format", "max_tokens", "temperature"] {
        assert!(body.get(openai_only).is_none(), "{openai_only} is no /api/chat field: {body}");
    }
}

#[test]
fn ollama_model_not_found_is_a_counted_http_error_that_leaves_the_breaker_closed() {
    let (url, mock) = mock_ollama_replaying(&["chat-model-not-found.http", "chat-intent.http"]);
    // One outage would open the breaker: the 404 must not count as one.
    let pool = LlmPool::start(LlmConfig { url, api: Api::Ollama, workers: 1, breaker_failures: 1, ..LlmConfig::default() }).unwrap();
    let q1 = support::sample_step("q1");
    assert_eq!(ask_replayed(&pool, &q1, "oui").unwrap_err(), LlmError::Http(404));
    assert_eq!(pool.stats.requests.load(Ordering::Relaxed), 1);
    assert_eq!(pool.stats.http_errors.load(Ordering::Relaxed), 1, "{}", pool.stats.report());
    assert!(!pool.breaker_open(), "a model not pulled is a configuration error, not an outage: {}", pool.stats.report());
    assert_eq!(pool.stats.breaker_opens.load(Ordering::Relaxed), 0);
    // Still asked: the next question reaches the server (answered by the next recording).
    let answer = ask_replayed(&pool, &q1, "j'ai un livret a et une assurance vie").expect("asked again");
    assert_eq!(answer.intent, Intent::Positive);
    assert_eq!(pool.stats.breaker_skips.load(Ordering::Relaxed), 0);
    pool.shutdown();
    let received = mock.join().unwrap();
    let lines: Vec<&str> = received.iter().map(|r| r.request_line()).collect();
    assert_eq!(lines, ["POST /api/chat HTTP/1.1"; 2]);
}

/// `minibot check` reads Ollama's /api/tags: a listed model passes (a name without its tag is
/// the `:latest` one), a missing one is an error that says what to pull.
#[test]
fn minibot_check_reads_the_recorded_api_tags() {
    let q1 = support::sample_step("q1");
    let text = "j'ai un livret a et une assurance vie";
    let (url, mock) = mock_ollama_replaying(&["tags.http", "chat-intent.http"]);
    let config = LlmConfig { url, api: Api::Ollama, model: "llama3.2".into(), ..LlmConfig::default() };
    // Whether the answer came within the deadline is timing: not asserted.
    let (found, _in_time) = llm::check(&config, 1200, &q1, text).expect("llama3.2:latest is listed");
    assert!(found.starts_with("model llama3.2 present"), "{found}");
    assert!(found.contains("classified positive"), "{found}");
    let received = mock.join().unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].request_line(), "GET /api/tags HTTP/1.1");
    assert_eq!(received[1].request_line(), "POST /api/chat HTTP/1.1");
    assert_eq!(received[1].json()["model"], "llama3.2");

    // The production default is not among the documented list.
    let (url, mock) = mock_ollama_replaying(&["tags.http"]);
    let config = LlmConfig { url, api: Api::Ollama, ..LlmConfig::default() };
    let error = llm::check(&config, 1200, &q1, "oui").expect_err("llama3.2:1b is not listed");
    assert!(error.contains("model 'llama3.2:1b' is not pulled"), "{error}");
    assert!(error.contains("deepseek-r1:latest, llama3.2:latest"), "{error}");
    assert!(error.ends_with("ollama pull llama3.2:1b"), "{error}");
    assert_eq!(mock.join().unwrap().len(), 1, "no classification asked of a model that is not there");

    // Listed, yet refused when asked (removed meanwhile): the check says what Ollama said.
    let (url, mock) = mock_ollama_replaying(&["tags.http", "chat-model-not-found.http"]);
    let config = LlmConfig { url, api: Api::Ollama, model: "llama3.2".into(), ..LlmConfig::default() };
    let error = llm::check(&config, 1200, &q1, "oui").expect_err("refused");
    assert!(error.contains("Http(404): the server says \"model 'llama3.2:1b' not found\""), "{error}");
    assert_eq!(mock.join().unwrap().len(), 2);
}
