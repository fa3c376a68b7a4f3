//! `make eval [FILE=some.tsv] [LLM=http://host:port]`: the intent model (`make train`) measured.
//! - 5-fold cross-validation on train + validation;
//! - the frozen test split (tests/data/corpus/test.tsv, or FILE): per-intent precision and recall,
//!   the confusion table, the misses, latency per utterance, how well the confidence is calibrated
//!   (accuracy per confidence band, the share of turns `llm_below` would send to the LLM), and the
//!   rules-only classifier on the same lines for comparison;
//! - with LLM=, the LLM tier alone on the same lines.
//!
//! The last line is the model's `accuracy: 0.NNN (N/M)` on the evaluated file.

#[path = "support/corpus.rs"]
mod corpus;

use corpus::{examples, examples_without_test_repeats, fail, normalized, sample_scenarios, samples, FROZEN_TEST, ROOT, TRAIN, VALIDATION};
use res_minibot::nlp::classifier::{classify, classify_with};
use res_minibot::nlp::eval::{evaluate, Example, Outcome};
use res_minibot::nlp::llm::{Api, LlmConfig, LlmError, LlmPool};
use res_minibot::nlp::model::{IntentModel, Sample, TrainOptions};
use res_minibot::obs::metrics::summarize;
use res_minibot::scenario::{step_context, Scenarios};
use res_minibot::domain::{Intent, StepContext};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default `[intent] llm_below`.
const LLM_BELOW: f32 = 0.75;

fn context_of(scenarios: &Scenarios, e: &Example) -> Arc<StepContext> {
    step_context(scenarios, &e.step, "demo").unwrap_or_else(|| fail(format!("line {}: no step '{}'", e.line, e.step)))
}

