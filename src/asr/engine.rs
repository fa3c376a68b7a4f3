//! The loaded model and its recognizers: hands a call to an idle decoder thread (or an inline
//! recognizer), keeps threads ahead of need, bounded, and joins them at unload.

use super::*;

pub(super) struct Shared {
    pub(super) model: Model,
    pub(super) config: AsrConfig,
    /// Per sample rate: decoder threads (worker mode) or idle recognizers (inline), and calls.
    pub(super) pools: Mutex<HashMap<u32, RatePool>>,
    /// Signalled when a call gives its recognizer back (unload waits for none in use).
    pub(super) call_done: Condvar,
    /// Disconnected at shutdown: idle decoder threads end.
    pub(super) stop: Receiver<()>,
    pub(super) queue_drops: AtomicU64,
    /// Recognizers rebuilt after `rebuild_after_calls` calls.
    pub(super) rebuilds: AtomicU64,
    /// Threads decoding now, and the limit (see `AsrConfig::decoders`).
    pub(super) decoding: Mutex<usize>,
    pub(super) decoder_free: Condvar,
    pub(super) max_decoding: usize,
    /// Per live call (worker mode): milliseconds of audio queued for its decoder and not decoded
    /// yet. Read by the dialer: a node whose decoders are behind has no room for a new call.
    pub(super) backlogs: Mutex<Vec<Weak<AtomicU64>>>,
}

/// The loaded model and its recognizers. Dropping it ends the idle decoder threads and waits for
/// the busy ones' calls to end; [`Engine::shutdown`] first waits for those calls, bounded.
pub struct Engine {
    shared: Arc<Shared>,
    /// Dropped to stop the idle decoder threads.
    stop: Mutex<Option<Sender<()>>>,
    pub(super) threads: Mutex<Vec<JoinHandle<()>>>,
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
    /// `events` (and `wake` is told, from the decoder thread). Never blocks; a call beyond
    /// `max_recognizers` gets an error (it runs on DTMF).
    pub fn session(&self, sample_rate: u32, events: Sender<AsrEvent>, wake: crate::domain::Waker) -> Result<Session, String> {
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
                let handoff = Handoff { input, output: events.clone(), state: state.clone(), queued_ms: queued_ms.clone(), wake };
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
    pub(super) fn top_up(&self, pools: &mut HashMap<u32, RatePool>, rate: u32) -> usize {
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
    pub(super) fn spawn(&self, rate: u32, count: usize) {
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

    pub(super) fn stop_threads(&self) {
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

pub(super) fn join_finished(threads: &mut Vec<JoinHandle<()>>) {
    let (finished, running): (Vec<_>, Vec<_>) = threads.drain(..).partition(|h| h.is_finished());
    *threads = running;
    for handle in finished {
        let _ = handle.join();
    }
}
