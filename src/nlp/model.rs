//! The learned intent model over hashed features of the normalized utterance (words, word pairs
//! and triples, skip pairs, character n-grams inside words, the first word and the first two, the
//! last word and the last two, the words just after a negation, and words crossed with the step's
//! kind, since "rappelez-moi" accepts an offer but asks for a call elsewhere, and which of the
//! campaign's entities the turn names, its step's or another step's): either a multinomial
//! logistic regression (format 5) or a network with one hidden layer over the same features
//! (format 6, shipped since `make compare-models` put it ahead on the cross-author folds;
//! three of them averaged are one wider network). Trained by `make
//! train` from the corpus (tests/data/corpus), its confidence calibrated on the validation split by
//! a temperature, saved in a versioned text file that the module loads at start. Scoring an
//! utterance touches a few hundred rows: microseconds.

use super::normalize::tokens;
use crate::domain::{Intent, StepKind};
use std::fmt::Write as _;

/// The file's first line: the linear model's, and the network's; any other is refused at load.
/// 5 and 6 since the entities a turn names became an input (session 18; 3 and 4 since session 16):
/// a file of an older format was trained on other features and would load but score wrongly, so
/// it is refused with a word on what to do.
pub const FORMAT: &str = "minibot-intent-model 5";
pub const FORMAT_NETWORK: &str = "minibot-intent-model 6";
const FORMATS_OF_OLD_FEATURES: [&str; 4] = ["minibot-intent-model 1", "minibot-intent-model 2", "minibot-intent-model 3", "minibot-intent-model 4"];
/// Bounds a file must respect: a bigger feature space than training ever uses, a weight or a
/// temperature that would overflow a score to infinity, are a damaged or foreign file.
const MAX_BITS: u32 = 20;
const MAX_HIDDEN: usize = 256;
const MAX_WEIGHT: f32 = 1e4;
const TEMPERATURES: std::ops::RangeInclusive<f32> = 0.05..=20.0;
const CLASSES: usize = Intent::ALL.len();

/// One labelled utterance for training.
#[derive(Debug, Clone)]
pub struct Sample {
    pub kind: StepKind,
    pub mentions: Mentions,
    pub utterance: String,
    pub intent: Intent,
}

impl Sample {
    /// What the turn was heard against.
    pub fn asked(&self) -> Asked {
        Asked { kind: self.kind, mentions: self.mentions }
    }
}

/// Which of its campaign's entities or topics a turn names (classifier::mentions): the step's
/// own, or another step's ("oui j'ai un livret A" when asked about inflation answers another
/// question; "l'inflation m'inquiète" when asked about savings, too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mentions {
    /// The step asks for entities of its own (which savings, which heating) rather than yes or no.
    pub step_has_entities: bool,
    pub own: bool,
    pub other_step: bool,
}

/// What the model hears a turn against: the step's kind and what the turn names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub kind: StepKind,
    pub mentions: Mentions,
}

