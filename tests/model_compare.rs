//! `make compare-models`: the shipped linear model against a stronger local one, trained here on
//! the same corpus and scored on the same sets: a small neural classifier (one hidden layer over
//! the same hashed features, optionally beside the linear part: "wide and deep"). Chosen on the
//! validation and dev sets; the frozen splits are scored once each, accuracy only (their lines are
//! never shown). Prints latency per utterance (one core) and the parameters' memory.
//! Deterministic (fixed seeds).

#[path = "support/corpus.rs"]
mod corpus;

use corpus::{examples, examples_without_test_repeats, sample_scenarios, samples, FROZEN, TRAIN, VALIDATION};
use res_minibot::domain::{Intent, StepKind};
use res_minibot::nlp::model::{features, softmax, IntentModel, Sample, TrainOptions};
use std::time::Instant;

const CLASSES: usize = Intent::ALL.len();

/// One hidden layer over the hashed features: h = relu(sum of the features' rows / sqrt(n) + b1),
/// scores = W2 h + b2 (+ the linear part's rows when `wide`).
struct Mlp {
    bits: u32,
    hidden: usize,
    wide: bool,
    embed: Vec<f32>,  // 2^bits x hidden
    b1: Vec<f32>,     // hidden
    w2: Vec<f32>,     // hidden x CLASSES
    b2: [f32; CLASSES],
    linear: Vec<f32>, // 2^bits x CLASSES (wide only)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn uniform(&mut self, scale: f32) -> f32 {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
    }
}

impl Mlp {
    fn new(bits: u32, hidden: usize, wide: bool, seed: u64) -> Mlp {
        let mut rng = Rng(seed | 1);
        let size = 1usize << bits;
        let embed = (0..size * hidden).map(|_| rng.uniform(0.1)).collect();
        let w2 = (0..hidden * CLASSES).map(|_| rng.uniform(1.0 / (hidden as f32).sqrt())).collect();
        let linear = if wide { vec![0.0; size * CLASSES] } else { Vec::new() };
        Mlp { bits, hidden, wide, embed, b1: vec![0.0; hidden], w2, b2: [0.0; CLASSES], linear }
    }

    fn forward(&self, feats: &[usize], h_pre: &mut [f32], h: &mut [f32]) -> [f32; CLASSES] {
        let scale = 1.0 / (feats.len().max(1) as f32).sqrt();
        h_pre.copy_from_slice(&self.b1);
        for &f in feats {
            for (a, e) in h_pre.iter_mut().zip(&self.embed[f * self.hidden..(f + 1) * self.hidden]) {
                *a += e * scale;
            }
        }
        for (o, a) in h.iter_mut().zip(h_pre.iter()) {
            *o = a.max(0.0);
        }
        let mut s = self.b2;
        for (j, hj) in h.iter().enumerate() {
            if *hj != 0.0 {
                for (c, sc) in s.iter_mut().enumerate() {
                    *sc += hj * self.w2[j * CLASSES + c];
                }
            }
        }
        if self.wide {
            for &f in feats {
                for (c, sc) in s.iter_mut().enumerate() {
                    *sc += self.linear[f * CLASSES + c];
                }
            }
        }
        s
    }

    fn train(&mut self, data: &[(Vec<usize>, usize)], epochs: usize, rate0: f32, seed: u64) {
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = Rng(seed | 1);
        let (mut h_pre, mut h) = (vec![0.0; self.hidden], vec![0.0; self.hidden]);
        let mut dh = vec![0.0f32; self.hidden];
        for epoch in 0..epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
            let rate = rate0 / (1.0 + epoch as f32 * 0.2);
            for &i in &order {
                let (feats, label) = &data[i];
                let mut p = self.forward(feats, &mut h_pre, &mut h);
                softmax(&mut p);
                p[*label] -= 1.0; // d loss / d scores
                for (j, d) in dh.iter_mut().enumerate() {
                    *d = if h_pre[j] > 0.0 { (0..CLASSES).map(|c| self.w2[j * CLASSES + c] * p[c]).sum() } else { 0.0 };
                }
                for j in 0..self.hidden {
                    if h[j] != 0.0 {
                        for c in 0..CLASSES {
                            self.w2[j * CLASSES + c] -= rate * p[c] * h[j];
                        }
                    }
                }
                for c in 0..CLASSES {
                    self.b2[c] -= rate * p[c];
                }
                for (b, d) in self.b1.iter_mut().zip(&dh) {
                    *b -= rate * d;
                }
                let scale = 1.0 / (feats.len().max(1) as f32).sqrt();
                for &f in feats {
                    for (e, d) in self.embed[f * self.hidden..(f + 1) * self.hidden].iter_mut().zip(&dh) {
                        *e -= rate * d * scale;
                    }
                    if self.wide {
                        for c in 0..CLASSES {
                            self.linear[f * CLASSES + c] -= rate * p[c];
                        }
                    }
                }
            }
        }
    }

    fn predict(&self, kind: StepKind, utterance: &str) -> Intent {
        let (mut h_pre, mut h) = (vec![0.0; self.hidden], vec![0.0; self.hidden]);
        let s = self.forward(&features(kind, utterance, self.bits), &mut h_pre, &mut h);
        let best = s.iter().enumerate().fold((0, f32::MIN), |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc }).0;
        Intent::ALL[best]
    }

    /// Bytes of the dense layers (the caller adds the rows the corpus's features reach).
    fn dense_memory(&self) -> usize {
        (self.hidden * (CLASSES + 1) + CLASSES) * 4
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
            .map(|s| (features(s.kind, &s.utterance, bits), vectors.sentence(&s.utterance), Intent::ALL.iter().position(|i| *i == s.intent).unwrap_or(0)))
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

    fn predict(&self, kind: StepKind, utterance: &str) -> Intent {
        let s = self.scores(&features(kind, utterance, self.bits), &self.vectors.sentence(utterance));
        Intent::ALL[s.iter().enumerate().fold((0, f32::MIN), |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc }).0]
    }
}

