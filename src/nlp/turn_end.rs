//! When the callee's turn is over, from what they said before a pause: a complete, confident
//! answer ("oui", "non merci", "ne m'appelez plus") ends it after a short silence; words that
//! announce more ("euh", "et", "mais", "parce que", "je", an article) wait longer; anything else
//! waits the usual hangover. The words are French grammar, not campaign content: the list can be
//! replaced in `[turn] continuing_words`.

use super::normalize::tokens;
use crate::config::document::{ConfigError, FromKeys, Key};
use crate::domain::{Classification, Intent};

/// How the end of a turn is decided (`[turn] end_of_turn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// From the words at the pause: the reply starts on them, the final result checks it.
    Adaptive,
    /// The segmenter's fixed hangover alone (`[vad] hangover_ms`), the reply on the final result.
    Fixed,
    /// As Fixed, but the adaptive decision is computed, logged and counted (what it would have
    /// changed: ends sooner, cuts, intents the final contradicts), to measure it on real callers.
    Shadow,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Adaptive => "adaptive",
            Mode::Fixed => "fixed",
            Mode::Shadow => "shadow",
        }
    }
}

/// What the words at a pause say of the turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A complete, confident answer: the turn ends after `complete_ms` of silence.
    Complete,
    /// The words announce more: the turn waits `continuing_ms`.
    Continuing,
    /// Neither: the usual hangover.
    Unsure,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Complete => "complete",
            Ending::Continuing => "continuing",
            Ending::Unsure => "unsure",
        }
    }
}

/// `[turn]` in minibot.conf.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnConfig {
    pub mode: Mode,
    /// Silence after a complete, confident answer.
    pub complete_ms: u32,
    /// Silence after anything else (the VAD's hangover in fixed mode: `[vad] hangover_ms`).
    pub unsure_ms: u32,
    /// Silence after words that announce more; also the longest a turn waits.
    pub continuing_ms: u32,
    /// Local confidence from which an answer is complete.
    pub confident: f32,
    /// Last words (normalized) that announce more.
    pub continuing_words: Vec<String>,
    /// A callee who starts talking again this soon after the reply to their answer started was
    /// not done (a comma pause taken for the end): the reply stops and both parts are one answer.
    /// 0: never.
    pub rejoin_ms: u32,
    /// Sounds a listener makes to say "go on" ("hm", "mmh"): heard over a prompt, they do not
    /// answer it, and the prompt resumes.
    pub backchannel_words: Vec<String>,
}

/// Hesitations, conjunctions, subject pronouns, articles, prepositions and the like: a turn whose
/// last word is one of them is not over.
const CONTINUING: &str = "euh heu hum bah ben et mais ou donc car parce que qu puisque alors puis comme si \
    quand lorsque je j tu il elle on nous vous ils elles le la les l un une des du de d au aux \
    mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs ce cet cette ces c ca \
    avec pour sans en dans sous chez par vers entre ne n me m te t se s y qui dont est suis";

/// Hums only: "euh" or "ah" over a prompt often start a turn, and "oui" may be an answer.
const BACKCHANNEL: &str = "hm hmm hmmm hum mh mhm mmh mm mmm";

impl Default for TurnConfig {
    fn default() -> Self {
        TurnConfig {
            mode: Mode::Adaptive,
            complete_ms: 200,
            unsure_ms: 300,
            continuing_ms: 800,
            confident: 0.75,
            continuing_words: CONTINUING.split_whitespace().map(str::to_string).collect(),
            rejoin_ms: 1000,
            backchannel_words: BACKCHANNEL.split_whitespace().map(str::to_string).collect(),
        }
    }
}

impl TurnConfig {
    /// What the words at a pause, and their local classification, say of the turn.
    pub fn ending(&self, words: &str, understood: &Classification) -> Ending {
        let tokens = tokens(words);
        let Some(last) = tokens.last() else { return Ending::Unsure };
        // "à" folds into "a", which also ends "livret A" or "il y a": only the accented one waits.
        let ends_on_a_grave = words.trim_end_matches(|c: char| !c.is_alphanumeric()).to_lowercase().ends_with(" à");
        if self.continuing_words.iter().any(|w| w == last) || ends_on_a_grave {
            return Ending::Continuing;
        }
        if understood.intent != Intent::Unclear && understood.confidence >= self.confident {
            return Ending::Complete;
        }
        Ending::Unsure
    }

