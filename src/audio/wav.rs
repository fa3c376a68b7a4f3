//! Recorded prompts as operators hand them over: WAV files at any rate, channel count and sample
//! format a studio or a phone app writes, turned into what Asterisk plays without resampling on
//! each call (16-bit mono at 8 and 16 kHz), their leading silence trimmed.

use super::Resampler;

/// What a WAV file held, for the operator's report.
#[derive(Debug, Clone, PartialEq)]
pub struct WavFormat {
    pub rate: u32,
    pub channels: u16,
    pub bits: u16,
    pub float: bool,
}

impl WavFormat {
    pub fn describe(&self) -> String {
        let channels = match self.channels {
            1 => "mono".to_string(),
            2 => "stereo".to_string(),
            n => format!("{n} channels"),
        };
        format!("{} Hz {channels} {}-bit{}", self.rate, self.bits, if self.float { " float" } else { "" })
    }
}

/// Longer than this is not a prompt (and would take the CLI's thread for long to convert).
pub const MAX_SECONDS: u64 = 600;

const PCM: u16 = 1;
const FLOAT: u16 = 3;
const EXTENSIBLE: u16 = 0xFFFE;

/// A WAV file's sound as 16-bit mono (channels averaged) and its format; an error says what the
/// file is instead.
pub fn read_wav(bytes: &[u8]) -> Result<(Vec<i16>, WavFormat), String> {
    if bytes.is_empty() {
        return Err("the file is empty (0 bytes)".into());
    }
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(match bytes.get(0..3) {
            Some(b"ID3") | Some([0xFF, 0xFB, _]) | Some([0xFF, 0xF3, _]) | Some([0xFF, 0xF2, _]) => {
                "an MP3, which is not read here: convert it to WAV first (ffmpeg -i NAME.mp3 NAME.wav, or sox NAME.mp3 NAME.wav)".into()
            }
            _ => "not a WAV file (no RIFF/WAVE header)".into(),
        });
    }
    let mut format = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let body = &bytes[at + 8..(at + 8).saturating_add(len).min(bytes.len())];
        if id == b"fmt " {
            format = Some(read_format(body)?);
        } else if id == b"data" {
            let format = format.ok_or("the data comes before its format (no fmt chunk)")?;
            // Told by the header, before anything is decoded: a prompt lasts seconds.
            let seconds = body.len() as u64 / (u64::from(format.bits / 8) * u64::from(format.channels)).max(1) / u64::from(format.rate);
            if seconds > MAX_SECONDS {
                return Err(format!("{} minutes long ({}): a prompt lasts seconds", seconds / 60, format.describe()));
            }
            let samples = decode(body, &format);
            if samples.is_empty() {
                return Err(format!("no sound in it ({})", format.describe()));
            }
            return Ok((samples, format));
        }
        at = at.saturating_add(8 + len + (len & 1));
    }
    Err("no data chunk: the file is cut short".into())
}

fn read_format(body: &[u8]) -> Result<WavFormat, String> {
    if body.len() < 16 {
        return Err("a fmt chunk too short to read".into());
    }
    let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
    let mut tag = u16_at(0);
    if tag == EXTENSIBLE && body.len() >= 26 {
        tag = u16_at(24); // the sub-format's first two bytes are the plain format tag
    }
    let format = WavFormat { channels: u16_at(2), rate: u32::from_le_bytes([body[4], body[5], body[6], body[7]]), bits: u16_at(14), float: tag == FLOAT };
    let readable = match tag {
        PCM => matches!(format.bits, 8 | 16 | 24 | 32),
        FLOAT => format.bits == 32,
        _ => false,
    };
    if !readable || format.channels == 0 || !(4000..=192_000).contains(&format.rate) {
        return Err(format!(
            "a WAV encoding not read here (format tag {tag}, {}): export it as PCM (8 to 32-bit) or 32-bit float",
            format.describe()
        ));
    }
    Ok(format)
}