fn encode(samples: &[Sample], bits: u32) -> Vec<(Vec<usize>, usize)> {
    samples.iter().map(|s| (features(s.kind, &s.utterance, bits), Intent::ALL.iter().position(|i| *i == s.intent).unwrap_or(0))).collect()
}

fn accuracy(predict: &dyn Fn(StepKind, &str) -> Intent, samples: &[Sample]) -> (usize, usize, usize, usize) {
    let right = samples.iter().filter(|s| predict(s.kind, &s.utterance) == s.intent).count();
    let dnc = samples.iter().filter(|s| s.intent == Intent::DoNotCall).count();
    let dnc_found = samples.iter().filter(|s| s.intent == Intent::DoNotCall && predict(s.kind, &s.utterance) == Intent::DoNotCall).count();
    (right, samples.len(), dnc_found, dnc)
}

fn latency(predict: &dyn Fn(StepKind, &str) -> Intent, samples: &[Sample]) -> (f64, f64) {
    let mut t: Vec<f64> = samples
        .iter()
        .map(|s| {
            let started = Instant::now();
            std::hint::black_box(predict(s.kind, &s.utterance));
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[t.len() / 2], t[(t.len() * 99 / 100).min(t.len() - 1)])
}

type Predictor = Box<dyn Fn(StepKind, &str) -> Intent>;

/// Every candidate trained on `train`: (name, predictor, "training time, memory").
fn candidates(train: &[Sample], vectors: &'static Option<WordVectors>, only: Option<&str>) -> Vec<(String, Predictor, String)> {
    let mut rows: Vec<(String, Predictor, String)> = Vec::new();
    let started = Instant::now();
    let linear = IntentModel::train(train, &TrainOptions::default());
    let linear_time = started.elapsed().as_secs_f64();
    let linear_memory = linear.to_text().lines().filter(|l| l.as_bytes().first().is_some_and(u8::is_ascii_digit)).count() * (CLASSES + 1) * 4;
    rows.push(("linear (shipped)".into(), Box::new(move |k, u| linear.predict(k, u).intent), format!("{:.1} s, {:.1} MB", linear_time, linear_memory as f64 / 1e6)));

    let configs: &[(u32, usize, bool, usize, f32)] = &[(18, 32, false, 20, 0.1), (18, 64, false, 20, 0.1), (18, 32, true, 20, 0.05), (18, 64, true, 30, 0.05)];
    for &(bits, hidden, wide, epochs, rate) in configs {
        let name = format!("mlp bits {bits} hidden {hidden}{} epochs {epochs} rate {rate}", if wide { " + linear" } else { "" });
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let started = Instant::now();
        let mut mlp = Mlp::new(bits, hidden, wide, 20261204);
        mlp.train(&encode(train, bits), epochs, rate, 20261126);
        let took = started.elapsed().as_secs_f64();
        // The rows a module would keep: those the corpus's features reach.
        let mut reached = std::collections::HashSet::new();
        for s in train {
            reached.extend(features(s.kind, &s.utterance, bits));
        }
        let memory = reached.len() * (hidden + if wide { CLASSES } else { 0 } + 1) * 4 + mlp.dense_memory();
        rows.push((name, Box::new(move |k, u| mlp.predict(k, u)), format!("{took:.1} s, {:.1} MB", memory as f64 / 1e6)));
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
            rows.push((name.to_string(), Box::new(move |k, u| model.predict(k, u)), format!("{took:.1} s, {:.1} MB", memory as f64 / 1e6)));
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
    let only = std::env::args().nth(1);
    println!("train {} / validation {} / dev {} utterances", train.len(), val.len(), dev.len());
    // French word vectors, when fetched (`make compare-models` fetches them).
    let cache = std::env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into());
    let vectors: &'static Option<WordVectors> = Box::leak(Box::new(WordVectors::load(&format!("{cache}/vectors/fr_core_news_md"))));
    if vectors.is_none() {
        println!("(no word vectors: run tests/sandbox/fetch-word-vectors.sh)");
    }

    // Selection without the frozen splits: each other author's lines held out in turn (trained on
    // the generated corpus and the other author), a new voice as the frozen splits are.
    let authors: Vec<&str> = TRAIN.iter().copied().filter(|f| f.contains("authors-")).collect();
    let mut cross: Vec<Vec<(usize, usize)>> = Vec::new(); // per candidate: (right, all) per held-out author
    for held in &authors {
        let rest: Vec<&str> = TRAIN.iter().copied().filter(|f| f != held).collect();
        let held_out = read(&[held]);
        for (i, (_, predict, _)) in candidates(&read(&rest), vectors, only.as_deref()).iter().enumerate() {
            let (right, all, _, _) = accuracy(predict.as_ref(), &held_out);
            if cross.len() <= i {
                cross.push(Vec::new());
            }
            cross[i].push((right, all));
        }
    }

    let rows = candidates(&train, vectors, only.as_deref());
    let dnc_sets: Vec<(&str, Vec<Sample>)> = vec![("validation", val.clone()), ("dev sets", dev.clone())];
    let linear_for_floor = IntentModel::train(&train, &TrainOptions::default());

    let frozen: Vec<(String, Vec<Sample>)> = FROZEN.iter().map(|f| (f.rsplit('/').next().unwrap().to_string(), samples(&scenarios, &examples(f)))).collect();
    let held_names = authors.iter().map(|a| format!("{} held out", a.rsplit('/').next().unwrap_or(a))).collect::<Vec<_>>().join(" | ");
    println!("\n| model | validation | dev sets | {held_names} | {} | latency median / p99 (us) | training, memory |", frozen.iter().map(|(n, _)| format!("{n} (dnc recall)")).collect::<Vec<_>>().join(" | "));
    println!("| --- | --- | --- |{} --- | --- |", " --- |".repeat(frozen.len() + authors.len()));
    for (index, (name, predict, cost)) in rows.iter().enumerate() {
        let shown = |(right, all, _, _): (usize, usize, usize, usize)| format!("{:.3}", right as f64 / all.max(1) as f64);
        let mut line = format!("| {name} | {} | {} |", shown(accuracy(predict.as_ref(), &val)), shown(accuracy(predict.as_ref(), &dev)));
        for (right, all) in cross.get(index).into_iter().flatten() {
            line += &format!(" {:.3} ({right}/{all}) |", *right as f64 / (*all).max(1) as f64);
        }
        for (_, set) in &frozen {
            let (right, all, found, dnc) = accuracy(predict.as_ref(), set);
            line += &format!(" {:.3} ({found}/{dnc}) |", right as f64 / all.max(1) as f64);
        }
        let (median, p99) = latency(predict.as_ref(), &dev);
        line += &format!(" {median:.0} / {p99:.0} | {cost} |");
        println!("{line}");
    }

    // Opt-outs first: the shipped model says do_not_call whenever its probability reaches a floor
    // below the most likely intent's (classifier::OPT_OUT_FLOOR: the lowest floor keeping the
    // validation split's precision at 0.98). The frozen splits' figures are shown for the record.
    println!("\n| do_not_call floor | {} |", dnc_sets.iter().map(|(n, _)| format!("{n} recall / precision")).chain(frozen.iter().map(|(n, _)| format!("{n} recall / precision"))).collect::<Vec<_>>().join(" | "));
    println!("| --- |{}", " --- |".repeat(dnc_sets.len() + frozen.len()));
    for floor in [1.01f32, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05] {
        let said = |s: &Sample| {
            let p = linear_for_floor.predict(s.kind, &s.utterance);
            p.do_not_call >= floor || p.intent == Intent::DoNotCall
        };
        let cell = |set: &[Sample]| {
            let real = set.iter().filter(|s| s.intent == Intent::DoNotCall).count();
            let found = set.iter().filter(|s| s.intent == Intent::DoNotCall && said(s)).count();
            let claimed = set.iter().filter(|s| said(s)).count();
            format!("{:.3} / {:.3} ({found}/{real}, {claimed} said)", found as f64 / real.max(1) as f64, if claimed == 0 { 1.0 } else { found as f64 / claimed as f64 })
        };
        let name = if floor > 1.0 { "none (most likely intent)".to_string() } else { format!("{floor:.2}") };
        println!("| {name} | {} |", dnc_sets.iter().map(|(_, s)| cell(s)).chain(frozen.iter().map(|(_, s)| cell(s))).collect::<Vec<_>>().join(" | "));
    }
}
