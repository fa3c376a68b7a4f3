//! The LLM tier against a real server: sid's llama-server with Gemma 3 270M (the Ollama role; no
//! Ollama binary can be had here). It checks the integration, not the model's wisdom: the
//! OpenAI-compatible request is accepted and answered within the schema, Ollama's native path is
//! refused by llama.cpp (404) and counted, timeouts and the deadline hold.

mod support;

use crossbeam_channel::bounded;
use res_minibot::nlp::llm::{Api, LlmConfig, LlmError, LlmPool};
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
    let pool = LlmPool::start(LlmConfig { url: server.url(), api: Api::OpenAi, model: "gemma".into(), timeout_ms: 20_000, ..LlmConfig::default() }).unwrap();
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
    assert_eq!(tier, Tier::Local, "the local answer stands");
    assert_eq!(classification.entities, ["livret_a", "assurance_vie"]);
    // Causality, not a stopwatch: the turn was answered before the LLM's (late) answer came.
    assert_eq!(late_when_answered, 0, "the turn waited for the LLM");
    let deadline = Instant::now() + Duration::from_secs(30);
    while pool.stats.late.load(Ordering::Relaxed) == 0 {
        assert!(Instant::now() < deadline, "{}", pool.stats.report());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pool.breaker_open(), "a slow answer is not an outage: {}", pool.stats.report());
    assert_eq!(pool.stats.timeouts.load(Ordering::Relaxed), 0);
    pool.shutdown();
}
