//! Inline mode: a recognizer taken from the pool for one call and decoding on the media thread
//! (kept for measurements).

use super::*;

/// Inline mode: a recognizer taken from the pool for one call, given back (reset) at its end.
pub(super) struct InlineDecoder {
    pub(super) shared: Arc<Shared>,
    pub(super) sample_rate: u32,
    pub(super) decoder: Option<Decoder>,
}

impl InlineDecoder {
    pub(super) fn take(shared: Arc<Shared>, sample_rate: u32) -> Result<InlineDecoder, String> {
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
