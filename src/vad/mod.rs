//! Voice activity: WebRTC VAD on every 20 ms frame, then a segmenter that turns voiced/unvoiced
//! frames into speech turns with an onset (a cough must not barge in), a hangover (a breath
//! must not end the turn) and a pre-roll (the first syllable must reach the recognizer).
//! Inside a turn it also reports a short pause (`pause_ms`) and its end, so that the call can
//! decide the end of turn from what was said before the hangover runs out (`[turn]`).
//! The WebRTC library keeps calling frames voiced ~100 ms after a voice stops (its own
//! hangover); a frame within `tail_db` of the line's noise floor counts as silence here, whatever
//! the library says (a quiet last syllable stays well above the floor).
//!
//! Times are stream times in milliseconds (frames counted since the call's audio began), so the
//! segmenter is deterministic and unit-tested without a clock.

use std::collections::VecDeque;
use webrtc_vad::{SampleRate, Vad, VadMode};
use crate::config::document::{ConfigError, FromKeys, Key};

pub const FRAME_MS: u32 = 20;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmenterConfig {
    /// Voiced time before speech is confirmed ("speech started", barge-in).
    pub onset_ms: u32,
    /// Unvoiced time inside speech before the turn is declared over.
    pub hangover_ms: u32,
    /// Audio kept from before the onset and handed to the recognizer with it.
    pub preroll_ms: u32,
    /// Longest turn: continuous noise (a radio, a line fault) must not keep a turn open forever.
    /// The turn is ended there as if the callee had paused.
    pub max_speech_ms: u32,
    /// Unvoiced time inside speech reported as a pause (0: none): the call decides there.
    pub pause_ms: u32,
    /// A frame less than this many dB above the line's noise floor is silence, whatever the VAD
    /// says (0: the VAD alone).
    pub tail_db: u32,
    /// Of the onset, this much must be periodic (a voice's pitch): a cough or a click, voiced for
    /// the VAD, is noise without pitch and does not stop the prompt (0: the VAD alone).
    pub onset_pitched_ms: u32,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig { onset_ms: 200, hangover_ms: 300, preroll_ms: 300, max_speech_ms: 30_000, pause_ms: 100, tail_db: 6, onset_pitched_ms: 60 }
    }
}

/// Splits a stream of samples at 8/16/32/48 kHz into 20 ms frames and classifies each one.
/// Not `Send` (webrtc-vad's state is not): it lives on the thread that reads the channel.
pub struct FrameClassifier {
    vad: Vad,
    frame_len: usize,
    pending: Vec<i16>,
}

