//! The media path of one call, run by the audiohook on the thread that reads the channel:
//! callee audio -> VAD -> segmenter -> recognizer (inline or queued to its worker), and timing of
//! the outgoing audio. Speech events go to the controller through a channel; nothing here blocks
//! except, in inline mode, the recognizer itself.

use crate::amd::tone::ToneDetector;
use crate::asr::Session;
use crate::audio::Resampler;
use crate::obs::metrics::METRICS;
use crate::vad::{FrameClassifier, SegmentEvent, Segmenter, SegmenterConfig};
use crossbeam_channel::Sender;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// Speech confirmed (the barge-in trigger) at `confirmed_at`; it began `onset_ms` earlier.
    SpeechStarted { confirmed_at: Instant, stream_ms: u64, onset_ms: u64 },
    /// A short silence inside the turn (`[vad] pause_ms`); the recognizer was asked for the words
    /// so far. The callee's last voiced frame ended at `last_voice_at`; `seq` numbers the pause.
    SpeechPaused { last_voice_at: Instant, seq: u64 },
    /// The callee went on after a pause.
    SpeechResumed,
    /// The turn ended (hangover elapsed, or the call ended it); the recognizer was asked for its
    /// final result. The callee's last voiced frame ended at `last_voice_at`.
    SpeechEnded { at: Instant, last_voice_at: Instant, stream_ms: u64, speech_ms: u64 },
    /// The channel's audio rate, first seen or changed.
    Rate(u32),
    /// A voicemail beep in the callee's audio (its frequency, Hz).
    Beep(u32),
}

/// Live view of the media path, read by the CLI from another thread.
#[derive(Default)]
pub struct MediaState {
    pub speaking: AtomicBool,
}

pub struct MediaPipeline {
    /// The rate the VAD and the recognizer run at for this call (8 or 16 kHz), fixed at its start.
    rate: u32,
    /// Callee audio at whatever rate the channel hands it, converted to `rate`.
    resampler: Option<Resampler>,
    resampled: Vec<i16>,
    classifier: Option<FrameClassifier>,
    segmenter: Option<Segmenter>,
    tone: ToneDetector,
    asr: Option<Session>,
    events: Sender<MediaEvent>,
    state: Arc<MediaState>,
    scratch: Vec<SegmentEvent>,
    /// When callee audio last arrived, and how much stream time it covered up to then.
    last_read: Option<Instant>,
    last_write: Option<Instant>,
    /// Largest gap between outgoing frames while the callee was talking (ms).
    pub max_write_gap_talking_ms: f64,
}

impl MediaPipeline {
    /// `rate`: what the VAD and the recognizer run at (see [`crate::audio::processing_rate`]).
    pub fn new(config: SegmenterConfig, rate: u32, asr: Option<Session>, events: Sender<MediaEvent>, state: Arc<MediaState>) -> MediaPipeline {
        let classifier = FrameClassifier::new(rate);
        if classifier.is_none() {
            log::warn!("no VAD at {rate} Hz: this call is DTMF-only");
        }
        MediaPipeline {
            rate,
            resampler: None,
            resampled: Vec::new(),
            segmenter: classifier.as_ref().map(|_| Segmenter::new(config, rate)),
            tone: ToneDetector::new(rate),
            classifier,
            asr,
            events,
            state,
            scratch: Vec::new(),
            last_read: None,
            last_write: None,
            max_write_gap_talking_ms: 0.0,
        }
    }

    /// Audio from the callee.
    pub fn on_read(&mut self, samples: &[i16], native_rate: u32) {
        let started = Instant::now();
        self.last_read = Some(started);
        if native_rate == 0 || samples.is_empty() {
            return;
        }
        if self.resampler.as_ref().map(Resampler::from_rate) != Some(native_rate) {
            // First frame, or the channel changed codec mid-call (a re-INVITE): same output rate.
            self.resampler = Some(Resampler::new(native_rate, self.rate));
            let _ = self.events.send(MediaEvent::Rate(native_rate));
            log::debug!("callee audio at {native_rate} Hz, {} samples per frame, processed at {} Hz", samples.len(), self.rate);
        }
        let resampler = self.resampler.as_mut().expect("set above");
        resampler.process(samples, &mut self.resampled);
        let (Some(classifier), Some(segmenter)) = (self.classifier.as_mut(), self.segmenter.as_mut()) else { return };
        let (scratch, tone, events) = (&mut self.scratch, &mut self.tone, &self.events);
        classifier.push(&self.resampled, |frame, voiced| {
            segmenter.push(frame, voiced, scratch);
            if let Some(hz) = tone.push(frame) {
                let _ = events.send(MediaEvent::Beep(hz));
            }
        });
        let vad_elapsed = started.elapsed();
        self.dispatch();
        // Per 20 ms frame: the classifier ran once per frame in this chunk.
        let frames = (self.resampled.len() / (self.rate as usize / 50).max(1)).max(1) as u32;
        METRICS.vad_frame_us.record_us(vad_elapsed / frames);
        METRICS.read_hook_us.record_us(started.elapsed());
    }

