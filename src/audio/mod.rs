//! Audio: sample-rate conversion for the callee's audio, and (`wav`) recorded prompts made ready
//! for Asterisk. The VAD and the recognizer run at 8 kHz (G.711 trunks) or 16 kHz (everything
//! wider); Asterisk hands the audiohook frames at the channel's native rate, which may be anything
//! from 8 to 48 kHz (Opus, G.722.1C, slin at any rate), and may change during a call. A
//! windowed-sinc interpolator, low-passed below the lower Nyquist frequency, streaming across
//! frames.

pub mod wav;

/// The rate the VAD and the recognizer use for audio arriving at `native` Hz.
pub fn processing_rate(native: u32) -> u32 {
    if native <= 8000 {
        8000
    } else {
        16000
    }
}

/// Taps on each side of an output sample, in units of the lower rate's sample period.
const HALF_WIDTH: f64 = 8.0;

pub struct Resampler {
    from: u32,
    to: u32,
    /// Input samples kept from earlier frames (the filter looks back and ahead).
    history: Vec<f32>,
    /// Position of the next output sample, in input samples from `history[0]`.
    position: f64,
    step: f64,
    cutoff: f64,
    half_taps: f64,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Resampler {
        let step = from as f64 / to as f64;
        let cutoff = (to as f64 / from as f64).min(1.0) * 0.95; // of the input's Nyquist
        let half_taps = (HALF_WIDTH / cutoff).ceil();
        Resampler { from, to, history: vec![0.0; half_taps as usize], position: half_taps, step, cutoff, half_taps }
    }

    pub fn from_rate(&self) -> u32 {
        self.from
    }

    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Converts one frame; the output lags the input by the filter's half width.
    pub fn process(&mut self, input: &[i16], output: &mut Vec<i16>) {
        output.clear();
        if self.from == self.to {
            output.extend_from_slice(input);
            return;
        }
        self.history.extend(input.iter().map(|s| *s as f32));
        let last = self.history.len() as f64 - 1.0;
        while self.position + self.half_taps <= last {
            output.push(self.sample_at(self.position));
            self.position += self.step;
        }
        // Keep what the next output samples still need.
        let keep_from = (self.position - self.half_taps).floor().max(0.0) as usize;
        self.history.drain(..keep_from.min(self.history.len()));
        self.position -= keep_from as f64;
    }

    fn sample_at(&self, t: f64) -> i16 {
        let first = (t - self.half_taps).ceil().max(0.0) as usize;
        let last = ((t + self.half_taps).floor() as usize).min(self.history.len() - 1);
        let mut sum = 0.0;
        for (i, sample) in self.history.iter().enumerate().take(last + 1).skip(first) {
            let x = i as f64 - t;
            sum += *sample as f64 * kernel(x, self.cutoff, self.half_taps);
        }
        sum.round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
    }
}

/// Low-pass sinc at `cutoff` (fraction of the input Nyquist), Blackman window of `half` samples.
fn kernel(x: f64, cutoff: f64, half: f64) -> f64 {
    if x.abs() >= half {
        return 0.0;
    }
    let sinc = if x == 0.0 { 1.0 } else { (std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x) };
    let w = std::f64::consts::PI * (x / half + 1.0); // 0..2π across the window
    let blackman = 0.42 - 0.5 * w.cos() + 0.08 * (2.0 * w).cos();
    if x == 0.0 {
        cutoff * blackman
    } else {
        sinc * blackman
    }
}

/// How long a sound starts silent (ms): up to its first sample at 0.5% of full scale or more
/// (the level `asterisk-conf/prompts/generate.sh` trims at). None: silent throughout.
pub fn leading_silence_ms(samples: &[i16], rate: u32) -> Option<u64> {
    let first = samples.iter().position(|s| s.unsigned_abs() >= 164)?;
    Some(first as u64 * 1000 / u64::from(rate.max(1)))
}

/// 16-bit samples of a sound file Asterisk plays, by its extension: raw signed linear
/// (`sln`, 8 kHz; `sln16`, 16 kHz), G.711 (`ulaw`, `alaw`, 8 kHz) or a PCM WAV. None for other
/// formats.
pub fn decode_sound(extension: &str, bytes: &[u8]) -> Option<(Vec<i16>, u32)> {
    let linear = |b: &[u8]| b.chunks_exact(2).map(|p| i16::from_le_bytes([p[0], p[1]])).collect::<Vec<_>>();
    match extension {
        "sln" | "raw" => Some((linear(bytes), 8000)),
        "sln16" => Some((linear(bytes), 16000)),
        "ulaw" | "pcm" => Some((bytes.iter().map(|&b| ulaw_to_linear(b)).collect(), 8000)),
        "alaw" => Some((bytes.iter().map(|&b| alaw_to_linear(b)).collect(), 8000)),
        "wav" => {
            // RIFF chunks: "fmt " (16-bit PCM, mono) then "data".
            let mut at = 12;
            let mut rate = 0;
            while at + 8 <= bytes.len() {
                let id = &bytes[at..at + 4];
                let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
                let body = bytes.get(at + 8..(at + 8 + len).min(bytes.len()))?;
                if id == b"fmt " && body.len() >= 16 {
                    let (format, bits) = (u16::from_le_bytes([body[0], body[1]]), u16::from_le_bytes([body[14], body[15]]));
                    if format != 1 || bits != 16 {
                        return None;
                    }
                    rate = u32::from_le_bytes(body[4..8].try_into().ok()?);
                } else if id == b"data" && rate > 0 {
                    return Some((linear(body), rate));
                }
                at += 8 + len + (len & 1);
            }
            None
        }
        _ => None,
    }
}

