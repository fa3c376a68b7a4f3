//! `minibot prompts install`: a directory of recorded prompts matched to a campaign's scenario. Each
//! file named after a prompt (`hello.wav` for `minibot/demo/hello`) becomes that prompt at 8 and
//! 16 kHz, its leading silence trimmed; what the scenario needs and the directory lacks, what the
//! directory holds and the scenario never plays, and what is too long or unreadable are reported.
//! Pure: the module reads the directory and writes the sounds.

use super::Scenario;
use crate::audio::wav::{read_wav, resample, to_sln, trim_leading_silence};

/// Beyond this a prompt is reported as too long: callees hang up during monologues, and the
/// callee's wait for a reprompt grows with it.
pub const MAX_PROMPT_SECONDS: f64 = 30.0;

/// Extensions taken for recordings (the others in the directory are left alone, unread).
const AUDIO: [&str; 8] = ["wav", "mp3", "ogg", "flac", "m4a", "aac", "aif", "aiff"];

/// Whether a file of the directory is taken for a recording.
pub fn is_recording(file: &str) -> bool {
    file.rsplit_once('.').is_some_and(|(_, extension)| AUDIO.contains(&extension.to_ascii_lowercase().as_str()))
}

/// The other formats a prompt may already be installed in: Asterisk picks the cheapest to play,
/// so an old one left beside the new `.sln` and `.sln16` would still be heard on some calls.
pub const OTHER_FORMATS: [&str; 8] = ["wav", "wav16", "WAV", "ulaw", "alaw", "gsm", "g722", "g729"];

/// One prompt ready to install.
pub struct Recorded {
    /// The scenario's sound name, e.g. "minibot/demo/hello".
    pub prompt: String,
    pub file: String,
    /// The recording's format, e.g. "44100 Hz stereo 16-bit".
    pub format: String,
    pub seconds: f64,
    pub trimmed_ms: u64,
    /// 16-bit mono at 8 and 16 kHz (Asterisk's `sln` and `sln16`).
    pub sln: Vec<u8>,
    pub sln16: Vec<u8>,
}

#[derive(Default)]
pub struct PromptPlan {
    pub ready: Vec<Recorded>,
    /// Prompts of the scenario with no file in the directory.
    pub missing: Vec<String>,
    /// Recordings no prompt of the scenario is named after.
    pub unused: Vec<String>,
    /// Recordings that cannot be used, and why.
    pub refused: Vec<(String, String)>,
}

/// Matches `files` (name, contents) to `scenario`'s prompts and converts them.
pub fn plan(scenario: &Scenario, files: Vec<(String, Vec<u8>)>) -> PromptPlan {
    let prompts: Vec<String> = scenario.prompt_names().into_iter().map(String::from).collect();
    let name_of = |prompt: &str| prompt.rsplit('/').next().unwrap_or(prompt).to_lowercase();
    let mut plan = PromptPlan::default();
    let mut found = Vec::new();
    for (file, bytes) in files {
        let Some((stem, _)) = file.rsplit_once('.').filter(|_| is_recording(&file)).map(|(s, e)| (s.to_lowercase(), e.to_string())) else { continue };
        let named: Vec<&String> = prompts.iter().filter(|p| name_of(p) == stem).collect();
        if named.is_empty() {
            plan.unused.push(file);
            continue;
        }
        if named.len() > 1 {
            let paths: Vec<&str> = named.iter().map(|p| p.as_str()).collect();
            plan.refused.push((file, format!("the campaign has several prompts of that name ({}): rename one", paths.join(", "))));
            continue;
        }
        if found.iter().any(|(s, _)| *s == stem) {
            plan.refused.push((file, format!("another recording of '{stem}' is in the directory")));
            continue;
        }
        match convert(&bytes) {
            Ok((format, seconds, trimmed_ms, sln, sln16)) => {
                found.push((stem.clone(), file.clone()));
                for prompt in named {
                    plan.ready.push(Recorded { prompt: prompt.clone(), file: file.clone(), format: format.clone(), seconds, trimmed_ms, sln: sln.clone(), sln16: sln16.clone() });
                }
            }
            Err(reason) => plan.refused.push((file, reason)),
        }
    }
    plan.missing = prompts.into_iter().filter(|p| !plan.ready.iter().any(|r| r.prompt == *p)).collect();
    plan.ready.sort_by(|a, b| a.prompt.cmp(&b.prompt));
    plan
}

/// (format, seconds after trimming, trimmed ms, 8 kHz bytes, 16 kHz bytes).
fn convert(bytes: &[u8]) -> Result<(String, f64, u64, Vec<u8>, Vec<u8>), String> {
    let (samples, format) = read_wav(bytes)?;
    let trimmed = trim_leading_silence(&samples, format.rate);
    if trimmed.is_empty() {
        return Err(format!("silent throughout ({})", format.describe()));
    }
    let trimmed_ms = (samples.len() - trimmed.len()) as u64 * 1000 / u64::from(format.rate);
    let seconds = trimmed.len() as f64 / f64::from(format.rate);
    let (narrow, wide) = (resample(trimmed, format.rate, 8000), resample(trimmed, format.rate, 16000));
    Ok((format.describe(), seconds, trimmed_ms, to_sln(&narrow), to_sln(&wide)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::write_wav;

    #[test]
    fn a_directory_is_matched_to_the_scenario_and_what_is_wrong_is_named() {
        let text = "[c]\nstart = hello\nreprompt = p/c/again\n[c.hello]\nprompt = p/c/hello\nnext = bye\n[c.bye]\nprompt = p/c/bye\nlisten = 0\n";
        let scenario = crate::scenario::from_text("s.conf", text).unwrap()["c"].clone();
        let voice: Vec<i16> = (0..44100).map(|i| if i < 4410 { 0 } else { ((i as f32 * 0.06).sin() * 6000.0) as i16 }).collect();
        let files = vec![
            ("hello.wav".to_string(), write_wav(&voice, 44100, 2)),
            ("bye.mp3".to_string(), b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec()),
            ("again.wav".to_string(), Vec::new()),
            ("jingle.wav".to_string(), write_wav(&voice, 16000, 1)),
            ("notes.txt".to_string(), b"the script".to_vec()),
        ];
        let plan = plan(&scenario, files);
        assert_eq!(plan.ready.len(), 1);
        let hello = &plan.ready[0];
        assert_eq!((hello.prompt.as_str(), hello.format.as_str()), ("p/c/hello", "44100 Hz stereo 16-bit"));
        assert!((95..=100).contains(&hello.trimmed_ms), "{}", hello.trimmed_ms);
        assert!((hello.sln16.len() as i64 - 2 * (hello.sln.len() as i64)).abs() <= 2, "16 kHz holds twice the samples of 8 kHz");
        assert_eq!(plan.missing, ["p/c/again", "p/c/bye"]);
        assert_eq!(plan.unused, ["jingle.wav"]);
        let refused: Vec<&str> = plan.refused.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(refused, ["bye.mp3", "again.wav"]);
        assert!(plan.refused[0].1.contains("MP3") && plan.refused[1].1.contains("0 bytes"));
    }
}
