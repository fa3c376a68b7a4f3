//! A WAV file written as it grows: 16-bit PCM, its sizes rewritten after each append so that a
//! file cut short (a crash, a full disk) still opens in any player up to its last append.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

const HEADER_BYTES: u64 = 44;
/// RIFF sizes are 32-bit: a file stops growing before it would overflow them (about 9 hours of
/// 16 kHz stereo).
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - HEADER_BYTES;

pub struct WavWriter {
    file: File,
    channels: u16,
    data_bytes: u64,
    bytes: Vec<u8>,
}

impl WavWriter {
    pub fn create(path: &Path, channels: u16, rate: u32) -> io::Result<WavWriter> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
        let mut file = options.open(path)?;
        file.write_all(&header(channels, rate, 0))?;
        Ok(WavWriter { file, channels, data_bytes: 0, bytes: Vec::new() })
    }

    /// Appends interleaved samples (a whole number of sample frames) and updates the sizes.
    pub fn append(&mut self, interleaved: &[i16]) -> io::Result<()> {
        if interleaved.is_empty() {
            return Ok(());
        }
        let frame_bytes = 2 * self.channels as usize;
        let room = (MAX_DATA_BYTES - self.data_bytes) as usize / frame_bytes * frame_bytes;
        self.bytes.clear();
        self.bytes.extend(interleaved.iter().flat_map(|s| s.to_le_bytes()));
        self.bytes.truncate(room);
        if self.bytes.is_empty() {
            return Ok(());
        }
        self.file.write_all(&self.bytes)?;
        self.data_bytes += self.bytes.len() as u64;
        self.write_sizes()
    }

    fn write_sizes(&mut self) -> io::Result<()> {
        let data = self.data_bytes as u32;
        self.file.seek(SeekFrom::Start(4))?;
        self.file.write_all(&(data + 36).to_le_bytes())?;
        self.file.seek(SeekFrom::Start(40))?;
        self.file.write_all(&data.to_le_bytes())?;
        self.file.seek(SeekFrom::End(0))?;
        Ok(())
    }

    /// Seconds of audio written.
    pub fn seconds(&self, rate: u32) -> f64 {
        self.data_bytes as f64 / (2.0 * self.channels as f64 * rate as f64)
    }

    /// Flushes to disk: the recording is complete once this returns.
    pub fn finish(self) -> io::Result<()> {
        self.file.sync_all()
    }
}

fn header(channels: u16, rate: u32, data_bytes: u32) -> Vec<u8> {
    let block_align = channels * 2;
    let mut h = Vec::with_capacity(HEADER_BYTES as usize);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(data_bytes + 36).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    h.extend_from_slice(&block_align.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_bytes.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_right_after_every_append() {
        let dir = std::env::temp_dir().join(format!("minibot-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.wav");
        let _ = std::fs::remove_file(&path);
        let mut w = WavWriter::create(&path, 2, 16000).unwrap();
        w.append(&[1, -1, 2, -2]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 44 + 8);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 36 + 8);
        assert_eq!(u16::from_le_bytes(bytes[22..24].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 16000);
        assert_eq!(u32::from_le_bytes(bytes[28..32].try_into().unwrap()), 64000);
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()), 8);
        assert_eq!(i16::from_le_bytes(bytes[46..48].try_into().unwrap()), -1);
        w.append(&[3, 4]).unwrap();
        assert!((w.seconds(16000) - 3.0 / 16000.0).abs() < 1e-9);
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()), 12);
        // An existing file is never overwritten.
        assert!(WavWriter::create(&path, 2, 16000).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