/// Interleaved frames to mono 16-bit.
fn decode(body: &[u8], format: &WavFormat) -> Vec<i16> {
    let width = usize::from(format.bits / 8);
    let channels = usize::from(format.channels);
    let sample = |b: &[u8]| -> f32 {
        match (format.float, width) {
            (true, _) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * 32767.0,
            (false, 1) => (f32::from(b[0]) - 128.0) * 256.0, // 8-bit WAV is unsigned
            (false, 2) => f32::from(i16::from_le_bytes([b[0], b[1]])),
            (false, 3) => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 16) as f32,
            (false, _) => (i32::from_le_bytes([b[0], b[1], b[2], b[3]]) >> 16) as f32,
        }
    };
    body.chunks_exact(width * channels)
        .map(|frame| {
            let sum: f32 = frame.chunks_exact(width).map(sample).sum();
            (sum / channels as f32).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// The whole sound at another rate (the filter's tail flushed).
pub fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to {
        return samples.to_vec();
    }
    let mut resampler = Resampler::new(from, to);
    let (mut out, mut chunk) = (Vec::new(), Vec::new());
    resampler.process(samples, &mut chunk);
    out.append(&mut chunk);
    // The output lags by the filter's half width: push silence through to get the end out.
    let expected = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let pad = vec![0i16; (from / 50) as usize];
    while out.len() < expected {
        resampler.process(&pad, &mut chunk);
        if chunk.is_empty() {
            break;
        }
        out.append(&mut chunk);
    }
    out.truncate(expected);
    out
}

/// The sound from its first sample at 0.5% of full scale (the level the module's load check
/// and `make prompts` count silence at), less a 5 ms lead-in so the first syllable is not cut.
pub fn trim_leading_silence(samples: &[i16], rate: u32) -> &[i16] {
    match samples.iter().position(|s| s.unsigned_abs() >= 164) {
        Some(first) => &samples[first.saturating_sub(rate as usize / 200)..],
        None => &samples[samples.len()..],
    }
}

/// 16-bit little-endian bytes, as Asterisk's `sln` and `sln16` files hold them.
pub fn to_sln(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A WAV file of `samples` (tests and tools).
pub fn write_wav(samples: &[i16], rate: u32, channels: u16) -> Vec<u8> {
    let data: Vec<u8> = samples.iter().flat_map(|s| std::iter::repeat_n(s.to_le_bytes(), usize::from(channels)).flatten()).collect();
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&PCM.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
    out.extend_from_slice(&(2 * channels).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, ms: u32, silent_ms: u32) -> Vec<i16> {
        let silent = (rate * silent_ms / 1000) as usize;
        let n = (rate * ms / 1000) as usize;
        (0..silent + n).map(|i| if i < silent { 0 } else { ((i as f32 * 440.0 * 6.283 / rate as f32).sin() * 8000.0) as i16 }).collect()
    }

    #[test]
    fn a_studio_wav_becomes_both_telephone_rates_without_its_leading_silence() {
        // 44.1 kHz stereo, 300 ms of silence, then a second of tone.
        let wav = write_wav(&tone(44100, 1000, 300), 44100, 2);
        let (samples, format) = read_wav(&wav).unwrap();
        assert_eq!(format.describe(), "44100 Hz stereo 16-bit");
        let trimmed = trim_leading_silence(&samples, 44100);
        assert!(trimmed.len() < 44100 + 44100 / 100, "{}", trimmed.len());
        for rate in [8000, 16000] {
            let out = resample(trimmed, 44100, rate);
            let expected = trimmed.len() as u64 * u64::from(rate) / 44100;
            assert_eq!(out.len() as u64, expected);
            assert!(crate::audio::leading_silence_ms(&out, rate).unwrap() <= 6, "{:?}", crate::audio::leading_silence_ms(&out, rate));
            let peak = out.iter().map(|s| s.unsigned_abs()).max().unwrap();
            assert!((7000..=9000).contains(&peak), "the tone's level kept: {peak}");
        }
    }

    /// A WAV of `frames` (each channel's bytes) in another encoding: (format tag, bits, channels).
    fn encoded(tag: u16, bits: u16, channels: u16, rate: u32, data: &[u8], extensible: bool) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&(if extensible { 0xFFFEu16 } else { tag }).to_le_bytes());
        fmt.extend_from_slice(&channels.to_le_bytes());
        fmt.extend_from_slice(&rate.to_le_bytes());
        fmt.extend_from_slice(&(rate * u32::from(bits / 8) * u32::from(channels)).to_le_bytes());
        fmt.extend_from_slice(&((bits / 8) * channels).to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        if extensible {
            fmt.extend_from_slice(&22u16.to_le_bytes());
            fmt.extend_from_slice(&bits.to_le_bytes());
            fmt.extend_from_slice(&0u32.to_le_bytes());
            fmt.extend_from_slice(&tag.to_le_bytes());
            fmt.extend_from_slice(&[0u8; 14]);
        }
        let mut out = b"RIFF\0\0\0\0WAVE".to_vec();
        // An odd-sized chunk first: its pad byte must be skipped.
        out.extend_from_slice(b"LIST");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(b"abc\0");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        out.extend_from_slice(&fmt);
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn every_sample_format_a_recorder_writes_reads_to_the_same_sound() {
        // Half scale positive, then half scale negative, in each encoding.
        let pcm8 = encoded(1, 8, 1, 8000, &[192, 64], false);
        let pcm24 = encoded(1, 24, 1, 8000, &[0, 0, 0x40, 0, 0, 0xC0], false);
        let pcm32 = encoded(1, 32, 1, 8000, &[0, 0, 0, 0x40, 0, 0, 0, 0xC0], false);
        let float: Vec<u8> = [0.5f32, -0.5].iter().flat_map(|f| f.to_le_bytes()).collect();
        let float = encoded(3, 32, 1, 8000, &float, true);
        let stereo16: Vec<u8> = [16384i16, 16384, -16384, -16384].iter().flat_map(|s| s.to_le_bytes()).collect();
        let stereo16 = encoded(1, 16, 2, 8000, &stereo16, true);
        for (name, wav) in [("8-bit", pcm8), ("24-bit", pcm24), ("32-bit", pcm32), ("float", float), ("extensible stereo", stereo16)] {
            let (samples, _) = read_wav(&wav).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(samples.len(), 2, "{name}");
            assert!((16380..=16384).contains(&samples[0]) && (-16384..=-16380).contains(&samples[1]), "{name}: {samples:?}");
        }
        let long = encoded(1, 8, 1, 4000, &vec![128u8; 4000 * 601], false);
        assert!(read_wav(&long).unwrap_err().contains("10 minutes long"));
    }

    #[test]
    fn files_that_are_not_readable_wav_say_what_they_are() {
        assert_eq!(read_wav(&[]).unwrap_err(), "the file is empty (0 bytes)");
        assert!(read_wav(b"ID3\x04\x00\x00\x00\x00\x00\x00rest").unwrap_err().contains("an MP3"));
        assert!(read_wav(b"hello, not a sound at all").unwrap_err().contains("not a WAV file"));
        let mut adpcm = write_wav(&tone(8000, 100, 0), 8000, 1);
        adpcm[20] = 2; // MS ADPCM
        assert!(read_wav(&adpcm).unwrap_err().contains("format tag 2"));
        let cut = &write_wav(&tone(8000, 100, 0), 8000, 1)[..40];
        assert!(read_wav(cut).unwrap_err().contains("no data chunk"));
    }
}
