//! `make eval FILE=some.tsv [LLM=http://host:port]`: accuracy per intent, a confusion table and the
//! misses of the local classifier on a labelled file, ending with `accuracy: 0.NNN (N/M)`.

use res_minibot::nlp::classifier::classify;
use res_minibot::nlp::eval::{evaluate, parse, Outcome};
use res_minibot::nlp::llm::{Api, LlmConfig, LlmError, LlmPool};
use res_minibot::vocab::Intent;
use res_minibot::obs::metrics::summarize;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: eval FILE.tsv");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let examples = parse(&text).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    // The steps' contexts (kind, entities) come from the sample campaigns' description.
    let scenarios_path = concat!(env!("CARGO_MANIFEST_DIR"), "/asterisk-conf/minibot_scenarios.conf");
    let scenarios = std::fs::read_to_string(scenarios_path)
        .map_err(|e| e.to_string())
        .and_then(|text| res_minibot::scenario::from_text(scenarios_path, &text).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        });
    let context_of = |e: &res_minibot::nlp::eval::Example| {
        // The shared dev set (../shared/data) calls the demo's offer step "closing".
        let step = if e.step == "closing" { "is_leads" } else { e.step.as_str() };
        res_minibot::scenario::step_context(&scenarios, step, "demo").unwrap_or_else(|| {
            eprintln!("{path} line {}: no step '{}' in {scenarios_path}", e.line, e.step);
            std::process::exit(2)
        })
    };
    let mut timings = Vec::new();
    let report = evaluate(&examples, |e| {
        let context = context_of(e);
        let started = Instant::now();
        let c = classify(&context, &e.utterance);
        timings.push(started.elapsed().as_secs_f64() * 1e6);
        Outcome { predicted: c.intent, entities: c.entities }
    });
    let summary = summarize(&mut timings);
    println!("== local classifier on {path}");
    if let Some(s) = summary {
        println!("latency per utterance: median {:.1} us, p95 {:.1} us, max {:.1} us\n", s.median, s.p95, s.max);
    }
    // The LLM tier alone, when a server is given (OpenAI-compatible API, or ollama:URL).
    if let Some(url) = args.iter().position(|a| a == "--llm").and_then(|i| args.get(i + 1)) {
        let (api, url) = match url.strip_prefix("ollama:") {
            Some(rest) => (Api::Ollama, rest.to_string()),
            None => (Api::OpenAi, url.clone()),
        };
        let model = std::env::var("LLM_MODEL").unwrap_or_else(|_| "gemma".into());
        let pool = LlmPool::start(LlmConfig { url: url.clone(), api, model, timeout_ms: 30_000, ..LlmConfig::default() }).unwrap();
        let mut latencies = Vec::new();
        let mut failures = 0;
        let llm_report = evaluate(&examples, |e| {
            let (tx, rx) = crossbeam_channel::bounded(1);
            let started = Instant::now();
            let context = context_of(e);
            let _ = pool.submit(&context, &e.utterance, started + Duration::from_secs(30), tx);
            let answer = rx.recv_timeout(Duration::from_secs(35)).unwrap_or(Err(LlmError::Timeout));
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            match answer {
                Ok(c) => Outcome { predicted: c.intent, entities: c.entities },
                Err(_) => {
                    failures += 1;
                    Outcome { predicted: Intent::Unclear, entities: Vec::new() }
                }
            }
        });
        println!("\n== LLM tier alone ({api:?} at {url}) on {path}");
        if let Some(s) = summarize(&mut latencies) {
            println!("latency per utterance: median {:.0} ms, p95 {:.0} ms, max {:.0} ms; failures (counted as unclear): {failures}", s.median, s.p95, s.max);
        }
        print!("{}", pool.stats.report());
        pool.shutdown();
        // The local classifier's line stays the last line: it is the product's accuracy.
        let text = llm_report.text.replace("accuracy:", "llm accuracy:");
        println!("{text}");
        println!("{}", report.text.lines().last().unwrap_or(""));
        return;
    }
    print!("{}", report.text);
}
