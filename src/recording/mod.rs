//! Call recordings: both directions of a call in one stereo WAV file (callee left, bot right),
//! written by one writer thread for the whole module. The media thread only copies each frame
//! into a bounded queue (a frame that does not fit is dropped and counted, never waited for);
//! the writer resamples, aligns the two sides in time and appends to the file, whose header is
//! kept valid after each append so a call cut short still leaves a playable file.

pub mod align;
pub mod wav;

use crate::audio::Resampler;
use align::{Aligner, Side};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wav::WavWriter;

#[derive(Debug, Clone, PartialEq)]
pub struct RecordingConfig {
    /// Where recordings go (absolute): `<dir>/<campaign>/<YYYY-MM-DD>/<call id>.wav`.
    pub dir: String,
    /// Frames waiting for the writer, all calls together (50 per second per call).
    pub queue: usize,
}

impl Default for RecordingConfig {
    fn default() -> RecordingConfig {
        RecordingConfig { dir: String::new(), queue: 50 * 60 * 20 }
    }
}

/// How often the writer appends what both sides have (and how late a frame may be written).
const APPEND_EVERY: Duration = Duration::from_millis(250);

/// A recording's state, shared by its tap and the writer.
const WRITING: u8 = 0;
/// A write failed: the file holds the call up to there (it stays the call's recording).
const STOPPED: u8 = 1;
/// The file could not be created: there is no recording.
const NOT_CREATED: u8 = 2;

type State = Arc<AtomicU8>;

enum Message {
    Open { id: u64, path: PathBuf, rate: u32, started: Instant, state: State },
    Frame { id: u64, side: Side, rate: u32, at: Instant, samples: Vec<i16> },
    Close { id: u64 },
    /// The callee refused the recording: closed and deleted.
    Discard { id: u64 },
}

/// Counters for the metrics page.
#[derive(Default)]
pub struct RecorderStats {
    pub recordings: AtomicU64,
    pub failures: AtomicU64,
    pub dropped_frames: AtomicU64,
    pub seconds_written: AtomicU64,
    /// Recordings deleted because the callee objected.
    pub discarded: AtomicU64,
}

pub static STATS: RecorderStats = RecorderStats {
    recordings: AtomicU64::new(0),
    failures: AtomicU64::new(0),
    dropped_frames: AtomicU64::new(0),
    seconds_written: AtomicU64::new(0),
    discarded: AtomicU64::new(0),
};

struct Running {
    sender: Sender<Message>,
    thread: JoinHandle<()>,
}

/// The module's recorder. Its thread starts with the first recorded call (a module that never
/// records starts none) and is joined by [`Recorder::shutdown`], after writing every open file.
pub struct Recorder {
    config: RecordingConfig,
    running: Mutex<Option<Running>>,
    queued: Arc<AtomicUsize>,
    next_id: AtomicU64,
}

impl Recorder {
    pub fn new(config: RecordingConfig) -> Recorder {
        Recorder { config, running: Mutex::new(None), queued: Arc::default(), next_id: AtomicU64::new(1) }
    }

    pub fn dir(&self) -> &str {
        &self.config.dir
    }