impl FrameClassifier {
    pub fn new(sample_rate: u32) -> Option<FrameClassifier> {
        let rate = match sample_rate {
            8000 => SampleRate::Rate8kHz,
            16000 => SampleRate::Rate16kHz,
            32000 => SampleRate::Rate32kHz,
            48000 => SampleRate::Rate48kHz,
            _ => return None,
        };
        // Aggressive: the gentler modes call the first 100-140 ms of any stream speech.
        let vad = Vad::new_with_rate_and_mode(rate, VadMode::Aggressive);
        let frame_len = (sample_rate / 1000 * FRAME_MS) as usize;
        Some(FrameClassifier { vad, frame_len, pending: Vec::with_capacity(frame_len * 2) })
    }

    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Feeds any number of samples; `on_frame(frame, voiced)` runs for each complete 20 ms frame.
    pub fn push(&mut self, samples: &[i16], mut on_frame: impl FnMut(&[i16], bool)) {
        self.pending.extend_from_slice(samples);
        let mut start = 0;
        while self.pending.len() - start >= self.frame_len {
            let frame = &self.pending[start..start + self.frame_len];
            let voiced = self.vad.is_voice_segment(frame).unwrap_or(false);
            on_frame(frame, voiced);
            start += self.frame_len;
        }
        self.pending.drain(..start);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SegmentEvent {
    /// Speech confirmed at `confirmed_ms`; it began at `started_ms`. `audio` is the pre-roll
    /// and the onset frames, to feed the recognizer before the frames that follow.
    Started { started_ms: u64, confirmed_ms: u64, audio: Vec<i16> },
    /// A frame inside speech (hangover frames included), for the recognizer.
    Audio(Vec<i16>),
    /// `pause_ms` of silence inside the turn; its last voiced frame ended at `last_voice_ms`.
    /// `seq` numbers the pauses of the call (see [`Segmenter::end_after`]).
    Paused { last_voice_ms: u64, seq: u64 },
    /// The voice came back after a pause: the turn goes on.
    Resumed,
    /// The turn is over: speech ran from `started_ms` to `last_voice_ms`, confirmed at `confirmed_ms`.
    Ended { started_ms: u64, last_voice_ms: u64, confirmed_ms: u64 },
}

enum State {
    /// `pitched_ms`: how much of the voiced run had a pitch.
    Silence { voiced_run_ms: u32, pitched_ms: u32 },
    Speech { started_ms: u64, silence_run_ms: u32, paused: bool },
}

/// The line's noise floor: a slow average of the energy (dB) of the frames the VAD calls
/// unvoiced. None until one has been heard.
#[derive(Clone, Copy, Default)]
struct Floor(Option<f64>);

impl Floor {
    fn hear(&mut self, db: f64) {
        self.0 = Some(self.0.map_or(db, |floor| floor + 0.05 * (db - floor)));
    }

    fn near(&self, db: f64, margin_db: f64) -> bool {
        margin_db > 0.0 && self.0.is_some_and(|floor| db < floor + margin_db)
    }
}

/// How periodic a frame is (0..1): the highest peak of its normalized autocorrelation over the
/// lags of a voice's pitch (70-400 Hz), after a pre-emphasis that whitens the spectrum. Voiced
/// speech scores high; noise (a cough, a click) low: its correlation only falls with the lag,
/// with no peak.
pub fn periodicity(frame: &[i16], sample_rate: u32) -> f32 {
    // At 16 kHz and above, every other sample is enough for a pitch.
    let step = (sample_rate / 8000).max(1) as usize;
    let raw: Vec<f32> = frame.iter().step_by(step).map(|&s| f32::from(s)).collect();
    let x: Vec<f32> = raw.windows(2).map(|w| w[1] - 0.95 * w[0]).collect();
    let rate = sample_rate as usize / step;
    let (min_lag, max_lag) = ((rate / 400).max(2), (rate / 70).min(x.len() * 3 / 4));
    let r = |lag: usize| -> f32 {
        let (a, b) = (&x[..x.len() - lag], &x[lag..]);
        let dot: f32 = a.iter().zip(b).map(|(p, q)| p * q).sum();
        let energy = a.iter().map(|v| v * v).sum::<f32>() * b.iter().map(|v| v * v).sum::<f32>();
        if energy > 0.0 { dot / energy.sqrt() } else { 0.0 }
    };
    let scores: Vec<f32> = (min_lag - 1..=max_lag + 1).map(r).collect();
    // Only a peak (higher than both neighbours) is a period.
    scores.windows(3).filter(|w| w[1] > w[0] && w[1] >= w[2]).map(|w| w[1]).fold(0.0, f32::max)
}

/// Frames whose periodicity reaches this have a pitch.
const PITCHED: f32 = 0.5;

/// A frame's energy in dB (of 16-bit full scale squared; digital silence is 0).
fn frame_db(frame: &[i16]) -> f64 {
    let power = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / frame.len().max(1) as f64;
    10.0 * (power + 1.0).log10()
}

pub struct Segmenter {
    config: SegmenterConfig,
    state: State,
    /// Recent audio while silent: pre-roll plus the frames of a possible onset.
    history: VecDeque<i16>,
    history_cap: usize,
    now_ms: u64,
    floor: Floor,
    sample_rate: u32,
    /// Pauses reported so far; the silence the call asked for to end the turn at the latest one.
    pause_seq: u64,
    turn_end_ms: Option<u32>,
    /// A turn has just ended and the VAD has called every frame since voiced (its tail).
    after_turn: bool,
}

impl Segmenter {
    pub fn new(config: SegmenterConfig, sample_rate: u32) -> Segmenter {
        let history_cap = (sample_rate as u64 * (config.preroll_ms + config.onset_ms) as u64 / 1000) as usize;
        Segmenter {
            config,
            state: State::Silence { voiced_run_ms: 0, pitched_ms: 0 },
            history: VecDeque::with_capacity(history_cap),
            history_cap,
            now_ms: 0,
            floor: Floor::default(),
            sample_rate,
            pause_seq: 0,
            turn_end_ms: None,
            after_turn: false,
        }
    }

    pub fn in_speech(&self) -> bool {
        matches!(self.state, State::Speech { .. })
    }

    /// Stream time at the end of the last frame pushed.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Feeds one 20 ms frame and its VAD verdict.
    pub fn push(&mut self, frame: &[i16], voiced: bool, events: &mut Vec<SegmentEvent>) {
        self.now_ms += FRAME_MS as u64;
        let db = frame_db(frame);
        if !voiced {
            self.floor.hear(db);
        }
        match &mut self.state {
            State::Silence { voiced_run_ms, pitched_ms } => {
                // The VAD library's tail after a turn that ended early (it can call the line's
                // noise voiced for seconds after a voice) is not a voice starting: until it first
                // says unvoiced, a frame at the noise floor neither counts for the onset nor
                // breaks it.
                self.after_turn &= voiced;
                let at_floor = self.after_turn && self.floor.near(db, f64::from(self.config.tail_db));
                *voiced_run_ms = match (voiced, at_floor) {
                    (false, _) => 0,
                    (true, true) => *voiced_run_ms,
                    (true, false) => *voiced_run_ms + FRAME_MS,
                };
                if !voiced {
                    *pitched_ms = 0;
                } else if !at_floor && self.config.onset_pitched_ms > 0 && periodicity(frame, self.sample_rate) >= PITCHED {
                    *pitched_ms += FRAME_MS;
                }
                let (run, pitched) = (*voiced_run_ms, *pitched_ms);
                self.history.extend(frame.iter().copied());
                let excess = self.history.len().saturating_sub(self.history_cap);
                self.history.drain(..excess);
                if run >= self.config.onset_ms && pitched >= self.config.onset_pitched_ms {
                    let started_ms = self.now_ms - run as u64;
                    let audio: Vec<i16> = self.history.drain(..).collect();
                    events.push(SegmentEvent::Started { started_ms, confirmed_ms: self.now_ms, audio });
                    self.state = State::Speech { started_ms, silence_run_ms: 0, paused: false };
                }
            }
            State::Speech { started_ms, silence_run_ms, paused } => {
                events.push(SegmentEvent::Audio(frame.to_vec()));
                // The VAD's own tail: voiced for it, but no louder than the line's noise.
                if voiced && !self.floor.near(db, f64::from(self.config.tail_db)) {
                    *silence_run_ms = 0;
                    if std::mem::take(paused) {
                        self.turn_end_ms = None; // the words at that pause did not end the turn
                        events.push(SegmentEvent::Resumed);
                    }
                } else {
                    *silence_run_ms += FRAME_MS;
                }
                let last_voice_ms = self.now_ms - *silence_run_ms as u64;
                if self.config.pause_ms > 0 && !*paused && *silence_run_ms >= self.config.pause_ms {
                    *paused = true;
                    self.pause_seq += 1;
                    events.push(SegmentEvent::Paused { last_voice_ms, seq: self.pause_seq });
                }
                let too_long = self.now_ms - *started_ms >= self.config.max_speech_ms as u64;
                let hangover = self.turn_end_ms.unwrap_or(self.config.hangover_ms);
                if *silence_run_ms >= hangover || too_long {
                    let started_ms = *started_ms;
                    self.end(started_ms, last_voice_ms, events);
                }
            }
        }
    }

    /// The call decided, from the words at pause `seq`, that this much silence ends the turn:
    /// counted here in stream time (ended at once if it has passed), so a call loop or a decoder
    /// running late never ends a turn the callee has resumed. Ignored for an earlier pause.
    pub fn end_after(&mut self, seq: u64, silence_ms: u32, events: &mut Vec<SegmentEvent>) {
        let State::Speech { started_ms, silence_run_ms, paused: true } = self.state else { return };
        if seq != self.pause_seq {
            return;
        }
        if silence_run_ms >= silence_ms {
            self.end(started_ms, self.now_ms - u64::from(silence_run_ms), events);
        } else {
            self.turn_end_ms = Some(silence_ms);
        }
    }

    fn end(&mut self, started_ms: u64, last_voice_ms: u64, events: &mut Vec<SegmentEvent>) {
        events.push(SegmentEvent::Ended { started_ms, last_voice_ms, confirmed_ms: self.now_ms });
        self.state = State::Silence { voiced_run_ms: 0, pitched_ms: 0 };
        self.turn_end_ms = None;
        self.after_turn = true;
    }
}

/// `[vad]` in minibot.conf: durations in ms, whole VAD frames.
impl FromKeys for SegmenterConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        let target = match key.name() {
            "onset_ms" => &mut self.onset_ms,
            "hangover_ms" => &mut self.hangover_ms,
            "preroll_ms" => &mut self.preroll_ms,
            "max_speech_ms" => &mut self.max_speech_ms,
            "pause_ms" => &mut self.pause_ms,
            "onset_pitched_ms" => &mut self.onset_pitched_ms,
            "tail_db" => {
                self.tail_db = key.number(0, 60)?;
                return Ok(true);
            }
            _ => return Ok(false),
        };
        let least = if matches!(key.name(), "pause_ms" | "onset_pitched_ms") { 0 } else { 20 };
        let ms = key.number(least, if key.name() == "max_speech_ms" { 600_000 } else { 5000 })?;
        if ms % 20 != 0 {
            return Err(key.error(format!("'{}' is not a multiple of 20 ms (the VAD frame)", key.value())));
        }
        *target = ms;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 16000;

    /// The segmenter on the VAD's verdicts alone (these tests' frames carry no real levels).
    fn plain() -> SegmenterConfig {
        SegmenterConfig { tail_db: 0, onset_pitched_ms: 0, ..SegmenterConfig::default() }
    }

    fn run(pattern: &[(bool, u32)], config: SegmenterConfig) -> Vec<SegmentEvent> {
        let mut seg = Segmenter::new(config, RATE);
        let mut events = Vec::new();
        let mut n = 0i16;
        for &(voiced, ms) in pattern {
            for _ in 0..ms / FRAME_MS {
                n = n.wrapping_add(1);
                seg.push(&[n; 320], voiced, &mut events);
            }
        }
        events
    }

    fn summary(events: &[SegmentEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                SegmentEvent::Started { started_ms, confirmed_ms, audio } => {
                    Some(format!("start {started_ms} @{confirmed_ms} ({} ms audio)", audio.len() / 16))
                }
                SegmentEvent::Ended { started_ms, last_voice_ms, confirmed_ms } => {
                    Some(format!("end {started_ms}-{last_voice_ms} @{confirmed_ms}"))
                }
                SegmentEvent::Paused { last_voice_ms, .. } => Some(format!("pause {last_voice_ms}")),
                SegmentEvent::Resumed => Some("resumed".into()),
                SegmentEvent::Audio(_) => None,
            })
            .collect()
    }

