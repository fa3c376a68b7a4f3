//! `make train`: trains the intent model (src/nlp/model.rs) on the corpus's train split,
//! calibrates its confidence on the validation split and the hand-written dev sets, and writes the versioned
//! model file the module loads (target/models/intents.model unless given). Deterministic. The
//! frozen test split (tests/data/corpus/test.tsv) is never read here.

#[path = "support/corpus.rs"]
mod corpus;

use corpus::{examples_without_test_repeats, fail, inputs_hash, sample_scenarios, samples, ROOT, TRAIN, VALIDATION};
use res_minibot::nlp::model::{IntentModel, Sample, TrainOptions};
use std::path::Path;

fn accuracy(model: &IntentModel, samples: &[Sample]) -> f64 {
    samples.iter().filter(|s| model.predict(s.asked(), &s.utterance).intent == s.intent).count() as f64 / samples.len().max(1) as f64
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| format!("{ROOT}/{}", corpus::MODEL));
    let scenarios = sample_scenarios();
    let train: Vec<Sample> = TRAIN.iter().flat_map(|f| samples(&scenarios, &examples_without_test_repeats(f))).collect();
    let validation: Vec<Sample> = VALIDATION.iter().flat_map(|f| samples(&scenarios, &examples_without_test_repeats(f))).collect();
    let started = std::time::Instant::now();
    let mut model = IntentModel::train(&train, &TrainOptions::default());
    let trained_in = started.elapsed();
    let (nll_before, nll_after) = model.calibrate(&validation);
    let inputs: Vec<&str> = TRAIN.iter().chain(VALIDATION).copied().chain(["asterisk-conf/minibot_scenarios.conf"]).collect();
    model.provenance = format!("{} training + {} validation utterances; inputs {}", train.len(), validation.len(), inputs_hash(&inputs));
    println!(
        "trained on {} utterances in {:.2} s; validation ({}): accuracy {:.3}",
        train.len(),
        trained_in.as_secs_f64(),
        validation.len(),
        accuracy(&model, &validation)
    );
    println!("calibration: temperature {:.2}, validation log-loss {nll_before:.3} -> {nll_after:.3}", model.temperature);
    println!("model: {}, {:.1} MB in memory", model.kind(), model.memory() as f64 / 1e6);
    if let Some(dir) = Path::new(&out).parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
    }
    // Written aside then renamed: a module loading at that moment never reads half a file.
    let tmp = format!("{out}.tmp{}", std::process::id());
    let text = model.to_text();
    // Read back as the module will: a file it would refuse is never written.
    match IntentModel::from_text(&text) {
        Ok(back) if back == model => {}
        Ok(_) => fail("the model read back differs from the model trained".to_string()),
        Err(e) => fail(format!("the module would refuse this model: {e}")),
    }
    std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &out)).unwrap_or_else(|e| fail(format!("{out}: {e}")));
    println!("model written to {out}");
}
