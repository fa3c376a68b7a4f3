//! The per-call structured log: one JSON line per call event, appended by a thread of its own
//! (a channel thread only queues the line, never waits on the disk), with size-based rotation
//! (calls.jsonl -> calls.jsonl.1 -> ... -> calls.jsonl.<keep>, the oldest dropped). Callers mask
//! phone numbers and leave transcripts out: they live in the database only.

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use std::collections::HashSet;
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use crate::config::document::{ConfigError, FromKeys, Key};

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

/// What the writer thread is handed: a line, or the right to erasure.
enum Work {
    Line(String),
    /// Removes every line of these calls (channel uniqueids) from the current and rotated files;
    /// answers how many lines went.
    Erase { calls: HashSet<String>, done: Sender<Result<usize, String>> },
}

pub struct CallLog {
    tx: Mutex<Option<Sender<Work>>>,
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

/// The right to erasure in the call log: removes the lines of `calls` (their channels'
/// uniqueids) from every file of the log, waiting (bounded) for the writer to do it.
pub fn erase_calls(calls: &[String]) -> Result<usize, String> {
    match CURRENT.read().clone() {
        Some(log) => log.erase(calls),
        None => Ok(0),
    }
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
        let (tx, rx) = bounded::<Work>(QUEUE);
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
            match tx.try_send(Work::Line(line)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                    self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Removes the lines of `calls` from every file, after the lines queued before; bounded wait.
    pub fn erase(&self, calls: &[String]) -> Result<usize, String> {
        if calls.is_empty() {
            return Ok(0);
        }
        let (done, answer) = bounded(1);
        let tx = self.tx.lock().clone().ok_or("the call log is stopping")?;
        let timeout = std::time::Duration::from_secs(30);
        tx.send_timeout(Work::Erase { calls: calls.iter().cloned().collect(), done }, timeout).map_err(|_| "the call log's writer is not answering".to_string())?;
        answer.recv_timeout(timeout).map_err(|_| "the call log's writer did not finish the erasure in time".to_string())?
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

fn write_lines(rx: &Receiver<Work>, file: File, path: &Path, config: &CallLogConfig, stats: &CallLogStats) {
    let mut size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut out = BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        for work in std::iter::once(first).chain(rx.try_iter()) {
            let line = match work {
                Work::Line(line) => line,
                Work::Erase { calls, done } => {
                    let _ = out.flush();
                    let erased = erase(path, config.keep, &calls);
                    // The current file was replaced: append to the new one.
                    match open(path) {
                        Ok(file) => {
                            size = file.metadata().map(|m| m.len()).unwrap_or(0);
                            out = BufWriter::new(file);
                        }
                        Err(e) => log::error!("call log {}: {e}", path.display()),
                    }
                    let _ = done.send(erased);
                    continue;
                }
            };
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

/// Rewrites the log's files without the lines of `calls` (each file replaced by a rename).
fn erase(path: &Path, keep: u32, calls: &HashSet<String>) -> Result<usize, String> {
    let mut erased = 0;
    for file in std::iter::once(path.to_path_buf()).chain((1..=keep).map(|n| rotated(path, n))) {
        let text = match std::fs::read(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let mut kept = Vec::with_capacity(text.len());
        for line in text.split_inclusive(|b| *b == b'\n') {
            let call = serde_json::from_slice::<serde_json::Value>(line).ok().and_then(|v| v.get("call").and_then(|c| c.as_str()).map(str::to_string));
            if call.is_some_and(|c| calls.contains(&c)) {
                erased += 1;
            } else {
                kept.extend_from_slice(line);
            }
        }
        if kept.len() != text.len() {
            let tmp = PathBuf::from(format!("{}.erase", file.display()));
            std::fs::write(&tmp, &kept).and_then(|()| std::fs::rename(&tmp, &file)).map_err(|e| format!("{}: {e}", file.display()))?;
        }
    }
    Ok(erased)
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

/// `[calllog]` in minibot.conf.
impl FromKeys for CallLogConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "file" => self.path = key.no_climbing()?.into(),
            "max_mb" => self.max_bytes = u64::from(key.number(1, 100_000)?) * 1024 * 1024,
            "keep" => self.keep = key.number(0, 1000)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
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
    fn the_lines_of_a_person_s_calls_are_erased_from_every_file() {
        let dir = std::env::temp_dir().join(format!("minibot-calllog-erase-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("calls.jsonl");
        let log = CallLog::start(&CallLogConfig { path: path.to_string_lossy().into(), max_bytes: 400, keep: 3 }).unwrap();
        for i in 0..30 {
            log.write(format!("{{\"call\":\"{}\",\"event\":\"step\",\"n\":{i}}}", if i % 3 == 0 { "gone.1" } else { "kept.2" }));
        }
        // Lines queued before the erasure are written first: none of the person's survives.
        let erased = log.erase(&["gone.1".to_string()]).unwrap();
        log.write("{\"call\":\"kept.2\",\"event\":\"after\"}".into());
        log.shutdown();
        let all: String = std::iter::once(path.clone()).chain((1..=3).map(|n| rotated(&path, n))).filter_map(|p| std::fs::read_to_string(p).ok()).collect();
        assert!(!all.contains("gone.1"), "{all}");
        assert!(erased >= 1 && all.contains("\"event\":\"after\""), "{erased} {all}");
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