/// G.711 mu-law to linear.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let byte = !byte;
    let (sign, exponent, mantissa) = (byte & 0x80, i32::from((byte >> 4) & 0x07), i32::from(byte & 0x0f));
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

fn alaw_to_linear(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let (sign, exponent, mantissa) = (byte & 0x80, i32::from((byte >> 4) & 0x07), i32::from(byte & 0x0f));
    let magnitude = if exponent == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (exponent - 1) };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, ms: u32, amplitude: f64) -> Vec<i16> {
        (0..rate * ms / 1000).map(|n| (amplitude * (2.0 * std::f64::consts::PI * hz * n as f64 / rate as f64).sin()) as i16).collect()
    }

    fn rms(samples: &[i16]) -> f64 {
        (samples.iter().map(|s| (*s as f64).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
    }

    fn convert(from: u32, to: u32, input: &[i16], frame: usize) -> Vec<i16> {
        let mut resampler = Resampler::new(from, to);
        let (mut all, mut out) = (Vec::new(), Vec::new());
        for chunk in input.chunks(frame) {
            resampler.process(chunk, &mut out);
            all.extend_from_slice(&out);
        }
        all
    }

    #[test]
    fn processing_rates() {
        assert_eq!(processing_rate(8000), 8000);
        for native in [12000, 16000, 24000, 32000, 44100, 48000] {
            assert_eq!(processing_rate(native), 16000, "{native}");
        }
    }

    #[test]
    fn keeps_speech_band_tones_and_the_sample_count() {
        for (from, to) in [(48000, 16000), (32000, 16000), (44100, 16000), (24000, 16000), (12000, 16000), (16000, 8000)] {
            let input = tone(from, 440.0, 1000, 10_000.0);
            let output = convert(from, to, &input, (from / 50) as usize);
            let expected = to as usize;
            assert!(output.len().abs_diff(expected) < 40, "{from}->{to}: {} samples", output.len());
            // Past the filter's start-up, the tone keeps its level (RMS of a sine = A/√2).
            let steady = &output[200..output.len() - 100];
            let level = rms(steady) / (10_000.0 / 2f64.sqrt());
            assert!((0.95..1.05).contains(&level), "{from}->{to}: level {level}");
        }
    }

    #[test]
    fn removes_what_the_lower_rate_cannot_carry() {
        // 12 kHz is above 16 kHz's Nyquist: it must not fold back as an audible tone.
        let input = tone(48000, 12_000.0, 500, 10_000.0);
        let output = convert(48000, 16000, &input, 960);
        assert!(rms(&output[100..]) < 300.0, "aliased energy {}", rms(&output[100..]));
    }

    #[test]
    fn same_rate_is_a_copy() {
        let input = tone(16000, 300.0, 20, 1000.0);
        let mut out = Vec::new();
        Resampler::new(16000, 16000).process(&input, &mut out);
        assert_eq!(out, input);
    }
}
#[cfg(test)]
mod sound_tests {
    use super::*;

    #[test]
    fn leading_silence_is_measured_in_any_playable_format() {
        let mut samples = vec![0i16; 800]; // 50 ms at 16 kHz
        samples.extend(std::iter::repeat_n(3000i16, 1600));
        let raw: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let (decoded, rate) = decode_sound("sln16", &raw).unwrap();
        assert_eq!((leading_silence_ms(&decoded, rate), rate), (Some(50), 16000));
        let mut wav = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        wav.extend(16u32.to_le_bytes());
        wav.extend([1, 0, 1, 0]);
        wav.extend(16000u32.to_le_bytes());
        wav.extend(32000u32.to_le_bytes());
        wav.extend([2, 0, 16, 0]);
        wav.extend(b"data");
        wav.extend((raw.len() as u32).to_le_bytes());
        wav.extend(&raw);
        let (decoded, rate) = decode_sound("wav", &wav).unwrap();
        assert_eq!(leading_silence_ms(&decoded, rate), Some(50));
        // mu-law silence is 0xff; 40 ms of it then a loud sample.
        let mut ulaw = vec![0xffu8; 320];
        ulaw.push(0x80);
        let (decoded, rate) = decode_sound("ulaw", &ulaw).unwrap();
        assert_eq!(leading_silence_ms(&decoded, rate), Some(40));
        assert_eq!(leading_silence_ms(&[0; 100], 8000), None);
        assert!(decode_sound("gsm", &[0; 33]).is_none());
    }
}