fn cross_validation(all: &[Sample]) {
    let mut order: Vec<usize> = (0..all.len()).collect();
    // Deterministic interleaving: fold k holds every 5th line of a fixed shuffle.
    let mut seed: u64 = 0x5eed;
    for i in (1..order.len()).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        order.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let mut accuracies = Vec::new();
    for fold in 0..5 {
        let train: Vec<Sample> = order.iter().enumerate().filter(|(i, _)| i % 5 != fold).map(|(_, &j)| all[j].clone()).collect();
        let held: Vec<&Sample> = order.iter().enumerate().filter(|(i, _)| i % 5 == fold).map(|(_, &j)| &all[j]).collect();
        let model = IntentModel::train(&train, &TrainOptions::default());
        let ok = held.iter().filter(|s| model.predict(s.kind, &s.utterance).intent == s.intent).count();
        accuracies.push(ok as f64 / held.len() as f64);
        println!("  fold {}: {:.3} ({ok}/{})", fold + 1, ok as f64 / held.len() as f64, held.len());
    }
    println!("  mean: {:.3}", accuracies.iter().sum::<f64>() / 5.0);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.iter().find(|a| !a.starts_with("--") && !a.starts_with("http") && !a.starts_with("ollama:")).cloned();
    let file = file.unwrap_or_else(|| FROZEN_TEST.to_string());
    let model_path = format!("{ROOT}/{}", corpus::MODEL);
    let model = std::fs::read_to_string(&model_path)
        .map_err(|e| e.to_string())
        .and_then(|text| IntentModel::from_text(&text))
        .unwrap_or_else(|e| fail(format!("{model_path}: {e} (run `make train`)")));
    let scenarios = sample_scenarios();
    println!("== intent model {model_path}\n   {} (temperature {:.2})", model.provenance, model.temperature);

    println!("\n== 5-fold cross-validation on train + validation (generated and hand-written dev lines)");
    let all: Vec<Sample> = TRAIN.iter().chain(VALIDATION).flat_map(|f| samples(&scenarios, &examples_without_test_repeats(f))).collect();
    cross_validation(&all);

    let examples = examples(&file);
    println!("\n== the model on {file} ({} utterances)", examples.len());
    let mut timings = Vec::new();
    let mut bands = [(0usize, 0usize); 3]; // [<llm_below, <0.9, >=0.9]: (right, all)
    let report = evaluate(&examples, |e| {
        let context = context_of(&scenarios, e);
        let started = Instant::now();
        let c = classify_with(&model, &context, &e.utterance);
        timings.push(started.elapsed().as_secs_f64() * 1e6);
        let band = if c.confidence < LLM_BELOW { 0 } else if c.confidence < 0.9 { 1 } else { 2 };
        bands[band].0 += (c.intent == e.intent) as usize;
        bands[band].1 += 1;
        Outcome { predicted: c.intent, entities: c.entities }
    });
    if let Some(s) = summarize(&mut timings) {
        println!("latency per utterance: median {:.1} us, p99 {:.1} us, max {:.1} us", s.median, s.p99, s.max);
    }
    println!("confidence bands (accuracy within each):");
    for (name, (right, all)) in ["below llm_below (0.75): asked to the LLM", "0.75 to 0.90", "0.90 and above"].iter().zip(bands) {
        println!("  {name:<42} {all:>4} turns, accuracy {}", if all == 0 { "-".to_string() } else { format!("{:.3}", right as f64 / all as f64) });
    }
    // Lines of the evaluated file that occur nowhere in the training, validation or dev files (the
    // dev sets were written before the test split and share a few short answers with it).
    let known: std::collections::HashSet<String> = TRAIN.iter().chain(VALIDATION).flat_map(|f| corpus::examples(f)).map(|e| normalized(&e.utterance)).collect();
    let unseen: Vec<&Example> = examples.iter().filter(|e| !known.contains(&normalized(&e.utterance))).collect();
    let unseen_right = unseen.iter().filter(|e| classify_with(&model, &context_of(&scenarios, e), &e.utterance).intent == e.intent).count();
    println!(
        "lines seen in no training, validation or dev file: {}; accuracy on them {:.3} ({unseen_right}/{})",
        unseen.len(),
        unseen_right as f64 / unseen.len().max(1) as f64,
        unseen.len()
    );
    let rules = evaluate(&examples, |e| {
        let c = classify(&context_of(&scenarios, e), &e.utterance);
        Outcome { predicted: c.intent, entities: c.entities }
    });
    println!(
        "rules alone on the same lines: {} (do_not_call recall {:.3})",
        rules.text.lines().last().unwrap_or(""),
        rules.recall(Intent::DoNotCall).unwrap_or(0.0)
    );

    // The LLM tier alone, when a server is given (OpenAI-compatible API, or ollama:URL).
    if let Some(url) = args.iter().position(|a| a == "--llm").and_then(|i| args.get(i + 1)) {
        let (api, url) = match url.strip_prefix("ollama:") {
            Some(rest) => (Api::Ollama, rest.to_string()),
            None => (Api::OpenAi, url.clone()),
        };
        let model_name = std::env::var("LLM_MODEL").unwrap_or_else(|_| "gemma".into());
        let pool = LlmPool::start(LlmConfig { url: url.clone(), api, model: model_name, timeout_ms: 30_000, ..LlmConfig::default() }).unwrap();
        let mut latencies = Vec::new();
        let mut failures = 0;
        let llm_report = evaluate(&examples, |e| {
            let (tx, rx) = crossbeam_channel::bounded(1);
            let started = Instant::now();
            let context = context_of(&scenarios, e);
            let examples = model.examples_for(context.kind).into_iter().map(|(i, w)| (i, w.to_string())).collect();
            let _ = pool.submit(&context, &e.utterance, examples, started + Duration::from_secs(30), tx, Default::default());
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
        println!("\n== LLM tier alone ({api:?} at {url}) on {file}");
        if let Some(s) = summarize(&mut latencies) {
            println!("latency per utterance: median {:.0} ms, p95 {:.0} ms, max {:.0} ms; failures (counted as unclear): {failures}", s.median, s.p95, s.max);
        }
        print!("{}", pool.stats.report());
        pool.shutdown();
        println!("{}", llm_report.text.replace("accuracy:", "llm accuracy:"));
    }
    println!("\n== the model on {file}");
    print!("{}", report.text);
}
