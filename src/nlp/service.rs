//! The tiered intent service. A turn asks `understand`, which answers at once from the cache or a
//! confident local classification, or hands back a [`Pending`] that the call's loop polls: the
//! LLM's answer when it comes before the deadline, else the local answer (which always exists).

use super::classifier::{classify, classify_with};
use super::model::IntentModel;
use super::llm::{LlmError, LlmPool};
use super::normalize::{padded, tokens};
use crate::domain::{Classification, Intent, StepContext, Tier, Waker};
use crossbeam_channel::{bounded, Receiver};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use crate::config::document::{ConfigError, FromKeys, Key};

#[derive(Debug, Clone, PartialEq)]
pub struct IntentConfig {
    /// Below this local confidence, the LLM is asked (when configured).
    pub llm_below: f32,
    /// How long a turn may wait for the LLM before the local answer stands.
    pub deadline_ms: u64,
    pub cache_size: usize,
    /// The learned model's file (`make train`), relative to Asterisk's data directory unless
    /// absolute; empty: the rules alone.
    pub model: String,
}

/// Where `make install` puts the model, under Asterisk's data directory.
pub const DEFAULT_MODEL: &str = "minibot/intents.model";

impl Default for IntentConfig {
    fn default() -> Self {
        IntentConfig { llm_below: 0.5, deadline_ms: 1200, cache_size: 2000, model: DEFAULT_MODEL.into() }
    }
}

#[derive(Default)]
pub struct TierCounts {
    pub cache: AtomicU64,
    pub local: AtomicU64,
    pub llm: AtomicU64,
    /// The LLM was asked but the local answer stood (failure, deadline, breaker, busy).
    pub fallbacks: AtomicU64,
}

pub struct IntentService {
    config: IntentConfig,
    /// Each answer with the tier a hit reports (`CacheOfLocal` or `CacheOfLlm`: only the local
    /// model's "yes" may take an opt-out back).
    cache: Mutex<HashMap<CacheKey, (Classification, Tier)>>,
    llm: Option<Arc<LlmPool>>,
    /// The learned model; without one, the rules classify alone. Replaced by a reload.
    model: RwLock<Option<Arc<IntentModel>>>,
    pub counts: TierCounts,
}

/// The step (its entities differ from step to step) and the normalized words.
type CacheKey = (String, String);

pub enum Understood {
    Ready { classification: Classification, tier: Tier, latency: Duration },
    Pending(Pending),
}

impl Pending {
    /// When the local answer stands if the LLM has not answered.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// A turn waiting on the LLM, polled by the call's loop (never blocks).
pub struct Pending {
    local: Classification,
    reply: Receiver<Result<Classification, LlmError>>,
    started: Instant,
    deadline: Instant,
    cache_key: CacheKey,
}

impl IntentService {
    pub fn new(config: IntentConfig, llm: Option<Arc<LlmPool>>, model: Option<Arc<IntentModel>>) -> IntentService {
        IntentService { config, cache: Mutex::new(HashMap::new()), llm, model: RwLock::new(model), counts: TierCounts::default() }
    }

    pub fn model(&self) -> Option<Arc<IntentModel>> {
        self.model.read().clone()
    }

    /// A reload's model (the file may have been retrained and installed since the load); the
    /// cached answers were the old model's.
    pub fn set_model(&self, model: Option<Arc<IntentModel>>) {
        *self.model.write() = model;
        self.clear_cache();
    }

    pub fn llm(&self) -> Option<&Arc<LlmPool>> {
        self.llm.as_ref()
    }

