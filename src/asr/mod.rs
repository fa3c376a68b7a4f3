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

mod config;
mod decoder;
mod engine;
mod inline;
mod pool;
mod session;
#[cfg(test)]
mod tests;

pub use config::{check_model_dir, AsrConfig, AsrMode};
pub use engine::Engine;
pub use session::Session;
use decoder::*;
use engine::*;
use inline::*;
use pool::*;
use session::*;

/// What the recognizer tells the call.
#[derive(Debug, Clone, PartialEq)]
pub enum AsrEvent {
    /// The words so far. `heard_ms`: the turn's audio decoded by then; `pause`: the number of the
    /// pause in the callee's speech that asked for them (sent even when unchanged: the call
    /// decides on them, and knows which pause they answer).
    Partial { text: String, heard_ms: u64, pause: Option<u64> },
    /// `latency`: from the end of the turn to this result.
    Final { text: String, latency: Duration },
    /// The recognizer stopped working for this call (it goes on with DTMF only).
    Failed { reason: String },
}
