//! The recognizers of each sample rate, counted: threads, calls holding one, calls closing.
//! Every change happens under the engine's pools lock. Generic over the recognizer (`R`, Vosk's
//! in the module): the accounting is tested without a model.

use super::*;

/// The recognizers of one sample rate.
pub(super) struct RatePool<R = Recognizer> {
    /// Worker mode: decoder threads alive (each owns one recognizer; being built included).
    pub(super) threads: usize,
    /// Worker mode: threads still building their recognizer.
    pub(super) building: usize,
    /// Calls holding a recognizer (worker mode: handed to a thread or waiting for one).
    pub(super) in_use: usize,
    /// Worker mode: of those, calls already ended whose thread has not let go yet (it will
    /// within a chunk's decoding): their threads count as ready for the next call.
    pub(super) closing: usize,
    /// Calls waiting for an idle decoder thread of this rate, and retirements.
    pub(super) jobs: (Sender<Job>, Receiver<Job>),
    /// Inline mode: recognizers ready.
    pub(super) idle: Vec<R>,
}

impl<R> Default for RatePool<R> {
    fn default() -> Self {
        RatePool { threads: 0, building: 0, in_use: 0, closing: 0, jobs: unbounded(), idle: Vec::new() }
    }
}

impl<R> RatePool<R> {
    /// Recognizers ready for a call.
    pub(super) fn ready(&self, mode: AsrMode) -> usize {
        match mode {
            AsrMode::Worker => (self.threads + self.closing).saturating_sub(self.in_use),
            AsrMode::Inline => self.idle.len(),
        }
    }

    /// A decoder thread lets go of its call (under the pools lock, like every change of state).
    pub(super) fn release(&mut self, call: &CallState) {
        self.in_use = self.in_use.saturating_sub(1);
        if call.swap(RELEASED, Ordering::Relaxed) == CLOSED {
            self.closing = self.closing.saturating_sub(1);
        }
    }

    /// Recognizers built and idle (a thread still building its own is not warm yet).
    pub(super) fn warm(&self, mode: AsrMode) -> usize {
        match mode {
            AsrMode::Worker => self.threads.saturating_sub(self.building).saturating_sub(self.in_use),
            AsrMode::Inline => self.idle.len(),
        }
    }

    pub(super) fn alive(&self, mode: AsrMode) -> usize {
        match mode {
            AsrMode::Worker => self.threads,
            AsrMode::Inline => self.idle.len() + self.in_use,
        }
    }
}

/// What a decoder thread is given: a call, or notice to end (its slot went to another rate).
pub(super) enum Job {
    Call(Handoff),
    Retire,
}

/// One call handed to a decoder thread.
pub(super) struct Handoff {
    pub(super) input: Receiver<WorkerInput>,
    pub(super) output: Sender<AsrEvent>,
    pub(super) state: CallState,
    /// Audio queued and not decoded yet, in ms (see `Shared::backlogs`).
    pub(super) queued_ms: Arc<AtomicU64>,
    /// Told after results are sent: the call's loop reads them at once.
    pub(super) wake: crate::domain::Waker,
}

/// ACTIVE, then CLOSED when the call drops its session (the thread stops decoding it at once),
/// RELEASED when the thread lets go; changed under the pools lock so `closing` stays exact.
pub(super) type CallState = Arc<AtomicU8>;
pub(super) const ACTIVE: u8 = 0;
pub(super) const CLOSED: u8 = 1;
pub(super) const RELEASED: u8 = 2;

/// At `max_recognizers`: makes room for a call at `rate` by retiring an idle decoder thread of
/// another rate (counted out now; it ends when it takes the notice). False if none is idle.
pub(super) fn retire_idle_elsewhere<R>(pools: &mut HashMap<u32, RatePool<R>>, rate: u32) -> bool {
    let idle = pools.iter_mut().find(|(r, p)| **r != rate && p.ready(AsrMode::Worker) > 0 && p.closing == 0);
    let Some((_, pool)) = idle else { return false };
    pool.threads -= 1;
    let _ = pool.jobs.0.send(Job::Retire);
    true
}

/// Recognizers alive (idle and in use, being built included) across rates.
pub(super) fn live<R>(pools: &HashMap<u32, RatePool<R>>, mode: AsrMode) -> usize {
    pools.values().map(|p| p.alive(mode)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(threads: usize, in_use: usize) -> RatePool<()> {
        RatePool { threads, in_use, ..RatePool::default() }
    }

    #[test]
    fn a_closing_call_leaves_its_thread_ready_for_the_next() {
        let mut pool = worker(2, 2);
        assert_eq!(pool.ready(AsrMode::Worker), 0);
        let call: CallState = Arc::new(AtomicU8::new(CLOSED));
        pool.closing = 1; // the call dropped its session; its thread finishes a chunk
        assert_eq!(pool.ready(AsrMode::Worker), 1, "counted as ready at once");
        pool.release(&call);
        assert_eq!((pool.in_use, pool.closing, pool.ready(AsrMode::Worker)), (1, 0, 1), "let go: no longer closing");
        assert_eq!(call.load(Ordering::Relaxed), RELEASED);
        let active: CallState = Arc::new(AtomicU8::new(ACTIVE));
        pool.release(&active);
        assert_eq!((pool.in_use, pool.closing), (0, 0), "an active call's release leaves `closing` alone");
    }

    #[test]
    fn threads_being_built_are_alive_but_not_warm() {
        let pool = RatePool::<()> { threads: 3, building: 2, in_use: 0, ..RatePool::default() };
        assert_eq!((pool.alive(AsrMode::Worker), pool.warm(AsrMode::Worker), pool.ready(AsrMode::Worker)), (3, 1, 3));
        let inline = RatePool::<()> { in_use: 2, idle: vec![(), ()], ..RatePool::default() };
        assert_eq!((inline.alive(AsrMode::Inline), inline.warm(AsrMode::Inline), inline.ready(AsrMode::Inline)), (4, 2, 2));
    }

    #[test]
    fn at_the_bound_an_idle_thread_of_another_rate_retires() {
        let mut pools: HashMap<u32, RatePool<()>> = HashMap::new();
        pools.insert(8000, worker(1, 1));
        pools.insert(16000, worker(2, 1));
        assert_eq!(live(&pools, AsrMode::Worker), 3);
        assert!(!retire_idle_elsewhere(&mut pools, 16000), "8 kHz has no idle thread");
        assert!(retire_idle_elsewhere(&mut pools, 8000), "16 kHz has one");
        assert_eq!(pools[&16000].threads, 1);
        assert!(matches!(pools[&16000].jobs.1.try_recv(), Ok(Job::Retire)), "the thread is told");
        pools.get_mut(&16000).unwrap().closing = 1;
        pools.get_mut(&16000).unwrap().threads = 2;
        assert!(!retire_idle_elsewhere(&mut pools, 8000), "never a thread whose call is still closing");
    }
}