    /// `wake` is told when the LLM's answer arrives (the call's loop then reads it at once).
    pub fn understand(&self, context: &Arc<StepContext>, text: &str, wake: &Waker) -> Understood {
        let started = Instant::now();
        let cache_key = (context.id.clone(), padded(&tokens(text)));
        if let Some((hit, tier)) = self.cache.lock().get(&cache_key).cloned() {
            self.counts.cache.fetch_add(1, Ordering::Relaxed);
            return Understood::Ready { classification: hit, tier, latency: started.elapsed() };
        }
        let model = self.model();
        let local = match &model {
            Some(model) => classify_with(model, context, text),
            None => classify(context, text),
        };
        // An opt-out policy decided (words, the floor, the model) is never the LLM's to replace,
        // whatever `llm_below` says: a person's "stop calling me" must not be read away.
        if local.confidence >= self.config.llm_below || local.intent == Intent::DoNotCall {
            self.remember(cache_key, &local, Tier::CacheOfLocal);
            self.counts.local.fetch_add(1, Ordering::Relaxed);
            return Understood::Ready { classification: local, tier: Tier::Local, latency: started.elapsed() };
        }
        let Some(llm) = &self.llm else {
            self.counts.local.fetch_add(1, Ordering::Relaxed);
            return Understood::Ready { classification: local, tier: Tier::LocalUnsure, latency: started.elapsed() };
        };
        let deadline = started + Duration::from_millis(self.config.deadline_ms);
        let (tx, rx) = bounded(1);
        // The model's corpus shows the LLM how callees answer this kind of step.
        let examples = model.as_ref().map_or_else(Vec::new, |m| {
            m.examples_for(context.kind).into_iter().map(|(intent, words)| (intent, words.to_string())).collect()
        });
        match llm.submit(context, text, examples, deadline, tx, wake.clone()) {
            Ok(()) => Understood::Pending(Pending { local, reply: rx, started, deadline, cache_key }),
            Err(_) => {
                self.counts.fallbacks.fetch_add(1, Ordering::Relaxed);
                Understood::Ready { classification: local, tier: Tier::LocalUnsure, latency: started.elapsed() }
            }
        }
    }

    /// The answer for a pending turn, once there is one: `None` means "ask again later".
    pub fn poll(&self, pending: &Pending, now: Instant) -> Option<(Classification, Tier, Duration)> {
        match pending.reply.try_recv() {
            Ok(Ok(mut answer)) => {
                // The local classifier knows the step's entity words better than a small model does.
                if answer.entities.is_empty() {
                    answer.entities = pending.local.entities.clone();
                }
                answer.topic = pending.local.topic;
                self.remember(pending.cache_key.clone(), &answer, Tier::CacheOfLlm);
                self.counts.llm.fetch_add(1, Ordering::Relaxed);
                Some((answer, Tier::Llm, pending.started.elapsed()))
            }
            Ok(Err(_)) | Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.counts.fallbacks.fetch_add(1, Ordering::Relaxed);
                Some((pending.local.clone(), Tier::LocalUnsure, pending.started.elapsed()))
            }
            Err(crossbeam_channel::TryRecvError::Empty) if now >= pending.deadline => {
                self.counts.fallbacks.fetch_add(1, Ordering::Relaxed);
                Some((pending.local.clone(), Tier::LocalUnsure, pending.started.elapsed()))
            }
            Err(crossbeam_channel::TryRecvError::Empty) => None,
        }
    }

    /// A service with this one's settings, model and LLM, but a cache and tier counts of its
    /// own: a dry run (`minibot scenario try`) is not a call, and its answers must not be taken
    /// for the calls' in the tier counts or the cache. Its LLM requests are real ones, through the
    /// same pool: they count in the LLM's own statistics and take a worker like a call's turn.
    pub fn detached(&self) -> IntentService {
        IntentService::new(self.config.clone(), self.llm.clone(), self.model())
    }