    #[test]
    fn speech_is_confirmed_after_onset_and_ended_after_hangover() {
        let events = run(&[(false, 1000), (true, 800), (false, 600)], plain());
        // Speech 1000-1800; onset 200 ms -> confirmed at 1200; hangover 300 ms -> ended at 2100.
        // Audio handed over at the onset: 300 ms pre-roll + 200 ms onset.
        assert_eq!(summary(&events), ["start 1000 @1200 (500 ms audio)", "pause 1800", "end 1000-1800 @2100"]);
        let audio_frames = events.iter().filter(|e| matches!(e, SegmentEvent::Audio(_))).count();
        assert_eq!(audio_frames, (600 + 300) / 20, "speech after the onset plus the hangover");
    }

    #[test]
    fn short_noises_do_not_start_speech() {
        let events = run(&[(false, 500), (true, 180), (false, 100), (true, 100), (false, 500)], plain());
        assert!(events.is_empty(), "{:?}", summary(&events));
    }

    #[test]
    fn pauses_shorter_than_hangover_stay_in_one_turn() {
        let events = run(&[(true, 400), (false, 280), (true, 400), (false, 400)], plain());
        assert_eq!(summary(&events), ["start 0 @200 (200 ms audio)", "pause 400", "resumed", "pause 1080", "end 0-1080 @1380"]);
    }

