//! `[asr]` in minibot.conf, and the check of a model directory before Vosk sees it.

use super::*;
use crate::config::document::{ConfigError, FromKeys, Key};

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

/// `[asr]` in minibot.conf (what to do when the model fails is the module's: `on_model_error`).
impl FromKeys for AsrConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "model" => self.model_path = key.value().to_string(),
            "mode" => {
                self.mode = match key.value() {
                    "worker" => AsrMode::Worker,
                    "inline" => AsrMode::Inline,
                    other => return Err(key.error(format!("'{other}' is not an ASR mode (worker or inline)"))),
                }
            }
            "prewarm" => self.prewarm = key.number(0, 50)? as usize,
            "max_recognizers" => self.max_recognizers = key.number(0, 10_000)? as usize,
            "decoders" => self.decoders = key.number(0, 1024)? as usize,
            "rebuild_after_calls" => self.rebuild_after_calls = key.number(0, 1_000_000)? as usize,
            "partial_interval_ms" => self.partial_interval_ms = key.number(20, 5000)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}