    /// `understand` waited out (the LLM's answer or the deadline): for the CLI's thread only,
    /// never a channel's.
    pub fn understand_blocking(&self, context: &Arc<StepContext>, text: &str) -> (Classification, Tier, Duration) {
        let pending = match self.understand(context, text, &Waker::default()) {
            Understood::Ready { classification, tier, latency } => return (classification, tier, latency),
            Understood::Pending(pending) => pending,
        };
        loop {
            if let Some(answer) = self.poll(&pending, Instant::now()) {
                return answer;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Forgets every cached answer: a reload may change what a step's words mean (its kind,
    /// entities), and a step keeps its name.
    pub fn clear_cache(&self) {
        self.cache.lock().clear();
    }

    fn remember(&self, key: CacheKey, classification: &Classification, on_hit: Tier) {
        let mut cache = self.cache.lock();
        if cache.len() >= self.config.cache_size {
            cache.clear(); // crude but bounded; the hot phrases come back at once
        }
        cache.insert(key, (classification.clone(), on_hit));
    }

    pub fn report(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = format!(
            "Intents: cache {} local {} llm {} fallbacks to local {}\n",
            g(&self.counts.cache),
            g(&self.counts.local),
            g(&self.counts.llm),
            g(&self.counts.fallbacks)
        );
        if let Some(llm) = &self.llm {
            out += &llm.stats.report();
            if llm.breaker_open() {
                out += "LLM breaker: OPEN\n";
            }
        }
        out
    }

    pub fn shutdown(&self) {
        if let Some(llm) = &self.llm {
            llm.shutdown();
        }
    }
}

/// `[intent]` in minibot.conf.
impl FromKeys for IntentConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "llm_below" => {
                let value = key.value();
                self.llm_below = value
                    .parse::<f32>()
                    .ok()
                    .filter(|v| (0.0..=1.01).contains(v))
                    .ok_or_else(|| key.error(format!("'{value}' is not a confidence from 0 to 1")))?
            }
            "deadline_ms" => self.deadline_ms = key.number(50, 10_000)? as u64,
            "model" => self.model = key.no_climbing()?,
            "cache_size" => self.cache_size = key.number(0, 1_000_000)? as usize,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nlp::llm::LlmConfig;
    use crate::domain::{Intent, StepKind};

    fn step(id: &str, kind: StepKind) -> Arc<StepContext> {
        Arc::new(StepContext { id: id.into(), kind, ..StepContext::default() })
    }

    #[test]
    fn confident_local_answers_are_cached() {
        let service = IntentService::new(IntentConfig::default(), None, None);
        let (hello, q1) = (step("demo.hello", StepKind::Greeting), step("demo.q1", StepKind::Question));
        let Understood::Ready { tier, classification, .. } = service.understand(&hello, "Oui, allez-y !", &Default::default()) else { panic!() };
        assert_eq!((tier, classification.intent), (Tier::Local, Intent::Positive));
        let Understood::Ready { tier, .. } = service.understand(&hello, "oui allez y", &Default::default()) else { panic!() };
        assert_eq!(tier, Tier::CacheOfLocal, "same words after normalization");
        let Understood::Ready { tier, .. } = service.understand(&q1, "oui allez y", &Default::default()) else { panic!() };
        assert_eq!(tier, Tier::Local, "the cache is per step");
        // A reload may change what a step's words mean: the cache starts over.
        service.clear_cache();
        let Understood::Ready { tier, .. } = service.understand(&hello, "oui allez y", &Default::default()) else { panic!() };
        assert_eq!(tier, Tier::Local);
    }

    #[test]
    fn an_opt_out_is_never_sent_to_the_llm_whatever_llm_below_says() {
        let llm = LlmPool::start(LlmConfig { url: "http://127.0.0.1:9".into(), ..LlmConfig::default() }).unwrap();
        let service = IntentService::new(IntentConfig { llm_below: 1.01, ..IntentConfig::default() }, Some(Arc::new(llm)), None);
        let q1 = step("demo.q1", StepKind::Question);
        let Understood::Ready { tier, classification, .. } = service.understand(&q1, "ne m'appelez plus", &Default::default()) else { panic!("an opt-out went to the LLM") };
        assert_eq!((tier, classification.intent), (Tier::Local, Intent::DoNotCall));
        assert!(matches!(service.understand(&q1, "oui", &Default::default()), Understood::Pending(_)), "the rest goes to the LLM at 1.01");
        service.shutdown();
    }

    #[test]
    fn an_unreachable_llm_falls_back_to_the_local_answer_within_the_deadline() {
        let llm = LlmPool::start(LlmConfig { url: "http://127.0.0.1:9".into(), ..LlmConfig::default() }).unwrap();
        let service = IntentService::new(IntentConfig { llm_below: 1.1, deadline_ms: 500, ..IntentConfig::default() }, Some(Arc::new(llm)), None);
        let Understood::Pending(pending) = service.understand(&step("demo.hello", StepKind::Greeting), "oui", &Default::default()) else { panic!("should ask the LLM") };
        let answer = loop {
            if let Some(answer) = service.poll(&pending, Instant::now()) {
                break answer;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!((answer.0.intent, answer.1), (Intent::Positive, Tier::LocalUnsure), "the local answer stood, unsure");
        assert_eq!(service.counts.fallbacks.load(Ordering::Relaxed), 1);
        service.shutdown();
    }
}
