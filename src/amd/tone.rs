//! A voicemail beep: a steady single tone (350-2000 Hz) holding most of the frame's energy for at
//! least 160 ms. Goertzel filters every 50 Hz on 20 ms frames (one bin wide at any rate), so a
//! frame costs a few microseconds on the media thread.

/// Lowest and highest beep frequencies looked for (Hz), and the spacing of the filters.
const LOW_HZ: u32 = 350;
const HIGH_HZ: u32 = 2000;
const STEP_HZ: u32 = 50;
/// Share of the frame's energy in the best filter for the frame to count as tonal (a pure tone
/// halfway between two filters still gives ~0.4).
const TONAL_SHARE: f64 = 0.3;
/// Quieter frames are not a beep (-40 dBFS mean power).
const MIN_POWER: f64 = 32768.0 * 32768.0 * 1e-4;
/// Consecutive tonal frames, on the same filter or its neighbour, that make a beep.
const BEEP_FRAMES: u32 = 8;

pub struct ToneDetector {
    rate: u32,
    /// (frequency, cos coefficient) per filter.
    filters: Vec<(u32, f64)>,
    run: u32,
    run_hz: u32,
    /// A beep was reported for the current run (one report per beep).
    reported: bool,
}

impl ToneDetector {
    pub fn new(rate: u32) -> ToneDetector {
        let n = f64::from(rate / 50);
        let filters = (LOW_HZ..=HIGH_HZ.min(rate / 2 - STEP_HZ))
            .step_by(STEP_HZ as usize)
            .map(|hz| {
                let k = (n * f64::from(hz) / f64::from(rate)).round();
                (hz, 2.0 * (2.0 * std::f64::consts::PI * k / n).cos())
            })
            .collect();
        ToneDetector { rate, filters, run: 0, run_hz: 0, reported: false }
    }

    /// One 20 ms frame; returns the beep's frequency when this frame completes one.
    pub fn push(&mut self, frame: &[i16]) -> Option<u32> {
        if frame.len() != (self.rate / 50) as usize {
            return None;
        }
        match self.tone_of(frame) {
            Some(hz) if self.run > 0 && hz.abs_diff(self.run_hz) <= STEP_HZ => self.run += 1,
            Some(hz) => {
                (self.run, self.run_hz, self.reported) = (1, hz, false);
            }
            None => {
                self.run = 0;
                return None;
            }
        }
        if self.run >= BEEP_FRAMES && !self.reported {
            self.reported = true;
            return Some(self.run_hz);
        }
        None
    }

    /// The frame's dominant tone, if it holds most of the energy.
    fn tone_of(&self, frame: &[i16]) -> Option<u32> {
        let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        let n = frame.len() as f64;
        if energy / n < MIN_POWER {
            return None;
        }
        let mut best = (0, 0.0);
        for &(hz, coeff) in &self.filters {
            let (mut s1, mut s2) = (0.0, 0.0);
            for &x in frame {
                let s0 = f64::from(x) + coeff * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
            if power > best.1 {
                best = (hz, power);
            }
        }
        // A pure tone on a filter gives power = energy * n / 2.
        (best.1 / (energy * n / 2.0) >= TONAL_SHARE).then_some(best.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(signal: &[i16], rate: u32) -> Vec<&[i16]> {
        signal.chunks((rate / 50) as usize).collect()
    }

    fn tone(hz: f64, ms: u32, rate: u32, amplitude: f64) -> Vec<i16> {
        (0..rate * ms / 1000).map(|i| (amplitude * (2.0 * std::f64::consts::PI * hz * f64::from(i) / f64::from(rate)).sin()) as i16).collect()
    }

    /// Voice-like: a 140 Hz glottal pulse train with vowel formants that move, plus noise.
    fn voice(ms: u32, rate: u32) -> Vec<i16> {
        let mut seed = 7u32;
        (0..rate * ms / 1000)
            .map(|i| {
                let t = f64::from(i) / f64::from(rate);
                let f0 = 140.0 + 20.0 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
                let formant = 700.0 + 400.0 * (2.0 * std::f64::consts::PI * 2.0 * t).sin();
                let mut v = 0.0;
                for h in 1..20 {
                    let f = f0 * f64::from(h);
                    let gain = 1.0 / (1.0 + ((f - formant) / 150.0).powi(2)) + 0.2 / f64::from(h);
                    v += gain * (2.0 * std::f64::consts::PI * f * t).sin();
                }
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (v * 3000.0 + f64::from((seed >> 16) % 2000) - 1000.0) as i16
            })
            .collect()
    }

    #[test]
    fn finds_beeps_at_both_rates_once_each() {
        for rate in [8000, 16000] {
            for hz in [425.0, 1000.0, 1400.0, 1975.0, 1020.0] {
                let mut detector = ToneDetector::new(rate);
                let mut signal = voice(1000, rate);
                signal.extend(tone(hz, 400, rate, 8000.0));
                signal.extend(vec![0; (rate / 5) as usize]);
                let found: Vec<u32> = frames(&signal, rate).into_iter().filter_map(|f| detector.push(f)).collect();
                assert_eq!(found.len(), 1, "{hz} Hz at {rate}: {found:?}");
                assert!((f64::from(found[0]) - hz).abs() <= 50.0, "{hz} Hz found as {found:?}");
            }
        }
    }

    #[test]
    fn speech_short_tones_and_quiet_tones_are_no_beep() {
        for rate in [8000, 16000] {
            let mut detector = ToneDetector::new(rate);
            let mut signal = voice(5000, rate);
            signal.extend(tone(1000.0, 100, rate, 8000.0)); // too short
            signal.extend(voice(500, rate));
            signal.extend(tone(1000.0, 500, rate, 100.0)); // too quiet
            let found: Vec<u32> = frames(&signal, rate).into_iter().filter_map(|f| detector.push(f)).collect();
            assert!(found.is_empty(), "{rate}: {found:?}");
        }
    }
}