    /// Words that only say "go on" (none at all is not a backchannel: noise is not one).
    pub fn is_backchannel(&self, words: &str) -> bool {
        let tokens = tokens(words);
        !tokens.is_empty() && tokens.iter().all(|t| self.backchannel_words.contains(t))
    }

    /// The silence after the last voiced frame that ends a turn of this kind (ms).
    pub fn wait_ms(&self, ending: Ending) -> u32 {
        match ending {
            Ending::Complete => self.complete_ms,
            Ending::Unsure => self.unsure_ms,
            Ending::Continuing => self.continuing_ms,
        }
    }
}

impl FromKeys for TurnConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "end_of_turn" => {
                self.mode = match key.value() {
                    "adaptive" => Mode::Adaptive,
                    "fixed" => Mode::Fixed,
                    "shadow" => Mode::Shadow,
                    other => return Err(key.error(format!("'{other}' is not adaptive, fixed or shadow"))),
                }
            }
            "complete_ms" | "unsure_ms" | "continuing_ms" => {
                let ms = key.number(20, 5000)?;
                if ms % 20 != 0 {
                    return Err(key.error(format!("'{ms}' is not a multiple of 20 ms (the VAD frame)")));
                }
                match key.name() {
                    "complete_ms" => self.complete_ms = ms,
                    "unsure_ms" => self.unsure_ms = ms,
                    _ => self.continuing_ms = ms,
                }
            }
            "rejoin_ms" => self.rejoin_ms = key.number(0, 5000)?,
            "confident" => {
                self.confident = key.value().parse().ok().filter(|c| (0.0..=1.0).contains(c)).ok_or_else(|| key.error(format!("'{}' is not a number from 0 to 1", key.value())))?
            }
            "backchannel_words" => {
                self.backchannel_words = key.value().split(|c: char| c == ',' || c.is_whitespace()).flat_map(tokens).collect();
            }
            "continuing_words" => {
                self.continuing_words = key.value().split(|c: char| c == ',' || c.is_whitespace()).flat_map(tokens).collect();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Sentiment;

    fn understood(intent: Intent, confidence: f32) -> Classification {
        Classification { intent, confidence, entities: Vec::new(), sentiment: Sentiment::Neutral, topic: None, repair: None, opt_out_unsure: false }
    }

    #[test]
    fn complete_answers_end_soon_and_announced_words_wait() {
        let config = TurnConfig::default();
        let sure = understood(Intent::Positive, 0.9);
        assert_eq!(config.ending("oui", &sure), Ending::Complete);
        assert_eq!(config.ending("Non merci.", &understood(Intent::Negative, 0.95)), Ending::Complete);
        assert_eq!(config.ending("ne m'appelez plus", &understood(Intent::DoNotCall, 0.99)), Ending::Complete);
        // The same confident intent, but the words announce more.
        for words in ["oui mais", "oui et", "oui parce que", "euh", "je", "rappelez-moi demain à", "j'ai un", "oui, c'est"] {
            assert_eq!(config.ending(words, &sure), Ending::Continuing, "{words}");
        }
        assert_eq!(config.ending("oui bien sûr", &sure), Ending::Complete, "'sûr' is not 'sur'");
        assert_eq!(config.ending("oui j'ai un livret A", &sure), Ending::Complete, "'A' is not 'à'");
        assert_eq!(config.ending("peut-être", &understood(Intent::Unclear, 0.4)), Ending::Unsure);
        assert_eq!(config.ending("oui", &understood(Intent::Positive, 0.5)), Ending::Unsure, "not confident");
        assert_eq!(config.ending("", &sure), Ending::Unsure, "no words yet");
        assert!(config.wait_ms(Ending::Complete) < config.wait_ms(Ending::Unsure));
        assert!(config.wait_ms(Ending::Unsure) < config.wait_ms(Ending::Continuing));
    }
}
