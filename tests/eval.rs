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
use res_minibot::nlp::classifier::{classify, classify_with, says_opt_out};
use res_minibot::nlp::eval::{evaluate, Example, Outcome};
use res_minibot::nlp::llm::{Api, LlmConfig, LlmError, LlmPool};
use res_minibot::nlp::model::{IntentModel, Sample, TrainOptions};
use res_minibot::obs::metrics::summarize;
use res_minibot::scenario::{step_context, Scenarios};
use res_minibot::domain::{Intent, StepContext};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default `[intent] llm_below`.
const LLM_BELOW: f32 = 0.5;

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
        let ok = held.iter().filter(|s| model.predict(s.asked(), &s.utterance).intent == s.intent).count();
        accuracies.push(ok as f64 / held.len() as f64);
        println!("  fold {}: {:.3} ({ok}/{})", fold + 1, ok as f64 / held.len() as f64, held.len());
    }
    println!("  mean: {:.3}", accuracies.iter().sum::<f64>() / 5.0);
}

/// Local + LLM at each threshold (`llm_below`): the turns under it take the LLM's answer, except
/// the local opt-outs (never sent), as the intent service does when the LLM answers in time (a
/// failure leaves the local answer: counted here as the LLM's "unclear", the worse case). Also
/// the LLM's accuracy on the turns it gets.
fn threshold_curve(examples: &[Example], local: &[(Intent, f32)], llm: &[Intent], latencies: &[f64]) {
    println!("\n== local + LLM by threshold (llm_below; shipped {LLM_BELOW})");
    println!("| llm_below | turns to the LLM | LLM right on them | local right on them | combined accuracy | do_not_call recall / precision | LLM latency p50 / p95 on them (ms) |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for threshold in [0.0f32, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01] {
        // As `IntentService::understand`: an opt-out the local tier says is never sent.
        let sends = |i: usize| local[i].1 < threshold && local[i].0 != Intent::DoNotCall;
        let sent: Vec<usize> = (0..examples.len()).filter(|&i| sends(i)).collect();
        let chosen = |i: usize| if sends(i) { llm[i] } else { local[i].0 };
        let right = (0..examples.len()).filter(|&i| chosen(i) == examples[i].intent).count();
        let llm_right = sent.iter().filter(|&&i| llm[i] == examples[i].intent).count();
        let local_right = sent.iter().filter(|&&i| local[i].0 == examples[i].intent).count();
        let dnc = examples.iter().filter(|e| e.intent == Intent::DoNotCall).count();
        let found = (0..examples.len()).filter(|&i| examples[i].intent == Intent::DoNotCall && chosen(i) == Intent::DoNotCall).count();
        let said = (0..examples.len()).filter(|&i| chosen(i) == Intent::DoNotCall).count();
        let mut times: Vec<f64> = sent.iter().map(|&i| latencies[i]).collect();
        let timing = summarize(&mut times).map_or_else(|| "-".to_string(), |s| format!("{:.0} / {:.0}", s.median, s.p95));
        println!(
            "| {threshold:.2} | {} | {llm_right} | {local_right} | {:.3} ({right}/{}) | {:.3} / {:.3} | {timing} |",
            sent.len(),
            right as f64 / examples.len().max(1) as f64,
            examples.len(),
            found as f64 / dnc.max(1) as f64,
            if said == 0 { 1.0 } else { found as f64 / said as f64 },
        );
    }
}

