//! A decoder thread and the recognizer it owns: builds it warm, decodes one call after another
//! from the queue the media thread feeds, rebuilds it every `rebuild_after_calls` calls.

use super::*;

/// A decoder thread: builds its recognizer, then decodes one call after another until shutdown.
pub(super) fn decoder_thread(shared: &Shared, rate: u32, jobs: &Receiver<Job>) {
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
pub(super) fn build_decoder(exit: &mut ThreadExit) -> Option<Decoder> {
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
pub(super) struct ThreadExit<'a> {
    pub(super) shared: &'a Shared,
    pub(super) rate: u32,
    /// Still building its recognizer.
    pub(super) building: bool,
    /// Still counted in `threads` (false once retired).
    pub(super) counted: bool,
    pub(super) reason: &'static str,
}

impl ThreadExit<'_> {
    pub(super) fn built(&mut self) {
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
pub(super) fn thread_lost(shared: &Shared, rate: u32, reason: &str) {
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

pub(super) fn new_warm_recognizer(model: &Model, sample_rate: u32) -> Option<Recognizer> {
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
pub(super) struct Decoder {
    pub(super) recognizer: Recognizer,
    pub(super) sample_rate: u32,
    /// Samples between partial results.
    pub(super) partial_every: usize,
    pub(super) fed_since_partial: usize,
    pub(super) last_partial: String,
    /// Samples of the current turn fed so far.
    pub(super) fed_in_turn: usize,
}

impl Decoder {
    pub(super) fn new(recognizer: Recognizer, sample_rate: u32, partial_interval_ms: u32) -> Decoder {
        let partial_every = (sample_rate as usize * partial_interval_ms as usize) / 1000;
        Decoder { recognizer, sample_rate, partial_every, fed_since_partial: 0, last_partial: String::new(), fed_in_turn: 0 }
    }

    pub(super) fn rate(&self) -> u32 {
        self.sample_rate
    }

    pub(super) fn accept(&mut self, audio: &[i16], events: &mut Vec<AsrEvent>) {
        let started = Instant::now();
        let _ = self.recognizer.accept_waveform(audio);
        METRICS.asr_feed_us.record_us(started.elapsed());
        self.fed_since_partial += audio.len();
        self.fed_in_turn += audio.len();
        if self.fed_since_partial >= self.partial_every {
            self.fed_since_partial = 0;
            let partial = self.recognizer.partial_result().partial.to_string();
            if !partial.is_empty() && partial != self.last_partial {
                self.last_partial = partial.clone();
                events.push(AsrEvent::Partial { text: partial, heard_ms: audio_ms(self.fed_in_turn, self.sample_rate), pause: None });
            }
        }
    }

    /// The callee paused: the words so far, at once (everything queued before was decoded).
    pub(super) fn pause(&mut self, seq: u64, events: &mut Vec<AsrEvent>) {
        let text = self.recognizer.partial_result().partial.to_string();
        self.last_partial = text.clone();
        self.fed_since_partial = 0;
        events.push(AsrEvent::Partial { text, heard_ms: audio_ms(self.fed_in_turn, self.sample_rate), pause: Some(seq) });
    }

    pub(super) fn finish(&mut self, turn_ended: Instant, events: &mut Vec<AsrEvent>) {
        let text = self.recognizer.final_result().single().map(|r| r.text.to_string()).unwrap_or_default();
        let latency = turn_ended.elapsed();
        METRICS.turn_final_ms.record_ms(latency);
        crate::obs::prom::RECORDED.asr_final.observe(&[], latency.as_secs_f64());
        self.fed_since_partial = 0;
        self.fed_in_turn = 0;
        self.last_partial.clear();
        events.push(AsrEvent::Final { text, latency });
    }

    /// Ready for the next call (a hung-up callee may have left a turn half decoded).
    pub(super) fn reset(&mut self) {
        self.recognizer.reset();
        self.fed_since_partial = 0;
        self.fed_in_turn = 0;
        self.last_partial.clear();
    }
}

pub(super) enum WorkerInput {
    Audio(Vec<i16>),
    /// The callee's pause number `seq`: the words so far, at once.
    Pause(u64),
    EndOfTurn(Instant),
}

pub(super) fn audio_ms(samples: usize, rate: u32) -> u64 {
    (samples as u64 * 1000) / u64::from(rate.max(1))
}

/// A turn at decoding: held while a thread decodes what its call has queued.
pub(super) struct DecodingTurn<'a>(&'a Shared);

impl<'a> DecodingTurn<'a> {
    /// Waits for a free decoder; None once the call is closed meanwhile.
    pub(super) fn take(shared: &'a Shared, call: &CallState) -> Option<DecodingTurn<'a>> {
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
pub(super) fn worker_loop(decoder: &mut Decoder, shared: &Shared, call: &Handoff) {
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
                WorkerInput::Pause(seq) => decoder.pause(seq, &mut events),
                WorkerInput::EndOfTurn(at) => decoder.finish(at, &mut events),
            }
            let results = !events.is_empty();
            for event in events.drain(..) {
                if call.output.send(event).is_err() {
                    return;
                }
            }
            if results {
                call.wake.wake(); // the call's loop reads them now, not at its next frame
            }
        }
    }
}
