//! The per-call structured log: one JSON line per call event, appended by a thread of its own
//! (a channel thread only queues the line, never waits on the disk), with size-based rotation
//! (calls.jsonl -> calls.jsonl.1 -> ... -> calls.jsonl.<keep>, the oldest dropped). Callers mask
//! phone numbers and leave transcripts out: they live in the database only.

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLogConfig {
    /// Empty: no call log.
    pub path: String,
    pub max_bytes: u64,
    /// Rotated files kept besides the current one.
    pub keep: u32,
}

/// Off unless configured (the sample minibot.conf turns it on): a call log is a file an operator
/// decides to keep.
impl Default for CallLogConfig {
    fn default() -> CallLogConfig {
        CallLogConfig { path: String::new(), max_bytes: 100 * 1024 * 1024, keep: 5 }
    }
}

#[derive(Default)]
pub struct CallLogStats {
    pub written: AtomicU64,
    /// Lines dropped because the writer fell behind (a full queue): the log never slows a call.
    pub dropped: AtomicU64,
    pub rotations: AtomicU64,
    pub errors: AtomicU64,
}

pub struct CallLog {
    tx: Mutex<Option<Sender<String>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    pub stats: Arc<CallLogStats>,
    pub path: PathBuf,
}

/// The module's call log while it is loaded: events come from channel threads, the dialer and the
/// CLI, none of which should need the module's state to write a line.
static CURRENT: parking_lot::RwLock<Option<Arc<CallLog>>> = parking_lot::RwLock::new(None);

pub fn set_current(log: Option<Arc<CallLog>>) {
    *CURRENT.write() = log;
}

/// One event of a call as a JSON line: time, call (the channel's uniqueid), event, then the
/// fields with snake_case names. Values must already be masked; `Text` fields (what the callee
/// said) are left out: transcripts live in the database only.
pub fn event(call: &str, event: &str, fields: &[(&str, String)]) {
    let Some(log) = CURRENT.read().clone() else { return };
    let mut object = serde_json::Map::new();
    object.insert("ts".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into());
    object.insert("call".into(), call.into());
    object.insert("event".into(), event.into());
    for (key, value) in fields.iter().filter(|(k, _)| *k != "Text") {
        object.insert(snake_case(key), value.clone().into());
    }
    log.write(serde_json::Value::Object(object).to_string());
}

/// "StopDelayMs" -> "stop_delay_ms".
fn snake_case(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Lines waiting for the writer before new ones are dropped.
const QUEUE: usize = 100;

impl CallLog {
    pub fn start(config: &CallLogConfig) -> Result<CallLog, String> {
        let path = PathBuf::from(&config.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let file = open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (tx, rx) = bounded::<String>(QUEUE);
        let stats = Arc::new(CallLogStats::default());
        let (writer_stats, writer_path, config) = (stats.clone(), path.clone(), config.clone());
        let thread = std::thread::Builder::new()
            .name("minibot-calllog".into())
            .spawn(move || write_lines(&rx, file, &writer_path, &config, &writer_stats))
            .map_err(|e| format!("cannot start the call log: {e}"))?;
        Ok(CallLog { tx: Mutex::new(Some(tx)), thread: Mutex::new(Some(thread)), stats, path })
    }

    /// Queues one line (a JSON object); never blocks.
    pub fn write(&self, line: String) {
        if let Some(tx) = self.tx.lock().as_ref() {
            match tx.try_send(line) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Writes what is queued, then joins the writer.
    pub fn shutdown(&self) {
        drop(self.tx.lock().take());
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn rotated(path: &Path, n: u32) -> PathBuf {
    PathBuf::from(format!("{}.{n}", path.display()))
}

fn write_lines(rx: &Receiver<String>, file: File, path: &Path, config: &CallLogConfig, stats: &CallLogStats) {
    let mut size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut out = BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        for line in std::iter::once(first).chain(rx.try_iter()) {
            if size > 0 && size + line.len() as u64 + 1 > config.max_bytes {
                let _ = out.flush();
                match rotate(path, config.keep) {
                    Ok(file) => {
                        out = BufWriter::new(file);
                        size = 0;
                        stats.rotations.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        stats.errors.fetch_add(1, Ordering::Relaxed);
                        log::error!("call log {}: rotation failed ({e}); writing on", path.display());
                    }
                }
            }
            match out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n")) {
                Ok(()) => {
                    size += line.len() as u64 + 1;
                    stats.written.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    log::error!("call log {}: {e}", path.display());
                }
            }
        }
        let _ = out.flush(); // the queue is empty: what was written is on disk for readers
    }
    let _ = out.flush();
}

/// calls.jsonl.(keep-1) -> .keep (the oldest falls off), ..., calls.jsonl -> .1, a new file.
fn rotate(path: &Path, keep: u32) -> std::io::Result<File> {
    if keep == 0 {
        std::fs::remove_file(path)?;
        return open(path);
    }
    let _ = std::fs::remove_file(rotated(path, keep));
    for n in (1..keep).rev() {
        let from = rotated(path, n);
        if from.exists() {
            std::fs::rename(&from, rotated(path, n + 1))?;
        }
    }
    std::fs::rename(path, rotated(path, 1))?;
    open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_json_lines_without_transcripts() {
        assert_eq!(snake_case("StopDelayMs"), "stop_delay_ms");
        let dir = std::env::temp_dir().join(format!("minibot-calllog-ev-{}", std::process::id()));
        let path = dir.join("calls.jsonl");
        let log = Arc::new(CallLog::start(&CallLogConfig { path: path.to_string_lossy().into(), ..CallLogConfig::default() }).unwrap());
        set_current(Some(log.clone()));
        event("1795600000.1", "final", &[("Step", "q1".into()), ("Text", "j'ai un livret".into()), ("LatencyMs", "40.0".into())]);
        set_current(None);
        event("1795600000.1", "ignored", &[]);
        log.shutdown();
        let line: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        assert_eq!((line["call"].as_str(), line["event"].as_str(), line["step"].as_str(), line["latency_ms"].as_str()), (Some("1795600000.1"), Some("final"), Some("q1"), Some("40.0")));
        assert!(line.get("text").is_none() && line["ts"].as_str().unwrap().ends_with('Z'));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn lines_rotate_by_size_and_the_oldest_file_falls_off() {
        let dir = std::env::temp_dir().join(format!("minibot-calllog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("calls.jsonl");
        let log = CallLog::start(&CallLogConfig { path: path.to_string_lossy().into(), max_bytes: 1000, keep: 2 }).unwrap();
        for i in 0..100 {
            log.write(format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(80)));
        }
        log.shutdown();
        assert_eq!(log.stats.written.load(Ordering::Relaxed), 100);
        assert!(log.stats.rotations.load(Ordering::Relaxed) >= 8);
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
        let current = read(path.clone());
        assert!(current.len() <= 1000 && current.ends_with("\"}\n"), "{current}");
        assert!(current.contains("\"n\":99,"), "the newest line is in the current file");
        assert!(read(rotated(&path, 1)).len() <= 1000 && rotated(&path, 2).exists());
        assert!(!rotated(&path, 3).exists(), "keep = 2");
        for text in [current, read(rotated(&path, 1)), read(rotated(&path, 2))] {
            for line in text.lines() {
                serde_json::from_str::<serde_json::Value>(line).expect("whole JSON lines, never torn by a rotation");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

