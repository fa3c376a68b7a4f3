//! One call's recognition as the media thread sees it: feed audio, end a turn; never blocks in
//! worker mode.

use super::*;

/// One call's recognition, fed by the media thread. Never blocks in worker mode.
pub struct Session {
    pub(super) inner: SessionKind,
}

pub(super) enum SessionKind {
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

    /// The callee paused (pause `seq`): ask for the words so far (answered at once, before any
    /// later audio).
    pub fn pause(&mut self, seq: u64) {
        match &mut self.inner {
            SessionKind::Inline { decoder, pending, events } => {
                if let Some(decoder) = decoder.decoder.as_mut() {
                    decoder.pause(seq, pending);
                }
                pending.drain(..).for_each(|e| drop(events.send(e)));
            }
            SessionKind::Worker { audio_tx, .. } => {
                let _ = audio_tx.try_send(WorkerInput::Pause(seq));
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