    #[test]
    fn preroll_audio_is_the_frames_just_before_the_onset() {
        let mut seg = Segmenter::new(SegmenterConfig { onset_ms: 40, hangover_ms: 100, preroll_ms: 40, ..plain() }, RATE);
        let mut events = Vec::new();
        for i in 0..10i16 {
            seg.push(&[i; 320], i >= 8, &mut events);
        }
        let SegmentEvent::Started { audio, .. } = &events[0] else { panic!("{events:?}") };
        let firsts: Vec<i16> = audio.chunks(320).map(|c| c[0]).collect();
        assert_eq!(firsts, [6, 7, 8, 9]);
    }

    #[test]
    fn a_voice_has_a_pitch_and_noise_has_none() {
        for rate in [8000u32, 16000] {
            let n = (rate / 50) as usize;
            let voice: Vec<i16> = (0..n).map(|i| {
                let t = i as f64 / f64::from(rate);
                let s: f64 = (1..8).map(|h| (2.0 * std::f64::consts::PI * 140.0 * h as f64 * t).sin() / h as f64).sum();
                (s * 5000.0) as i16
            }).collect();
            let mut seed = 12345u32;
            let noise: Vec<i16> = (0..n).map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((seed >> 16) as i16) / 4
            }).collect();
            assert!(periodicity(&voice, rate) > 0.8, "{rate}: {}", periodicity(&voice, rate));
            assert!(periodicity(&noise, rate) < PITCHED, "{rate}: {}", periodicity(&noise, rate));
            assert_eq!(periodicity(&vec![0; n], rate), 0.0);
        }
    }

    /// A turn the call ended early, then the VAD library calling the line's quiet hum voiced for
    /// a while (its tail): no new onset there (it used to start a turn right after the reply
    /// began: a callee "going on" who had said nothing); a real voice after it: the usual onset.
    #[test]
    fn the_vad_tail_after_an_early_end_is_not_a_new_turn() {
        let mut seg = Segmenter::new(SegmenterConfig::default(), 8000);
        let mut events = Vec::new();
        let tone = |amplitude: f64| -> Vec<i16> { (0..160).map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 125.0 / 8000.0).sin() * amplitude) as i16).collect() };
        let (voice, hum) = (tone(8000.0), tone(60.0));
        for _ in 0..25 {
            seg.push(&hum, false, &mut events); // the line's floor
        }
        for _ in 0..30 {
            seg.push(&voice, true, &mut events);
        }
        for _ in 0..5 {
            seg.push(&hum, true, &mut events); // the pause, voiced for the VAD
        }
        let seq = events.iter().find_map(|e| if let SegmentEvent::Paused { seq, .. } = e { Some(*seq) } else { None }).expect("a pause");
        seg.end_after(seq, 100, &mut events);
        assert!(!seg.in_speech(), "ended early");
        events.clear();
        for _ in 0..50 {
            seg.push(&hum, true, &mut events); // a second of the library's tail on a pitched hum
        }
        assert!(!events.iter().any(|e| matches!(e, SegmentEvent::Started { .. })), "the tail started a turn");
        for _ in 0..10 {
            seg.push(&voice, true, &mut events);
        }
        assert!(seg.in_speech(), "the callee who does go on is heard");
    }

    /// Voiced for the VAD but without a pitch (a cough): no onset; with a pitch: the usual one.
    #[test]
    fn an_onset_needs_a_pitch() {
        let config = SegmenterConfig { tail_db: 0, ..SegmenterConfig::default() };
        let mut seg = Segmenter::new(config, 8000);
        let mut events = Vec::new();
        let mut seed = 7u32;
        for _ in 0..20 {
            let noise: Vec<i16> = (0..160).map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((seed >> 16) as i16) / 4
            }).collect();
            seg.push(&noise, true, &mut events);
        }
        assert!(!seg.in_speech(), "400 ms of pitchless 'voice'");
        let voice: Vec<i16> = (0..160).map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 125.0 / 8000.0).sin() * 8000.0) as i16).collect();
        for _ in 0..10 {
            seg.push(&voice, true, &mut events);
        }
        assert!(seg.in_speech());
    }

    #[test]
    fn classifier_frames_any_chunking_at_8_and_16_khz() {
        for rate in [8000, 16000] {
            let mut classifier = FrameClassifier::new(rate).unwrap();
            let mut frames = 0;
            for chunk in [100usize, 7, 500, 333, 60] {
                classifier.push(&vec![0i16; chunk], |frame, voiced| {
                    assert_eq!(frame.len(), (rate / 50) as usize);
                    assert!(!voiced, "digital silence is not speech");
                    frames += 1;
                });
            }
            assert_eq!(frames, 1000 / (rate / 50) as usize);
        }
        assert!(FrameClassifier::new(11025).is_none());
    }

    #[test]
    fn classifier_hears_a_voice_like_signal() {
        // A 200 Hz pulse train with harmonics is voiced for WebRTC VAD, unlike silence.
        let mut classifier = FrameClassifier::new(16000).unwrap();
        let signal: Vec<i16> = (0..16000)
            .map(|i| {
                let t = i as f64 / 16000.0;
                let s: f64 = (1..12).map(|h| (2.0 * std::f64::consts::PI * 200.0 * h as f64 * t).sin() / h as f64).sum();
                (s * 6000.0) as i16
            })
            .collect();
        let mut voiced = 0;
        classifier.push(&signal, |_, v| voiced += v as usize);
        assert!(voiced > 40, "only {voiced} of 50 frames voiced");
    }

    #[test]
    fn without_pauses_only_start_and_end_are_reported() {
        let config = SegmenterConfig { pause_ms: 0, ..plain() };
        let events = run(&[(true, 400), (false, 280), (true, 400), (false, 400)], config);
        assert_eq!(summary(&events), ["start 0 @200 (200 ms audio)", "end 0-1080 @1380"]);
    }

    #[test]
    fn the_call_sets_the_silence_that_ends_the_turn_at_its_latest_pause() {
        let mut seg = Segmenter::new(plain(), RATE);
        let mut events = Vec::new();
        for i in 0..26 {
            seg.push(&[1000; 320], i < 20, &mut events); // voice to 400, pause reported at 500
        }
        seg.end_after(1, 200, &mut events);
        assert_eq!(summary(&events), ["start 0 @200 (200 ms audio)", "pause 400"], "200 ms of silence not reached yet");
        for _ in 0..5 {
            seg.push(&[0; 320], false, &mut events);
        }
        assert_eq!(summary(&events), ["start 0 @200 (200 ms audio)", "pause 400", "end 0-400 @600"], "ended by the call's 200 ms, not the 300 ms hangover");
        // Resumed before the call's silence: the decision was for that pause only.
        events.clear();
        for i in 0..40 {
            seg.push(&[1000; 320], i < 20 || (30..32).contains(&i), &mut events);
        }
        let seq = 2;
        seg.end_after(seq, 500, &mut events); // asked at the first pause of this turn ...
        assert!(!events.iter().any(|e| matches!(e, SegmentEvent::Ended { .. })));
        seg.end_after(seq, 100, &mut events); // ... a late answer for it: the voice came back since
        assert!(!events.iter().any(|e| matches!(e, SegmentEvent::Ended { .. })), "{:?}", summary(&events));
        seg.end_after(3, 100, &mut events); // the latest pause, already 160 ms silent: ends now
        assert!(matches!(events.last(), Some(SegmentEvent::Ended { .. })), "{:?}", summary(&events));
    }

    /// Frames the VAD still calls voiced but no louder than the line's noise (its own tail)
    /// count as silence once `tail_db` is set: the pause and the end come sooner. A quiet
    /// syllable, well above the noise, is still voice.
    #[test]
    fn the_vad_tail_at_the_noise_floor_is_silence() {
        let feed = |tail_db: u32, tail: i16| {
            let mut seg = Segmenter::new(SegmenterConfig { tail_db, ..SegmenterConfig::default() }, RATE);
            let mut events = Vec::new();
            for _ in 0..10 {
                seg.push(&[100; 320], false, &mut events); // the line's noise, before the answer
            }
            let voice: Vec<i16> = (0..320).map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * 125.0 / 16000.0).sin() * 8000.0) as i16).collect();
            for _ in 0..30 {
                seg.push(&voice, true, &mut events); // 600 ms of voice
            }
            for _ in 0..5 {
                seg.push(&[tail; 320], true, &mut events); // 100 ms the VAD still calls voiced
            }
            for _ in 0..20 {
                seg.push(&[0; 320], false, &mut events);
            }
            summary(&events)
        };
        assert_eq!(feed(0, 120), ["start 200 @400 (400 ms audio)", "pause 900", "end 200-900 @1200"]);
        assert_eq!(feed(8, 120), ["start 200 @400 (400 ms audio)", "pause 800", "end 200-800 @1100"], "the tail is noise");
        assert_eq!(feed(8, 1000), ["start 200 @400 (400 ms audio)", "pause 900", "end 200-900 @1200"], "a quiet syllable is voice");
    }

    #[test]
    fn continuous_noise_ends_the_turn_at_the_longest_turn() {
        let config = SegmenterConfig { max_speech_ms: 1000, ..plain() };
        let events = run(&[(true, 3000)], config);
        let ends: Vec<_> = events.iter().filter_map(|e| match e {
            SegmentEvent::Ended { started_ms, last_voice_ms, .. } => Some((*started_ms, *last_voice_ms)),
            _ => None,
        }).collect();
        // Speech from 0: a turn ends every second (each new one counts from its onset).
        assert_eq!(ends, [(0, 1000), (1000, 2000), (2000, 3000)]);
        assert_eq!(ends[0].0, 0);
        assert!(ends.iter().all(|(start, end)| end - start <= 1000), "{ends:?}");
    }
}