impl From<StepKind> for Asked {
    /// A turn heard with no entity named: the opt-out's second hearing (`opt_out_probability`),
    /// and the model's tests.
    fn from(kind: StepKind) -> Asked {
        Asked { kind, mentions: Mentions::default() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// log2 of the hashed feature space.
    pub bits: u32,
    /// Units of the hidden layer; 0 trains the linear model.
    pub hidden: usize,
    pub epochs: usize,
    pub learning_rate: f32,
    /// L2 penalty (the linear model's; the network stops early instead: few epochs).
    pub l2: f32,
    pub seed: u64,
    /// Networks trained from different seeds whose scores are averaged (1: one network).
    pub members: usize,
}

impl TrainOptions {
    /// Chosen by training on the generated train split alone and scoring the hand-written dev
    /// sets (tests/data/intents-dev*.tsv): 184/187 (30 epochs at 0.3: 180; 2^16 buckets: 179).
    pub fn linear() -> TrainOptions {
        TrainOptions { bits: 18, hidden: 0, epochs: 50, learning_rate: 0.1, l2: 1e-6, seed: 20261126, members: 1 }
    }

    /// The network of `make compare-models` (its hidden units, epochs and rate chosen there on the
    /// validation split and the cross-author folds, never on the frozen splits).
    pub fn network(hidden: usize) -> TrainOptions {
        TrainOptions { bits: 18, hidden, epochs: 20, learning_rate: 0.1, l2: 0.0, seed: 20261126, members: 1 }
    }

    /// The options of member `m` of an average: its own seed (member 0 is these options' network).
    fn member(&self, m: usize) -> TrainOptions {
        TrainOptions { seed: self.seed.wrapping_add(m as u64 * 0x9e37_79b9), members: 1, ..self.clone() }
    }
}

impl Default for TrainOptions {
    /// What `make train` ships: of the models `make compare-models` trains, the one with the best
    /// mean on the cross-author folds and the most opt-outs found there, memory breaking a tie
    /// (thirty-six authors: three 32-unit networks averaged, 0.9684 and 3,053 of 3,073 opt-outs
    /// found, against 0.9667 and 3,050 for one; five: 0.9682 and 3,052 at 20 MB instead of 12).
    fn default() -> Self {
        TrainOptions { members: 3, ..TrainOptions::network(32) }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntentModel {
    bits: u32,
    weights: Weights,
    /// Softmax temperature fitted on the validation split (1.0 before calibration).
    pub temperature: f32,
    /// What the model was trained on, for `minibot show status` and the eval's header.
    pub provenance: String,
    /// A few training utterances per kind of step and intent, shown to the LLM as examples.
    pub examples: Vec<(StepKind, Intent, String)>,
}

/// The model's answer: the most likely intent and its calibrated probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    pub intent: Intent,
    pub confidence: f32,
    /// The probability of do_not_call that policy weighs apart (classifier::OPT_OUT_FLOOR): the
    /// larger of the turn heard with and without the entities it names (`opt_out_probability`).
    pub do_not_call: f32,
}

/// FNV-1a's starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over more bytes (the features' hash; also names a model's training inputs).
pub fn fnv1a_update(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= *byte as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The parts of a feature, separated by a byte no token holds.
fn fnv1a(parts: &[&str]) -> u64 {
    parts.iter().enumerate().fold(FNV_OFFSET, |hash, (i, part)| {
        let hash = if i > 0 { fnv1a_update(hash, &[0x1f]) } else { hash };
        fnv1a_update(hash, part.as_bytes())
    })
}

/// The hashed features of an utterance at a step (duplicates kept: counts matter).
pub fn features(asked: impl Into<Asked>, utterance: &str, bits: u32) -> Vec<usize> {
    features_of_tokens(asked.into(), &tokens(utterance), bits)
}

/// The same from the utterance's normalized tokens (the classifier has them already).
fn features_of_tokens(asked: Asked, toks: &[String], bits: u32) -> Vec<usize> {
    let mask = (1u64 << bits) - 1;
    let mut out = Vec::with_capacity(toks.len() * 12 + 5);
    let mut push = |parts: &[&str]| out.push((fnv1a(parts) & mask) as usize);
    let kind = asked.kind;
    push(&["bias"]);
    push(&["kind", kind.as_str()]);
    // The kind says "a question", not which: what the turn names of the campaign's entities tells
    // an answer to this step from one to another (fifty-seven folds: 0.9644 -> 0.9673).
    let Mentions { step_has_entities, own, other_step } = asked.mentions;
    if own || other_step {
        let bit = |b: bool| if b { "1" } else { "0" };
        push(&["mentions", kind.as_str(), bit(step_has_entities), bit(own), bit(other_step)]);
    }
    match toks.first() {
        Some(first) => push(&["first", first]),
        None => push(&["empty"]),
    }
    if toks.len() <= 2 {
        push(&["short", &toks.join(" ")]);
    }
    if let Some(last) = toks.last() {
        push(&["last", kind.as_str(), last]);
    }
    if let [.., before, last] = toks {
        push(&["lb", before, last]);
    }
    if let [first, second, ..] = toks {
        push(&["fb", kind.as_str(), first, second]);
    }
    let mut negated = 0;
    for (i, tok) in toks.iter().enumerate() {
        if negated > 0 {
            push(&["neg", tok]);
            negated -= 1;
        }
        if matches!(tok.as_str(), "pas" | "plus" | "jamais" | "rien" | "non" | "aucun" | "aucune") {
            negated = 3;
        }
        push(&["w", tok]);
        push(&["kw", kind.as_str(), tok]);
        if let Some(next) = toks.get(i + 1) {
            push(&["b", tok, next]);
            if let Some(third) = toks.get(i + 2) {
                push(&["t", tok, next, third]);
                push(&["s", tok, third]);
            }
        }
        let chars: Vec<char> = format!("<{tok}>").chars().collect();
        for n in 3..=5 {
            for window in chars.windows(n) {
                let gram: String = window.iter().collect();
                push(&["c", &gram]);
            }
        }
    }
    out
}

/// Scores to probabilities, in place (shifted by the maximum: no overflow).
pub fn softmax(scores: &mut [f32; CLASSES]) {
    let max = scores.iter().cloned().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// A deterministic shuffle (xorshift), so that `make train` always writes the same model.
fn shuffle<T>(items: &mut [T], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        items.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

/// The feature rows that are not all zero, sorted by feature: about 16,000 of the 2^18 hashed
/// features, 0.5 MB where the dense table took 7.3 MB. Besides the footprint, a load no longer
/// allocates (and an unload frees) one 7 MB block, which glibc kept in the arena of whichever
/// Asterisk thread ran the command: each unload/load cycle then held 7 MB more.
#[derive(Debug, Clone, PartialEq, Default)]
struct Rows {
    features: Vec<u32>,
    weights: Vec<[f32; CLASSES]>,
}

impl Rows {
    /// From a dense row-major table (`dense[feature * CLASSES + class]`), as training builds it.
    fn from_dense(dense: &[f32]) -> Rows {
        let mut rows = Rows::default();
        for (feature, row) in dense.chunks(CLASSES).enumerate() {
            if row.iter().any(|w| *w != 0.0) {
                let mut weights = [0.0; CLASSES];
                weights.copy_from_slice(row);
                rows.features.push(feature as u32);
                rows.weights.push(weights);
            }
        }
        rows
    }

    /// Rows come sorted and unique from `to_text`; a file edited by hand may repeat one or break
    /// the order: the last line of a feature counts (even all zeros), then rows of zeros are left
    /// out. Ends with the capacity trimmed, as the rows are kept for the model's life.
    fn settle(&mut self) {
        if let Some(order) = settled_order(&self.features) {
            self.weights = order.iter().map(|&i| self.weights[i]).collect();
            self.features = order.iter().map(|&i| self.features[i]).collect();
        }
        let mut keep = self.weights.iter().map(|w| w.iter().any(|w| *w != 0.0));
        self.features.retain(|_| keep.next().unwrap_or(true));
        self.weights.retain(|w| w.iter().any(|w| *w != 0.0));
        self.features.shrink_to_fit();
        self.weights.shrink_to_fit();
    }

    fn get(&self, feature: usize) -> Option<&[f32; CLASSES]> {
        let i = self.features.binary_search(&(feature as u32)).ok()?;
        Some(&self.weights[i])
    }

    fn iter(&self) -> impl Iterator<Item = (usize, &[f32; CLASSES])> {
        self.features.iter().map(|f| *f as usize).zip(self.weights.iter())
    }
}

/// The summed rows of `features` in a dense table (training's working form).
fn dense_scores(dense: &[f32], features: &[usize]) -> [f32; CLASSES] {
    let mut scores = [0.0f32; CLASSES];
    for &f in features {
        for (s, w) in scores.iter_mut().zip(&dense[f * CLASSES..(f + 1) * CLASSES]) {
            *s += w;
        }
    }
    scores
}

/// The order in which to keep rows read from a file: sorted by feature, of a repeated feature the
/// last line (a file edited by hand). None when they are sorted and unique already, as written.
fn settled_order(features: &[u32]) -> Option<Vec<usize>> {
    if features.windows(2).all(|w| w[0] < w[1]) {
        return None;
    }
    let mut order: Vec<usize> = (0..features.len()).rev().collect();
    order.sort_by_key(|&i| features[i]); // stable: of equal features, the last line first
    order.dedup_by_key(|i| features[*i]);
    Some(order)
}

/// One hidden layer over the hashed features: h = relu(b1 + (sum of the features' rows) / sqrt(n)),
/// scores = b2 + h W2. Only the rows training reached are kept (a feature never seen adds nothing),
/// each as 8-bit integers times the row's scale (a rounding of at most 1/254 of the row's largest
/// weight): a quarter of the memory of 32-bit rows. What `make compare-models` scores is this
/// rounded model, as shipped.
#[derive(Debug, Clone, PartialEq, Default)]
struct Network {
    hidden: usize,
    features: Vec<u32>,
    scales: Vec<f32>,
    rows: Vec<i8>, // features.len() x hidden
    b1: Vec<f32>,
    w2: Vec<f32>, // hidden x CLASSES
    b2: [f32; CLASSES],
}

impl Network {
    fn scores(&self, features: &[usize]) -> [f32; CLASSES] {
        let norm = 1.0 / (features.len().max(1) as f32).sqrt();
        // On the stack: scoring runs on the intent workers for every turn, and allocates nothing.
        let mut hidden = [0.0f32; MAX_HIDDEN];
        let h = &mut hidden[..self.hidden];
        h.copy_from_slice(&self.b1);
        for &f in features {
            if let Ok(i) = self.features.binary_search(&(f as u32)) {
                let scale = self.scales[i] * norm;
                for (a, q) in h.iter_mut().zip(&self.rows[i * self.hidden..(i + 1) * self.hidden]) {
                    *a += *q as f32 * scale;
                }
            }
        }
        output(h, &self.w2, self.b2)
    }

    /// `options.members` networks from different seeds, as one: averaging their scores is a
    /// network with all their hidden units side by side and each output layer divided by their
    /// number (the units of one never feed another's), so the file and the scoring are the same;
    /// the mean up to the 8-bit rounding (each joined row is rounded again with one scale).
    fn train_members(encoded: &[(Vec<usize>, usize)], options: &TrainOptions) -> Network {
        let members = options.members.clamp(1, (MAX_HIDDEN / options.hidden.max(1)).max(1));
        if members == 1 {
            return Network::train(encoded, options);
        }
        let nets: Vec<Network> = (0..members).map(|m| Network::train(encoded, &options.member(m))).collect();
        let hidden: usize = nets.iter().map(|n| n.hidden).sum();
        let share = 1.0 / members as f32;
        let mut joined = Network { hidden, ..Network::default() };
        joined.b1 = nets.iter().flat_map(|n| n.b1.iter().copied()).collect();
        joined.w2 = nets.iter().flat_map(|n| n.w2.iter().map(|w| w * share)).collect();
        for n in &nets {
            joined.b2.iter_mut().zip(&n.b2).for_each(|(b, x)| *b += x * share);
        }
        // The rows training reached, joined feature by feature (the members reached the same
        // features; one whose row was all zeros, so left out, adds zeros).
        let mut features: Vec<u32> = nets.iter().flat_map(|n| n.features.iter().copied()).collect();
        features.sort_unstable();
        features.dedup();
        let mut row = vec![0.0f32; hidden];
        for feature in features {
            let mut at = 0;
            for n in &nets {
                let slots = &mut row[at..at + n.hidden];
                match n.features.binary_search(&feature) {
                    Ok(i) => slots.iter_mut().zip(&n.rows[i * n.hidden..(i + 1) * n.hidden]).for_each(|(slot, q)| *slot = *q as f32 * n.scales[i]),
                    Err(_) => slots.fill(0.0),
                }
                at += n.hidden;
            }
            joined.push_row(feature, &row);
        }
        joined
    }

    /// Trains by stochastic gradient descent on the cross-entropy, from small random rows (a
    /// network started at zero never moves: no unit is ever active).
    fn train(encoded: &[(Vec<usize>, usize)], options: &TrainOptions) -> Network {
        let hidden = options.hidden.min(MAX_HIDDEN); // what a file may hold, and `scores` sizes for
        let size = 1usize << options.bits;
        let mut seed = options.seed.rotate_left(32) | 1;
        let mut uniform = |scale: f32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ((seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32 * scale
        };
        let mut embed: Vec<f32> = (0..size * hidden).map(|_| uniform(0.1)).collect();
        let mut w2: Vec<f32> = (0..hidden * CLASSES).map(|_| uniform(1.0 / (hidden as f32).sqrt())).collect();
        let (mut b1, mut b2) = (vec![0.0f32; hidden], [0.0f32; CLASSES]);
        let (mut h_pre, mut dh) = (vec![0.0f32; hidden], vec![0.0f32; hidden]);
        sgd(encoded, options, |features, label, rate| {
            let norm = 1.0 / (features.len().max(1) as f32).sqrt();
            h_pre.copy_from_slice(&b1);
            for &f in features {
                for (a, e) in h_pre.iter_mut().zip(&embed[f * hidden..(f + 1) * hidden]) {
                    *a += e * norm;
                }
            }
            let mut p = output(&h_pre, &w2, b2);
            softmax(&mut p);
            p[label] -= 1.0; // the loss's gradient on the scores
            for (j, d) in dh.iter_mut().enumerate() {
                *d = if h_pre[j] > 0.0 { w2[j * CLASSES..(j + 1) * CLASSES].iter().zip(&p).map(|(w, g)| w * g).sum() } else { 0.0 };
            }
            for (j, a) in h_pre.iter().enumerate().filter(|(_, a)| **a > 0.0) {
                for (w, g) in w2[j * CLASSES..(j + 1) * CLASSES].iter_mut().zip(&p) {
                    *w -= rate * g * a;
                }
            }
            for (b, g) in b2.iter_mut().zip(&p) {
                *b -= rate * g;
            }
            for (b, d) in b1.iter_mut().zip(&dh) {
                *b -= rate * d;
            }
            for &f in features {
                for (e, d) in embed[f * hidden..(f + 1) * hidden].iter_mut().zip(&dh) {
                    *e -= rate * d * norm;
                }
            }
        });
        let mut reached: Vec<u32> = encoded.iter().flat_map(|(features, _)| features.iter().map(|f| *f as u32)).collect();
        reached.sort_unstable();
        reached.dedup();
        let mut network = Network { hidden, b1, w2, b2, ..Network::default() };
        for f in reached {
            network.push_row(f, &embed[f as usize * hidden..(f as usize + 1) * hidden]);
        }
        network
    }

    /// Keeps a row as its scale (the largest weight / 127) and 8-bit integers; a row of zeros is left out.
    fn push_row(&mut self, feature: u32, row: &[f32]) {
        let largest = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        if largest == 0.0 {
            return;
        }
        let scale = largest / 127.0;
        self.features.push(feature);
        self.scales.push(scale);
        self.rows.extend(row.iter().map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8));
    }

    /// Rows read from a file: sorted, the last line of a feature counting, capacity trimmed.
    fn settle(&mut self) {
        if let Some(order) = settled_order(&self.features) {
            let hidden = self.hidden;
            let rows = order.iter().flat_map(|&i| self.rows[i * hidden..(i + 1) * hidden].iter().copied()).collect();
            self.scales = order.iter().map(|&i| self.scales[i]).collect();
            self.features = order.iter().map(|&i| self.features[i]).collect();
            self.rows = rows;
        }
        self.features.shrink_to_fit();
        self.scales.shrink_to_fit();
        self.rows.shrink_to_fit();
    }
}

/// The network's scores from its hidden layer before the ReLU: b2 + relu(h) W2 (training and
/// scoring share it, so they cannot drift apart).
fn output(h: &[f32], w2: &[f32], b2: [f32; CLASSES]) -> [f32; CLASSES] {
    let mut scores = b2;
    for (j, a) in h.iter().enumerate().filter(|(_, a)| **a > 0.0) {
        for (s, w) in scores.iter_mut().zip(&w2[j * CLASSES..(j + 1) * CLASSES]) {
            *s += a * w;
        }
    }
    scores
}

/// The model's parameters: a linear table or a network over the same features.
#[derive(Debug, Clone, PartialEq)]
enum Weights {
    Linear(Rows),
    Network(Network),
}

impl IntentModel {
    fn scores(&self, features: &[usize]) -> [f32; CLASSES] {
        match &self.weights {
            Weights::Linear(rows) => {
                let mut scores = [0.0f32; CLASSES];
                for row in features.iter().filter_map(|&f| rows.get(f)) {
                    for (s, w) in scores.iter_mut().zip(row) {
                        *s += w;
                    }
                }
                scores
            }
            Weights::Network(network) => network.scores(features),
        }
    }

    /// "linear" or "network of N units", for the eval's header.
    pub fn kind(&self) -> String {
        match &self.weights {
            Weights::Linear(rows) => format!("linear, {} rows", rows.features.len()),
            Weights::Network(n) => format!("network of {} hidden units, {} rows", n.hidden, n.features.len()),
        }
    }

    /// Bytes the parameters take in memory.
    pub fn memory(&self) -> usize {
        match &self.weights {
            Weights::Linear(rows) => rows.features.len() * (4 + CLASSES * 4),
            Weights::Network(n) => n.features.len() * (4 + 4 + n.hidden) + (n.b1.len() + n.w2.len() + CLASSES) * 4,
        }
    }

    /// Calibrated probabilities of every intent, in `Intent::ALL` order.
    pub fn probabilities(&self, asked: impl Into<Asked>, utterance: &str) -> [f32; CLASSES] {
        self.probabilities_of_tokens(asked.into(), &tokens(utterance))
    }

    fn probabilities_of_tokens(&self, asked: Asked, toks: &[String]) -> [f32; CLASSES] {
        let mut scores = self.scores(&features_of_tokens(asked, toks, self.bits));
        for s in scores.iter_mut() {
            *s /= self.temperature;
        }
        softmax(&mut scores);
        scores
    }

    pub fn predict(&self, asked: impl Into<Asked>, utterance: &str) -> Prediction {
        self.predict_tokens(asked.into(), &tokens(utterance))
    }

    /// `predict` on an utterance already normalized into tokens.
    pub fn predict_tokens(&self, asked: Asked, toks: &[String]) -> Prediction {
        let p = self.probabilities_of_tokens(asked, toks);
        let (best, confidence) = p.iter().enumerate().fold((0, f32::MIN), |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc });
        Prediction { intent: Intent::ALL[best], confidence, do_not_call: self.opt_out_probability(asked, toks, &p) }
    }

    /// The probability of do_not_call that policy weighs: the larger of the turn heard with and
    /// without the entities it names. Naming one is evidence of an answer, never against an
    /// opt-out ("un livret A et puis foutez-moi la paix avec vos coups de fil").
    fn opt_out_probability(&self, asked: Asked, toks: &[String], p: &[f32; CLASSES]) -> f32 {
        let dnc = Intent::ALL.iter().position(|i| *i == Intent::DoNotCall).unwrap_or(0);
        let named = asked.mentions.own || asked.mentions.other_step;
        if named { p[dnc].max(self.probabilities_of_tokens(asked.kind.into(), toks)[dnc]) } else { p[dnc] }
    }

    /// Trains on `samples`: the linear model (`options.hidden` 0) by stochastic gradient descent on
    /// the cross-entropy with a small L2, or the network.
    pub fn train(samples: &[Sample], options: &TrainOptions) -> IntentModel {
        let encoded: Vec<(Vec<usize>, usize)> = samples
            .iter()
            .map(|s| (features(s.asked(), &s.utterance, options.bits), Intent::ALL.iter().position(|i| *i == s.intent).unwrap_or(0)))
            .collect();
        let weights = if options.hidden > 0 { Weights::Network(Network::train_members(&encoded, options)) } else { Weights::Linear(train_linear(&encoded, options)) };
        IntentModel { bits: options.bits, weights, temperature: 1.0, provenance: String::new(), examples: pick_examples(samples) }
    }

    /// The examples for a step of `kind`: one per intent at most.
    pub fn examples_for(&self, kind: StepKind) -> Vec<(Intent, &str)> {
        self.examples.iter().filter(|(k, _, _)| *k == kind).map(|(_, i, u)| (*i, u.as_str())).collect()
    }

    /// Fits the softmax temperature that minimizes the validation split's negative log-likelihood,
    /// so that a confidence of 0.8 is right about 80 % of the time. Returns the NLL before and after.
    pub fn calibrate(&mut self, validation: &[Sample]) -> (f64, f64) {
        let nll = |model: &IntentModel| -> f64 {
            validation
                .iter()
                .map(|s| {
                    let p = model.probabilities(s.asked(), &s.utterance);
                    let i = Intent::ALL.iter().position(|x| *x == s.intent).unwrap_or(0);
                    -(p[i].max(1e-9) as f64).ln()
                })
                .sum::<f64>()
                / validation.len().max(1) as f64
        };
        self.temperature = 1.0;
        let before = nll(self);
        let mut best = (before, 1.0f32);
        for step in 1..=120 {
            let t = 0.05 + step as f32 * 0.05; // 0.1 .. 6.05
            self.temperature = t;
            let value = nll(self);
            if value < best.0 {
                best = (value, t);
            }
        }
        self.temperature = best.1;
        (before, best.0)
    }

    /// The versioned text form: header lines, the examples (`example <kind> <intent> <words>`),
    /// then the parameters. Linear (format 1): one line per feature row that is not all zero.
    /// Network (format 2, a `hidden` line after `bits`): the dense layers (`b1`, `w2`, `b2`), then a
    /// line per feature row: the feature, the row's scale, its 8-bit weights.
    pub fn to_text(&self) -> String {
        let (format, hidden) = match &self.weights {
            Weights::Linear(_) => (FORMAT, String::new()),
            Weights::Network(n) => (FORMAT_NETWORK, format!("hidden {}\nrows {}\n", n.hidden, n.features.len())),
        };
        let mut out = format!(
            "{format}\nbits {}\n{hidden}classes {}\nkinds {}\ntemperature {}\nprovenance {}\n",
            self.bits,
            Intent::ALL.map(|i| i.as_str()).join(" "),
            StepKind::ALL.map(|k| k.as_str()).join(" "),
            self.temperature,
            self.provenance.replace('\n', " ")
        );
        for (kind, intent, utterance) in &self.examples {
            let _ = writeln!(out, "example {} {} {}", kind.as_str(), intent.as_str(), utterance.replace('\n', " "));
        }
        let mut line = |head: &dyn std::fmt::Display, values: &mut dyn Iterator<Item = String>| {
            let _ = write!(out, "{head}");
            for v in values {
                out.push(' ');
                out.push_str(&v);
            }
            out.push('\n');
        };
        match &self.weights {
            Weights::Linear(rows) => {
                for (row, weights) in rows.iter() {
                    line(&row, &mut weights.iter().map(|w| format!("{w:e}")));
                }
            }
            Weights::Network(n) => {
                line(&"b1", &mut n.b1.iter().map(|w| format!("{w:e}")));
                line(&"w2", &mut n.w2.iter().map(|w| format!("{w:e}")));
                line(&"b2", &mut n.b2.iter().map(|w| format!("{w:e}")));
                for (i, feature) in n.features.iter().enumerate() {
                    let values = std::iter::once(format!("{:e}", n.scales[i])).chain(n.rows[i * n.hidden..(i + 1) * n.hidden].iter().map(|q| q.to_string()));
                    line(feature, &mut values.collect::<Vec<_>>().into_iter());
                }
            }
        }
        out
    }

    pub fn from_text(text: &str) -> Result<IntentModel, String> {
        IntentModel::read(text.as_bytes())
    }

    /// Reads the text form line by line: the module loads a model without holding its whole file
    /// (a few MB) in memory at once.
    pub fn read(reader: impl std::io::BufRead) -> Result<IntentModel, String> {
        let mut lines = reader.lines().enumerate().map(|(i, line)| line.map(|l| (i, l)).map_err(|e| format!("line {}: {e}", i + 1)));
        let mut header = |name: &str| -> Result<String, String> {
            let (i, line) = lines.next().ok_or_else(|| format!("ends before its '{name}' line"))??;
            if name == "format" {
                return if line == FORMAT || line == FORMAT_NETWORK {
                    Ok(line)
                } else if FORMATS_OF_OLD_FEATURES.contains(&line.as_str()) {
                    Err(format!("line 1 is '{line}': trained on an older set of features; train it again (`make train`)"))
                } else {
                    Err(format!("line 1 is '{line}', expected '{FORMAT}' or '{FORMAT_NETWORK}'"))
                };
            }
            line.strip_prefix(name).map(|v| v.trim().to_string()).ok_or_else(|| format!("line {}: expected '{name} ...'", i + 1))
        };
        let network = header("format")? == FORMAT_NETWORK;
        let bits: u32 = header("bits")?.parse().ok().filter(|b| (8..=MAX_BITS).contains(b)).ok_or(format!("bits must be 8 to {MAX_BITS}"))?;
        let (hidden, rows): (usize, usize) = if network {
            let hidden = header("hidden")?.parse().ok().filter(|h| (1..=MAX_HIDDEN).contains(h)).ok_or(format!("hidden must be 1 to {MAX_HIDDEN}"))?;
            let rows = header("rows")?.parse().ok().filter(|r| *r <= 1usize << bits).ok_or("rows must be at most 2^bits")?;
            (hidden, rows)
        } else {
            (0, 0)
        };
        let classes = header("classes")?;
        let expected = Intent::ALL.map(|i| i.as_str()).join(" ");
        if classes != expected {
            return Err(format!("classes '{classes}' are not this module's intents ({expected})"));
        }
        // The step kinds are hashed into the features: a model of other kinds would load and be wrong.
        let kinds = header("kinds")?;
        let expected = StepKind::ALL.map(|k| k.as_str()).join(" ");
        if kinds != expected {
            return Err(format!("kinds '{kinds}' are not this module's step kinds ({expected})"));
        }
        let temperature: f32 =
            header("temperature")?.parse().ok().filter(|t| TEMPERATURES.contains(t)).ok_or("the temperature must be from 0.05 to 20")?;
        let provenance = header("provenance")?;
        let size = 1usize << bits;
        // Straight into the columns the model keeps: a file in order (as `to_text` writes it)
        // never has another copy of the table at the peak.
        let mut linear = Rows::default();
        // Reserved at its size: no doubling then shrinking of a 5 MB block, whose copies glibc keeps
        // in the arena of the Asterisk thread that loaded it, one arena after another (the unload/load
        // test's RSS). A file with more rows than it says still loads.
        let mut net = Network { hidden, ..Network::default() };
        net.features.reserve_exact(rows);
        net.scales.reserve_exact(rows);
        net.rows.reserve_exact(rows * hidden);
        let mut layers = [false; 3];
        let mut examples = Vec::new();
        for line in lines {
            let (i, line) = line?;
            if let Some(rest) = line.strip_prefix("example ") {
                let mut fields = rest.splitn(3, ' ');
                let kind = fields.next().and_then(StepKind::parse);
                let intent = fields.next().and_then(Intent::parse);
                match (kind, intent, fields.next()) {
                    (Some(kind), Some(intent), Some(words)) => examples.push((kind, intent, words.to_string())),
                    _ => return Err(format!("line {}: bad example", i + 1)),
                }
                continue;
            }
            let mut fields = line.split_ascii_whitespace();
            let head = fields.next().unwrap_or_default();
            let mut weight = || -> Result<f32, String> {
                fields.next().and_then(|w| w.parse().ok()).filter(|w: &f32| w.abs() <= MAX_WEIGHT).ok_or_else(|| format!("line {}: bad weight", i + 1))
            };
            if network && ["b1", "w2", "b2"].contains(&head) {
                let count = if head == "b2" { CLASSES } else if head == "b1" { hidden } else { hidden * CLASSES };
                let values = (0..count).map(|_| weight()).collect::<Result<Vec<f32>, String>>()?;
                if weight().is_ok() {
                    return Err(format!("line {}: {head} has more than {count} weights", i + 1));
                }
                match head {
                    "b1" => (net.b1, layers[0]) = (values, true),
                    "w2" => (net.w2, layers[1]) = (values, true),
                    _ => {
                        net.b2.copy_from_slice(&values);
                        layers[2] = true;
                    }
                }
                continue;
            }
            let row: u32 = head.parse().ok().filter(|r| (*r as usize) < size).ok_or_else(|| format!("line {}: bad row", i + 1))?;
            if network {
                // A row's weights stay within MAX_WEIGHT, as the linear model's do.
                let scale = weight().ok().filter(|s| *s > 0.0 && *s * 127.0 <= MAX_WEIGHT).ok_or_else(|| format!("line {}: bad scale", i + 1))?;
                for _ in 0..hidden {
                    let q = fields.next().and_then(|q| q.parse::<i8>().ok()).filter(|q| *q != i8::MIN).ok_or_else(|| format!("line {}: bad weight", i + 1))?;
                    net.rows.push(q);
                }
                net.features.push(row);
                net.scales.push(scale);
            } else {
                let mut row_weights = [0.0f32; CLASSES];
                for w in row_weights.iter_mut() {
                    *w = weight()?;
                }
                linear.features.push(row);
                linear.weights.push(row_weights);
            }
            // A row of another model's width (a larger hidden layer) is a foreign file, not a shorter row.
            if fields.next().is_some() {
                return Err(format!("line {}: more weights than a row holds", i + 1));
            }
        }
        let weights = if network {
            if let Some(missing) = ["b1", "w2", "b2"].iter().zip(layers).find(|(_, seen)| !seen) {
                return Err(format!("no '{}' line: a network needs its three dense layers", missing.0));
            }
            net.settle();
            Weights::Network(net)
        } else {
            linear.settle();
            Weights::Linear(linear)
        };
        Ok(IntentModel { bits, weights, temperature, provenance, examples })
    }
}

fn train_linear(encoded: &[(Vec<usize>, usize)], options: &TrainOptions) -> Rows {
    let mut dense = vec![0.0f32; (1usize << options.bits) * CLASSES];
    sgd(encoded, options, |features, label, rate| {
        let mut p = dense_scores(&dense, features);
        softmax(&mut p);
        for (class, probability) in p.iter().enumerate() {
            let gradient = probability - if class == label { 1.0 } else { 0.0 };
            for &f in features {
                let w = &mut dense[f * CLASSES + class];
                *w -= rate * (gradient + options.l2 * *w);
            }
        }
    });
    Rows::from_dense(&dense)
}

/// Stochastic gradient descent's schedule, the same for both models: every epoch visits the
/// samples in a new order (deterministic) at a rate decaying from `learning_rate`.
fn sgd(encoded: &[(Vec<usize>, usize)], options: &TrainOptions, mut step: impl FnMut(&[usize], usize, f32)) {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    let mut seed = options.seed | 1;
    for epoch in 0..options.epochs {
        shuffle(&mut order, &mut seed);
        let rate = options.learning_rate / (1.0 + epoch as f32 * 0.2);
        for &i in &order {
            let (features, label) = &encoded[i];
            step(features, *label, rate);
        }
    }
}

/// For each kind of step and intent, a typical training utterance: of those with three words or
/// more and no filler or repeated word, the one of median length (deterministic).
fn pick_examples(samples: &[Sample]) -> Vec<(StepKind, Intent, String)> {
    const FILLERS: [&str; 9] = ["euh", "ben", "bah", "ah", "oh", "alors", "bon", "hein", "hum"];
    let clean = |utterance: &str| {
        let words: Vec<&str> = utterance.split_whitespace().collect();
        words.len() >= 3 && !words.iter().any(|w| FILLERS.contains(w)) && words.windows(2).all(|p| p[0] != p[1])
    };
    let mut out = Vec::new();
    for kind in StepKind::ALL {
        for intent in Intent::ALL {
            let mut candidates: Vec<&str> =
                samples.iter().filter(|s| s.kind == kind && s.intent == intent && clean(&s.utterance)).map(|s| s.utterance.as_str()).collect();
            candidates.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            candidates.dedup();
            if let Some(typical) = candidates.get(candidates.len() / 2) {
                out.push((kind, intent, typical.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: StepKind, utterance: &str, intent: Intent) -> Sample {
        Sample { kind, mentions: Mentions::default(), utterance: utterance.into(), intent }
    }

    fn tiny() -> Vec<Sample> {
        use Intent::*;
        use StepKind::{Greeting, Offer};
        vec![
            sample(Greeting, "oui allez-y", Positive),
            sample(Greeting, "oui je vous écoute", Positive),
            sample(Greeting, "non merci", Negative),
            sample(Greeting, "non pas intéressé", Negative),
            sample(Greeting, "rappelez-moi demain", Callback),
            sample(Greeting, "rappelez-moi", Callback),
            sample(Offer, "oui rappelez-moi", Positive),
            sample(Offer, "rappelez-moi", Positive),
            sample(Greeting, "ne m'appelez plus", DoNotCall),
            sample(Greeting, "c'est qui", Question),
            sample(Greeting, "euh", Unclear),
            sample(Greeting, "laissez un message après le bip", AnsweringMachine),
        ]
    }

    #[test]
    fn members_score_as_the_mean_of_their_networks() {
        let options = TrainOptions { bits: 12, epochs: 20, members: 3, ..TrainOptions::network(8) };
        let ensemble = IntentModel::train(&tiny(), &options);
        let members = [0, 1, 2].map(|m| IntentModel::train(&tiny(), &options.member(m)));
        assert!(ensemble.kind().starts_with("network of 24 hidden units"), "{}", ensemble.kind());
        for sample in tiny() {
            let f = features(sample.kind, &sample.utterance, options.bits);
            let joined = ensemble.scores(&f);
            let mean: Vec<f32> = (0..CLASSES).map(|c| members.iter().map(|m| m.scores(&f)[c]).sum::<f32>() / 3.0).collect();
            for (a, b) in joined.iter().zip(&mean) {
                assert!((a - b).abs() < 0.05 * (1.0 + b.abs()), "{}: {joined:?} vs {mean:?}", sample.utterance);
            }
        }
    }

    #[test]
    fn learns_and_uses_the_step_kind() {
        for options in [TrainOptions { bits: 14, ..TrainOptions::linear() }, TrainOptions { bits: 14, epochs: 60, learning_rate: 0.5, ..TrainOptions::network(16) }] {
            let model = IntentModel::train(&tiny(), &options);
            assert_eq!(model.predict(StepKind::Greeting, "oui allez-y").intent, Intent::Positive, "{}", model.kind());
            assert_eq!(model.predict(StepKind::Greeting, "rappelez-moi").intent, Intent::Callback, "{}", model.kind());
            assert_eq!(model.predict(StepKind::Offer, "rappelez-moi").intent, Intent::Positive, "the same words, another kind of step");
            let p = model.probabilities(StepKind::Greeting, "non merci");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn learns_a_turn_that_names_another_steps_entities() {
        // The same words answer the step that asks for savings and another step's question.
        let asked = |own, other_step| Asked { kind: StepKind::Question, mentions: Mentions { step_has_entities: own, own, other_step } };
        let mut samples = tiny();
        for words in ["oui j'ai un livret", "j'ai un livret a", "oui une assurance vie"] {
            samples.push(Sample { kind: StepKind::Question, mentions: asked(true, false).mentions, utterance: words.into(), intent: Intent::Positive });
            samples.push(Sample { kind: StepKind::Question, mentions: asked(false, true).mentions, utterance: words.into(), intent: Intent::Unclear });
        }
        samples.push(Sample { kind: StepKind::Question, mentions: Mentions::default(), utterance: "oui ça m'inquiète".into(), intent: Intent::Positive });
        let model = IntentModel::train(&samples, &TrainOptions { bits: 14, epochs: 60, learning_rate: 0.5, ..TrainOptions::network(16) });
        assert_eq!(model.predict(asked(true, false), "oui j'ai un livret").intent, Intent::Positive);
        assert_eq!(model.predict(asked(false, true), "oui j'ai un livret").intent, Intent::Unclear, "asked another question");
    }

    #[test]
    fn training_is_deterministic() {
        let options = TrainOptions { bits: 12, epochs: 5, ..TrainOptions::default() };
        assert_eq!(IntentModel::train(&tiny(), &options).to_text(), IntentModel::train(&tiny(), &options).to_text());
    }

    #[test]
    fn network_text_form_round_trips_and_bad_files_are_refused() {
        let mut model = IntentModel::train(&tiny(), &TrainOptions { bits: 12, epochs: 20, ..TrainOptions::network(8) });
        model.temperature = 0.8;
        let text = model.to_text();
        assert!(text.starts_with("minibot-intent-model 6\nbits 12\nhidden 8\nrows "), "{text}");
        let back = IntentModel::from_text(&text).unwrap();
        assert_eq!(back, model, "the 8-bit rows and their scales are written exactly");
        for (kind, words) in [(StepKind::Greeting, "non merci"), (StepKind::Offer, "rappelez-moi"), (StepKind::Greeting, "mots jamais vus")] {
            assert_eq!(back.probabilities(kind, words), model.probabilities(kind, words));
        }
        // Rows out of order and a row repeated (the last line counts) load to the same model.
        let (head, rows): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| !l.starts_with(|c: char| c.is_ascii_digit()));
        let first_feature = rows[0].split(' ').next().unwrap();
        let replaced_later = format!("{first_feature} 1e0{}", " 0".repeat(8));
        let shuffled = format!("{}\n{replaced_later}\n{}\n", head.join("\n"), rows.iter().rev().cloned().collect::<Vec<_>>().join("\n"));
        assert_eq!(IntentModel::from_text(&shuffled).unwrap(), model);
        // Damaged files: a missing layer, a layer of the wrong size, a weight out of 8 bits, no scale.
        let without_w2: String = text.lines().filter(|l| !l.starts_with("w2 ")).map(|l| format!("{l}\n")).collect();
        assert!(IntentModel::from_text(&without_w2).unwrap_err().contains("'w2'"));
        assert!(IntentModel::from_text(&text.replacen("\nb2 ", "\nb2 1 ", 1)).unwrap_err().contains("more than"));
        assert!(IntentModel::from_text(&(text.clone() + "7 0.01 300 0 0 0 0 0 0 0\n")).unwrap_err().contains("bad weight"));
        assert!(IntentModel::from_text(&(text.clone() + "7 -1 1 0 0 0 0 0 0 0\n")).unwrap_err().contains("bad scale"));
        assert!(IntentModel::from_text(&(text.clone() + "7 1e3 1 0 0 0 0 0 0 0\n")).unwrap_err().contains("bad scale"), "weights past MAX_WEIGHT");
        assert!(IntentModel::from_text(&(text.clone() + "7 0.01 1 0 0 0 0 0 0 0 5\n")).unwrap_err().contains("more weights"), "a wider model's row");
        assert!(IntentModel::from_text(&text.replace("hidden 8", "hidden 0")).unwrap_err().contains("hidden"));
    }

    #[test]
    fn text_form_round_trips_and_bad_files_are_refused() {
        let mut model = IntentModel::train(&tiny(), &TrainOptions { bits: 12, epochs: 5, ..TrainOptions::linear() });
        model.temperature = 1.5;
        model.provenance = "tiny".into();
        let back = IntentModel::from_text(&model.to_text()).unwrap();
        assert_eq!(back.predict(StepKind::Greeting, "non merci"), model.predict(StepKind::Greeting, "non merci"));
        assert_eq!((back.temperature, back.provenance.as_str()), (1.5, "tiny"));
        assert_eq!(back.examples, model.examples);
        // A row repeated by hand: the last line counts, even all zeros.
        let linear_rows = |m: &IntentModel| match &m.weights {
            Weights::Linear(rows) => rows.clone(),
            Weights::Network(_) => unreachable!("a linear model"),
        };
        let (first_row, _) = linear_rows(&back).iter().map(|(f, w)| (f, *w)).next().unwrap();
        let zeroed = IntentModel::from_text(&format!("{}{first_row} 0 0 0 0 0 0 0\n", model.to_text())).unwrap();
        assert!(linear_rows(&zeroed).get(first_row).is_none() && linear_rows(&back).get(first_row).is_some());
        // Rows out of order (a file edited by hand) load to the same model.
        assert!(linear_rows(&back).features.len() > 1);
        let text = model.to_text();
        let (header, rows): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| !l.starts_with(|c: char| c.is_ascii_digit()));
        let reversed = format!("{}\n{}\n", header.join("\n"), rows.iter().rev().cloned().collect::<Vec<_>>().join("\n"));
        assert_eq!(linear_rows(&IntentModel::from_text(&reversed).unwrap()), linear_rows(&back));
        assert!(back.examples_for(StepKind::Greeting).contains(&(Intent::Positive, "oui je vous écoute")), "{:?}", back.examples);
        assert!(IntentModel::from_text("minibot-intent-model 9\n").unwrap_err().contains("expected"));
        assert!(IntentModel::from_text("minibot-intent-model 4\n").unwrap_err().contains("older set of features"));
        let text = model.to_text().replace("classes positive", "classes yes");
        assert!(IntentModel::from_text(&text).unwrap_err().contains("intents"));
        let text = model.to_text() + "999999999 1 2 3\n";
        assert!(IntentModel::from_text(&text).unwrap_err().contains("bad row"));
        // Damaged or foreign files never load: huge spaces, overflowing weights or temperatures, other kinds.
        assert!(IntentModel::from_text(&model.to_text().replace("bits 12", "bits 24")).unwrap_err().contains("bits"));
        assert!(IntentModel::from_text(&(model.to_text() + "7 3e38 0 0 0 0 0 0\n")).unwrap_err().contains("bad weight"));
        assert!(IntentModel::from_text(&model.to_text().replace("temperature 1.5", "temperature 1e-40")).unwrap_err().contains("temperature"));
        assert!(IntentModel::from_text(&model.to_text().replace("kinds greeting", "kinds hello")).unwrap_err().contains("kinds"));
    }

    #[test]
    fn calibration_never_makes_the_validation_fit_worse() {
        let mut model = IntentModel::train(&tiny(), &TrainOptions { bits: 12, ..TrainOptions::default() });
        let (before, after) = model.calibrate(&tiny());
        assert!(after <= before && model.temperature > 0.0);
    }
}