    /// Called by the call's loop every few tens of ms. Trunks with silence suppression (and
    /// Local channels) send nothing while the callee is quiet; missing audio is silence, so the
    /// turn still ends after the hangover.
    pub fn tick(&mut self, now: Instant) {
        let Some(last) = self.last_read else { return };
        let Some(segmenter) = self.segmenter.as_mut() else { return };
        if !segmenter.in_speech() {
            return;
        }
        let missing_ms = now.saturating_duration_since(last).as_millis() as u32;
        // Two frames of slack: frames arrive with jitter.
        if missing_ms < 2 * crate::vad::FRAME_MS {
            return;
        }
        let frames = missing_ms / crate::vad::FRAME_MS;
        let silence = vec![0i16; (self.rate / 50) as usize];
        for _ in 0..frames {
            segmenter.push(&silence, false, &mut self.scratch);
        }
        self.last_read = Some(last + std::time::Duration::from_millis((frames * crate::vad::FRAME_MS) as u64));
        self.dispatch();
    }

    /// The call decided from the words at pause `seq` that `silence_ms` of silence ends the turn:
    /// the segmenter ends it then, in stream time (at once if that much has passed).
    pub fn end_turn_after(&mut self, seq: u64, silence_ms: u32) {
        if let Some(segmenter) = self.segmenter.as_mut() {
            segmenter.end_after(seq, silence_ms, &mut self.scratch);
            self.dispatch();
        }
    }

    /// When stream time `stream_ms` was, by the clock: audio is processed as it arrives.
    fn instant_of(&self, stream_ms: u64, now: Instant) -> Instant {
        let now_ms = self.segmenter.as_ref().map_or(stream_ms, Segmenter::now_ms);
        now.checked_sub(std::time::Duration::from_millis(now_ms.saturating_sub(stream_ms))).unwrap_or(now)
    }

    fn dispatch(&mut self) {
        // Taken out to read `self` while dispatching, and put back to keep its allocation (this
        // runs for every frame).
        let mut scratch = std::mem::take(&mut self.scratch);
        for event in scratch.drain(..) {
            match event {
                SegmentEvent::Started { started_ms, confirmed_ms, audio } => {
                    self.state.speaking.store(true, Ordering::Relaxed);
                    let _ = self.events.send(MediaEvent::SpeechStarted {
                        confirmed_at: Instant::now(),
                        stream_ms: confirmed_ms,
                        onset_ms: confirmed_ms - started_ms,
                    });
                    if let Some(asr) = self.asr.as_mut() {
                        asr.feed(audio);
                    }
                }
                SegmentEvent::Audio(frame) => {
                    if let Some(asr) = self.asr.as_mut() {
                        asr.feed(frame);
                    }
                }
                SegmentEvent::Paused { last_voice_ms, seq } => {
                    if let Some(asr) = self.asr.as_mut() {
                        asr.pause(seq);
                    }
                    let last_voice_at = self.instant_of(last_voice_ms, Instant::now());
                    let _ = self.events.send(MediaEvent::SpeechPaused { last_voice_at, seq });
                }
                SegmentEvent::Resumed => {
                    let _ = self.events.send(MediaEvent::SpeechResumed);
                }
                SegmentEvent::Ended { started_ms, last_voice_ms, confirmed_ms } => {
                    self.state.speaking.store(false, Ordering::Relaxed);
                    let now = Instant::now();
                    if let Some(asr) = self.asr.as_mut() {
                        asr.end_turn(now);
                    }
                    let _ = self.events.send(MediaEvent::SpeechEnded {
                        at: now,
                        last_voice_at: self.instant_of(last_voice_ms, now),
                        stream_ms: confirmed_ms,
                        speech_ms: last_voice_ms - started_ms,
                    });
                }
            }
        }
        self.scratch = scratch;
    }

    /// Audio to the callee: measures how regularly it leaves (and while the callee talks).
    pub fn on_write(&mut self, samples: &[i16], rate: u32) {
        let now = Instant::now();
        if let Some(last) = self.last_write.replace(now) {
            let gap_ms = (now - last).as_secs_f64() * 1000.0;
            // Gaps over 200 ms are pauses between prompts, not jitter.
            if gap_ms < 200.0 {
                // A frame's own length is its due interval (20 ms on every common codec).
                let due_ms = if rate > 0 { samples.len() as f64 * 1000.0 / rate as f64 } else { 20.0 };
                METRICS.write_gap_ms.record(gap_ms);
                METRICS.frames_out.fetch_add(1, Ordering::Relaxed);
                if gap_ms > due_ms + 20.0 {
                    METRICS.late_frames.fetch_add(1, Ordering::Relaxed);
                }
                if self.state.speaking.load(Ordering::Relaxed) {
                    METRICS.write_gap_talking_ms.record(gap_ms);
                    self.max_write_gap_talking_ms = self.max_write_gap_talking_ms.max(gap_ms);
                }
            }
        }
    }
}