    /// Starts recording a call into `path` at `rate` Hz. The file is created by the writer; the
    /// returned tap says how that went ([`Tap::healthy`], [`Tap::has_file`]).
    pub fn start(&self, path: PathBuf, rate: u32) -> Result<Tap, String> {
        let sender = {
            let mut running = self.running.lock();
            if running.is_none() {
                let (sender, receiver) = crossbeam_channel::unbounded();
                let queued = self.queued.clone();
                let thread = std::thread::Builder::new()
                    .name("minibot-rec".into())
                    .spawn(move || writer(receiver, queued))
                    .map_err(|e| format!("cannot start the recording thread: {e}"))?;
                *running = Some(Running { sender, thread });
            }
            running.as_ref().map(|r| r.sender.clone()).ok_or("no recording thread")?
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let state: State = Arc::new(AtomicU8::new(WRITING));
        sender
            .send(Message::Open { id, path: path.clone(), rate, started: Instant::now(), state: state.clone() })
            .map_err(|_| "the recording thread has stopped".to_string())?;
        Ok(Tap { id, sender, queued: self.queued.clone(), limit: self.config.queue, state, path })
    }

    /// Writes what is still queued, closes every file and joins the thread.
    pub fn shutdown(&self) {
        let Some(running) = self.running.lock().take() else { return };
        drop(running.sender);
        if running.thread.join().is_err() {
            log::error!("the recording thread panicked");
        }
    }
}

/// One call's end of the recorder, held by its media path.
pub struct Tap {
    id: u64,
    sender: Sender<Message>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    state: State,
    path: PathBuf,
}

impl Tap {
    /// One frame (copied; never blocks). `callee`: the callee's audio, else the bot's.
    pub fn frame(&self, callee: bool, samples: &[i16], rate: u32) {
        if self.state.load(Ordering::Relaxed) != WRITING || samples.is_empty() || rate == 0 {
            return;
        }
        if self.queued.load(Ordering::Relaxed) >= self.limit {
            STATS.dropped_frames.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        let side = if callee { Side::Callee } else { Side::Bot };
        let message = Message::Frame { id: self.id, side, rate, at: Instant::now(), samples: samples.to_vec() };
        if self.sender.send(message).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// False once the file could not be created or written.
    pub fn healthy(&self) -> bool {
        self.state.load(Ordering::Relaxed) == WRITING
    }

    /// Whether the call's record should name the file: unless it could not be created (a file
    /// cut short by a write error still holds the call up to there, and must be purged with it;
    /// one not created yet when the call ends is about to be).
    pub fn has_file(&self) -> bool {
        self.state.load(Ordering::Relaxed) != NOT_CREATED
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The callee objected: nothing more is recorded and the file is deleted (by the writer,
    /// after what it holds of the call, so no later append recreates it).
    pub fn discard(self) {
        self.state.store(STOPPED, Ordering::Relaxed);
        let _ = self.sender.send(Message::Discard { id: self.id });
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        let _ = self.sender.send(Message::Close { id: self.id });
    }
}

/// The recording path of a call: `<dir>/<campaign>/<date>/<call id>.wav`, with only safe
/// characters from the call id (a uniqueid such as "1764158400.42").
pub fn path_for(dir: &str, campaign: &str, date: &str, call_id: &str) -> PathBuf {
    let safe = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect::<String>();
    let file = safe(call_id).trim_start_matches('.').to_string();
    Path::new(dir).join(safe(campaign)).join(safe(date)).join(format!("{file}.wav"))
}

struct Open {
    file: WavWriter,
    path: PathBuf,
    rate: u32,
    started: Instant,
    aligner: Aligner,
    resamplers: [Option<Resampler>; 2],
    state: State,
}

impl Open {
    fn push(&mut self, side: Side, rate: u32, at: Instant, samples: &[i16], scratch: &mut Vec<i16>) {
        let resampler = &mut self.resamplers[side as usize];
        if resampler.as_ref().map(Resampler::from_rate) != Some(rate) {
            *resampler = Some(Resampler::new(rate, self.rate));
        }
        if let Some(resampler) = resampler.as_mut() {
            resampler.process(samples, scratch);
        }
        let at_ms = at.saturating_duration_since(self.started).as_millis() as u64;
        self.aligner.push(side, at_ms, scratch);
    }

    /// Writes what both sides have. The quiet side is filled from the frames' own times (in
    /// `push`), never from the writer's clock: a writer running behind must not put silence
    /// before frames still queued for it.
    fn append(&mut self, interleaved: &mut Vec<i16>) -> bool {
        interleaved.clear();
        self.aligner.take_ready(interleaved);
        self.write(interleaved)
    }

    fn write(&mut self, interleaved: &[i16]) -> bool {
        match self.file.append(interleaved) {
            Ok(()) => true,
            Err(e) => {
                log::error!("recording {}: {e}; the recording stops here", self.path.display());
                self.state.store(STOPPED, Ordering::Relaxed);
                false
            }
        }
    }

    fn close(mut self) {
        let mut rest = Vec::new();
        self.aligner.finish(&mut rest);
        let written = self.write(&rest);
        let seconds = self.file.seconds(self.rate);
        match self.file.finish() {
            Ok(()) if written => {
                STATS.seconds_written.fetch_add(seconds as u64, Ordering::Relaxed);
                log::debug!("recording {} closed ({seconds:.1} s)", self.path.display());
            }
            Ok(()) => {}
            Err(e) => {
                self.state.store(STOPPED, Ordering::Relaxed);
                log::error!("recording {}: {e}", self.path.display());
            }
        }
    }
}

fn open(path: &Path, rate: u32, started: Instant, state: State) -> Option<Open> {
    let created = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| WavWriter::create(path, 2, rate));
    match created {
        Ok(file) => {
            STATS.recordings.fetch_add(1, Ordering::Relaxed);
            Some(Open { file, path: path.to_path_buf(), rate, started, aligner: Aligner::new(rate), resamplers: [None, None], state })
        }
        Err(e) => {
            STATS.failures.fetch_add(1, Ordering::Relaxed);
            state.store(NOT_CREATED, Ordering::Relaxed);
            log::error!("cannot create the recording {}: {e}; this call is not recorded", path.display());
            None
        }
    }
}

fn writer(receiver: Receiver<Message>, queued: Arc<AtomicUsize>) {
    let mut calls: HashMap<u64, Open> = HashMap::new();
    let (mut scratch, mut interleaved) = (Vec::new(), Vec::new());
    let mut last_append = Instant::now();
    loop {
        match receiver.recv_timeout(APPEND_EVERY) {
            Ok(Message::Open { id, path, rate, started, state }) => {
                if let Some(call) = open(&path, rate, started, state) {
                    calls.insert(id, call);
                }
            }
            Ok(Message::Frame { id, side, rate, at, samples }) => {
                queued.fetch_sub(1, Ordering::Relaxed);
                if let Some(call) = calls.get_mut(&id) {
                    call.push(side, rate, at, &samples, &mut scratch);
                }
            }
            Ok(Message::Close { id }) => {
                if let Some(call) = calls.remove(&id) {
                    call.close();
                }
            }
            Ok(Message::Discard { id }) => {
                if let Some(call) = calls.remove(&id) {
                    let path = call.path.clone();
                    call.close();
                    match std::fs::remove_file(&path) {
                        Ok(()) => log::info!("recording {} deleted: the callee objected", path.display()),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => log::error!("recording {} could not be deleted ({e}): the callee objected to it", path.display()),
                    }
                    STATS.discarded.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_append.elapsed() >= APPEND_EVERY {
            last_append = Instant::now();
            calls.retain(|_, call| call.append(&mut interleaved) || {
                STATS.failures.fetch_add(1, Ordering::Relaxed);
                false
            });
        }
    }
    for (_, call) in calls.drain() {
        call.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_to_the_recording_directory() {
        let p = path_for("/var/spool/asterisk/monitor/minibot", "demo", "2026-11-26", "1764158400.42");
        assert_eq!(p, PathBuf::from("/var/spool/asterisk/monitor/minibot/demo/2026-11-26/1764158400.42.wav"));
        let p = path_for("/r", "../x", "d", "../../etc/passwd");
        assert!(!p.to_string_lossy().contains("/../"), "{}", p.display());
        assert!(p.starts_with("/r"));
    }

    #[test]
    fn a_call_is_written_as_stereo_and_closed_at_shutdown() {
        let dir = std::env::temp_dir().join(format!("minibot-rec-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let recorder = Recorder::new(RecordingConfig { dir: dir.to_string_lossy().into(), queue: 1000 });
        let path = path_for(recorder.dir(), "demo", "2026-11-26", "1.1");
        let tap = recorder.start(path.clone(), 8000).unwrap();
        for _ in 0..10 {
            tap.frame(true, &[1000; 160], 8000);
            tap.frame(false, &[-1000; 320], 16000); // the bot's side at another rate
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(tap.healthy());
        drop(tap);
        recorder.shutdown();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 2);
        let samples: Vec<i16> = bytes[44..].chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        let left = samples.iter().step_by(2).filter(|s| **s == 1000).count();
        let right = samples.iter().skip(1).step_by(2).filter(|s| **s < -500).count();
        assert!(left >= 1500 && left <= 1600, "left {left}");
        assert!(right >= 1400, "right {right}");
        // Unwritable: the tap says so, nothing panics.
        let recorder = Recorder::new(RecordingConfig { dir: "/proc/minibot".into(), queue: 1000 });
        let tap = recorder.start(PathBuf::from("/proc/minibot/x/y.wav"), 8000).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while tap.has_file() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!tap.healthy() && !tap.has_file());
        drop(tap);
        recorder.shutdown();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