/// The report without its list of misses when the set is a frozen split.
fn without_misses(text: &str, frozen: bool) -> String {
    match (frozen, text.find("\nmisses:\n"), text.rfind("accuracy:")) {
        (true, Some(from), Some(to)) if from < to => format!("{}\n(misses of a frozen split are not shown)\n{}", &text[..from], &text[to..]),
        _ => text.to_string(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.iter().find(|a| !a.starts_with("--") && !a.starts_with("http") && !a.starts_with("ollama:")).cloned();
    let file = file.unwrap_or_else(|| FROZEN_TEST.to_string());
    let model_path = format!("{ROOT}/{}", corpus::MODEL);
    // Read as the module reads it (line by line from the file), timed: a load runs on Asterisk's
    // loader thread.
    let started = Instant::now();
    let model = std::fs::File::open(&model_path)
        .map_err(|e| e.to_string())
        .and_then(|file| IntentModel::read(std::io::BufReader::new(file)))
        .unwrap_or_else(|e| fail(format!("{model_path}: {e} (run `make train`)")));
    let load_time = started.elapsed();
    let scenarios = sample_scenarios();
    println!(
        "== intent model {model_path}\n   {} (temperature {:.2}; {}, {:.1} MB, read in {} ms)",
        model.provenance,
        model.temperature,
        model.kind(),
        model.memory() as f64 / 1e6,
        load_time.as_millis()
    );

    println!("\n== 5-fold cross-validation on train + validation (generated and hand-written dev lines)");
    let all: Vec<Sample> = TRAIN.iter().chain(VALIDATION).flat_map(|f| samples(&scenarios, &examples_without_test_repeats(f))).collect();
    cross_validation(&all);

    let examples = examples(&file);
    // A frozen split is scored, never tuned on: its lines are not shown, so nobody learns them.
    let frozen = std::path::Path::new(&file).file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("test") && file.contains("corpus"));
    println!("\n== the model on {file} ({} utterances)", examples.len());
    let mut timings = Vec::new();
    let mut bands = [(0usize, 0usize); 3]; // [<llm_below, <0.9, >=0.9]: (right, all)
    let mut local: Vec<(Intent, f32)> = Vec::new(); // each line's local answer, for the threshold curve
    let mut asked_back: Vec<(usize, bool)> = Vec::new(); // (line, an opt-out indeed) of the unsure opt-outs
    let report = evaluate(&examples, |e| {
        let context = context_of(&scenarios, e);
        let started = Instant::now();
        let c = classify_with(&model, &context, &e.utterance);
        timings.push(started.elapsed().as_secs_f64() * 1e6);
        local.push((c.intent, c.confidence));
        if c.opt_out_unsure {
            asked_back.push((local.len() - 1, e.intent == Intent::DoNotCall));
        }
        let band = if c.confidence < LLM_BELOW { 0 } else if c.confidence < 0.9 { 1 } else { 2 };
        bands[band].0 += (c.intent == e.intent) as usize;
        bands[band].1 += 1;
        Outcome { predicted: c.intent, entities: c.entities }
    });
    if let Some(s) = summarize(&mut timings) {
        println!("latency per utterance: median {:.1} us, p99 {:.1} us, max {:.1} us", s.median, s.p99, s.max);
    }
    println!("confidence bands (accuracy within each):");
    for (name, (right, all)) in ["below llm_below (0.5): the LLM's unless an opt-out", "0.5 to 0.90", "0.90 and above"].iter().zip(bands) {
        println!("  {name:<42} {all:>4} turns, accuracy {}", if all == 0 { "-".to_string() } else { format!("{:.3}", right as f64 / all as f64) });
    }
    // Opt-outs without opt-out words that the model is not sure of (`opt_out_unsure`): a campaign
    // with `confirm_opt_out` asks them back (a yes there takes the opt-out back); the others are
    // said outright.
    let said = local.iter().filter(|(i, _)| *i == Intent::DoNotCall).count();
    let said_right = examples.iter().zip(&local).filter(|(e, (i, _))| *i == Intent::DoNotCall && e.intent == Intent::DoNotCall).count();
    let back_right = asked_back.iter().filter(|(_, right)| *right).count();
    let (outright, outright_right) = (said - asked_back.len(), said_right - back_right);
    let precision = if outright == 0 { "-".to_string() } else { format!("{:.3}", outright_right as f64 / outright as f64) };
    // Of those said outright, how many opt-out words decided (policy) and how many the model did.
    let by_words: Vec<bool> = examples.iter().zip(&local).filter(|(e, (i, _))| *i == Intent::DoNotCall && says_opt_out(&e.utterance)).map(|(e, _)| e.intent == Intent::DoNotCall).collect();
    let words_right = by_words.iter().filter(|r| **r).count();
    println!(
        "opt-outs said outright: {outright} ({outright_right} opt-outs, precision {precision}; with opt-out words {} ({words_right} opt-outs), by the model {} ({} opt-outs)); asked back (no opt-out words, the model unsure): {} ({back_right} opt-outs)",
        by_words.len(),
        outright - by_words.len(),
        outright_right - words_right,
        asked_back.len()
    );
    if !frozen {
        for (line, right) in &asked_back {
            let e = &examples[*line];
            println!("  asked back [{}] \"{}\": expected {}{}", e.step, e.utterance, e.intent, if *right { "" } else { " (not an opt-out)" });
        }
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
        let mut llm: Vec<Intent> = Vec::new();
        let llm_report = evaluate(&examples, |e| {
            let (tx, rx) = crossbeam_channel::bounded(1);
            let started = Instant::now();
            let context = context_of(&scenarios, e);
            let examples = model.examples_for(context.kind).into_iter().map(|(i, w)| (i, w.to_string())).collect();
            let _ = pool.submit(&context, &e.utterance, examples, started + Duration::from_secs(30), tx, Default::default());
            let answer = rx.recv_timeout(Duration::from_secs(35)).unwrap_or(Err(LlmError::Timeout));
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            let outcome = match answer {
                Ok(c) => Outcome { predicted: c.intent, entities: c.entities },
                Err(_) => {
                    failures += 1;
                    Outcome { predicted: Intent::Unclear, entities: Vec::new() }
                }
            };
            llm.push(outcome.predicted);
            outcome
        });
        println!("\n== LLM tier alone ({api:?} at {url}) on {file}");
        if let Some(s) = summarize(&mut latencies) {
            println!("latency per utterance: median {:.0} ms, p95 {:.0} ms, max {:.0} ms; failures (counted as unclear): {failures}", s.median, s.p95, s.max);
        }
        print!("{}", pool.stats.report());
        pool.shutdown();
        println!("{}", without_misses(&llm_report.text, frozen).replace("accuracy:", "llm accuracy:"));
        threshold_curve(&examples, &local, &llm, &latencies);
    }
    println!("\n== the model on {file}");
    print!("{}", without_misses(&report.text, frozen));
}
