//! minibot.conf: the module's settings, validated with errors that name the file, line, section
//! and key. Pure: it interprets a [`Document`] (read by Asterisk), so it is unit-tested on its own. Unknown keys and sections are warnings, not errors:
//! a typo must not stop calls, but a wrong value must not silently become a default either.

use crate::amd::AmdConfig;
use crate::obs::calllog::CallLogConfig;
use crate::asr::AsrConfig;
use crate::config::document::{ConfigError, Document, FromKeys, Key};
use crate::call::controller::CallLimits;
use crate::campaign::DialerConfig;
use crate::nlp::llm::LlmConfig;
use crate::nlp::service::IntentConfig;
use crate::nlp::turn_end::{Mode, TurnConfig};
use crate::store::StoreConfig;
use crate::vad::SegmenterConfig;
use log::LevelFilter;

pub const CONFIG_FILE: &str = "minibot.conf";

/// The module's settings, with the defaults an operator gets from an empty file.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `no` keeps the module loaded but makes MiniBot() end at once with MINIBOTSTATUS=DISABLED.
    pub enabled: bool,
    pub log_level: LevelFilter,
    /// Language of prompts (Asterisk sound language).
    pub language: String,
    /// Read at load only (a reload never changes it). Registers `minibot test ...` CLI commands
    /// that exercise failure paths (e.g. a panic), and lets the channel variable
    /// MINIBOT_TEST_TRANSCRIPTS replace what the recognizer heard, turn by turn (TEST FIXTURE).
    pub test_hooks: bool,
    /// Speech recognition; `asr.model_path` empty means none (DTMF and speech/no-speech only).
    pub asr: AsrConfig,
    /// What a model that cannot be loaded does: refuse the module load, or run without ASR.
    pub asr_required: bool,
    pub vad: SegmenterConfig,
    /// How a turn's end is decided (from the words at a pause, or the fixed hangover).
    pub turn: TurnConfig,
    /// Bounds on every state of a call.
    pub limits: CallLimits,
    pub intent: IntentConfig,
    /// The LLM tier; `llm.url` empty means none (local classifier only).
    pub llm: LlmConfig,
    /// PostgreSQL; `database.url` empty means results go to the log and AMI only.
    pub database: StoreConfig,
    /// This Asterisk node's name, in call keys (several nodes may share one database).
    pub node: String,
    /// Country code given to national numbers ("06 12 34 56 78" -> +33612345678).
    pub default_country: String,
    /// The campaign dialer of this node.
    pub dialer: DialerConfig,
    /// Answering-machine detection: how AMD()'s verdict is weighed with the module's own evidence.
    pub amd: AmdConfig,
    /// The per-call JSON log; a relative path is under Asterisk's log directory.
    pub calllog: CallLogConfig,
    /// After this many days what callees said (transcripts, turns) is purged; 0 keeps it.
    pub retention_days: u32,
    pub purge_interval_min: u32,
    /// `[recording]`: the node's switch (campaigns choose with `record`), and where files go
    /// (a relative path is under Asterisk's spool directory).
    pub recording_enabled: bool,
    pub recording_dir: String,
    /// `[http]`: who may use the control endpoints on Asterisk's HTTP server.
    pub http: HttpConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    /// HS256 key of the bearer tokens; unset turns the control endpoints off (503).
    pub jwt_secret: crate::access::Secret,
    /// `/minibot/metrics` needs a viewer token too.
    pub metrics_auth: bool,
    /// Control requests per client address and minute.
    pub rate_limit_per_min: u32,
    /// Where contact files imported over HTTP by name must be (relative: under Asterisk's spool
    /// directory).
    pub import_dir: String,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig { jwt_secret: crate::access::Secret::default(), metrics_auth: false, rate_limit_per_min: 120, import_dir: "minibot/imports".into() }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            enabled: true,
            log_level: LevelFilter::Info,
            language: "fr".into(),
            test_hooks: false,
            asr: AsrConfig::default(),
            asr_required: true,
            vad: SegmenterConfig::default(),
            turn: TurnConfig::default(),
            limits: CallLimits::default(),
            intent: IntentConfig::default(),
            llm: LlmConfig::default(),
            database: StoreConfig::default(),
            node: "asterisk".into(),
            default_country: "33".into(),
            dialer: DialerConfig::default(),
            amd: AmdConfig::default(),
            calllog: CallLogConfig::default(),
            retention_days: 0,
            purge_interval_min: 60,
            recording_enabled: true,
            recording_dir: "monitor/minibot".into(),
            http: HttpConfig::default(),
        }
    }
}

/// Settings plus what was tolerated while reading them.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub warnings: Vec<String>,
}

impl Settings {
    pub fn from_document(document: &Document) -> Result<Loaded, ConfigError> {
        let mut settings = Settings::default();
        let mut warnings = Vec::new();
        for section in &document.sections {
            let name = section.name.as_str();
            if name == "qualification" {
                // Scoring is the campaign's: a section left from an older file must not look applied.
                let message = "lead scoring is per campaign now: move it to minibot_scenarios.conf \
                               (points_<intent>, points_entity, points_max per step; points_<outcome>, lead_<class> per campaign)";
                return Err(ConfigError::at(&document.file, section.line, "qualification", "", message));
            }
            if !SECTIONS.contains(&name) {
                warnings.push(format!("{} line {}: unknown section [{name}] ignored", document.file, section.line));
                continue;
            }
            for entry in &section.entries {
                let key = Key { section: name, entry };
                if !settings.apply(&key)? {
                    warnings.push(key.unknown());
                }
            }
        }
        settings.check_bounds(&document.file)?;
        Ok(Loaded { settings, warnings })
    }

    /// One key, read by the type its section fills; Ok(false) when no type knows it.
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.section {
            "general" => self.apply_general(key),
            "asr" if key.name() == "on_model_error" => {
                self.asr_required = match key.value() {
                    "decline" => true,
                    "dtmf_only" => false,
                    other => return Err(key.error(format!("'{other}' is not decline or dtmf_only"))),
                };
                Ok(true)
            }
            "asr" => self.asr.apply(key),
            "vad" => self.vad.apply(key),
            "turn" => self.turn.apply(key),
            "call" => self.limits.apply(key),
            "intent" => self.intent.apply(key),
            "llm" => self.llm.apply(key),
            "database" if key.name() == "node" => {
                let value = key.value();
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
                    return Err(key.error(format!("'{value}' is not a node name (letters, digits, '-', '_', '.')")));
                }
                self.node = value.to_string();
                Ok(true)
            }
            "database" => self.database.apply(key),
            "dialer" => self.dialer.apply(key),
            "amd" => self.amd.apply(key),
            "calllog" => self.calllog.apply(key),
            "http" => self.http.apply(key),
            "gdpr" => {
                match key.name() {
                    "retention_days" => self.retention_days = key.number(0, 36_500)?,
                    "purge_interval_min" => self.purge_interval_min = key.number(1, 10_080)?,
                    _ => return Ok(false),
                }
                Ok(true)
            }
            "recording" => {
                match key.name() {
                    "enabled" => self.recording_enabled = key.boolean()?,
                    "dir" => {
                        let value = key.value();
                        if value.is_empty() || value.contains("..") {
                            return Err(key.error(format!("'{value}' is not a directory for recordings (no '..')")));
                        }
                        self.recording_dir = value.to_string();
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The segmenter a call runs: with the adaptive end of turn it waits up to the longest wait
    /// (the call ends the turn sooner from the words), in fixed mode it reports no pauses.
    pub fn segmenter(&self) -> SegmenterConfig {
        match self.turn.mode {
            Mode::Adaptive => SegmenterConfig { hangover_ms: self.turn.continuing_ms, ..self.vad },
            Mode::Fixed => SegmenterConfig { pause_ms: 0, ..self.vad },
            Mode::Shadow => self.vad,
        }
    }

    /// Bounds that depend on each other, checked once every section is read.
    fn check_bounds(&self, file: &str) -> Result<(), ConfigError> {
        let turn = &self.turn;
        if turn.mode != Mode::Fixed && !(self.vad.pause_ms > 0 && self.vad.pause_ms < turn.complete_ms && turn.complete_ms <= turn.unsure_ms && turn.unsure_ms <= turn.continuing_ms) {
            let message = format!(
                "[vad] pause_ms ({}) must be above 0 and under complete_ms ({}), and complete_ms <= unsure_ms ({}) <= continuing_ms ({})",
                self.vad.pause_ms, turn.complete_ms, turn.unsure_ms, turn.continuing_ms
            );
            return Err(ConfigError::at(file, 0, "turn", "end_of_turn", &message));
        }
        if self.vad.max_speech_ms <= self.vad.onset_ms {
            let message = format!("max_speech_ms ({}) must be above onset_ms ({})", self.vad.max_speech_ms, self.vad.onset_ms);
            return Err(ConfigError::at(file, 0, "vad", "max_speech_ms", &message));
        }
        let processing_ms = self.limits.processing_timeout.as_millis() as u64;
        if processing_ms <= self.intent.deadline_ms {
            let message = format!(
                "processing_timeout_ms ({processing_ms}) must be above [intent] deadline_ms ({}): a turn's intent must be able to arrive",
                self.intent.deadline_ms
            );
            return Err(ConfigError::at(file, 0, "call", "processing_timeout_ms", &message));
        }
        if u64::from(self.dialer.lease_s) * 1000 < 5 * u64::from(self.dialer.poll_ms) {
            let message = format!(
                "lease_s ({} s) must cover at least five polls (poll_ms = {}): a lease renewed too rarely lets another node dial a call in progress",
                self.dialer.lease_s, self.dialer.poll_ms
            );
            return Err(ConfigError::at(file, 0, "dialer", "lease_s", &message));
        }
        Ok(())
    }

    fn apply_general(&mut self, key: &Key) -> Result<bool, ConfigError> {
        let value = key.value();
        match key.name() {
            "enabled" => self.enabled = key.boolean()?,
            "test_hooks" => self.test_hooks = key.boolean()?,
            "log_level" => {
                self.log_level =
                    parse_log_level(value).ok_or_else(|| key.error(format!("'{value}' is not a log level (error, warning, notice, debug)")))?
            }
            "default_country" => {
                let valid = (1..=3).contains(&value.len()) && value.chars().all(|c| c.is_ascii_digit()) && !value.starts_with('0');
                if !valid {
                    return Err(key.error(format!("'{value}' is not a country calling code such as 33")));
                }
                self.default_country = value.to_string();
            }
            "language" => {
                let valid = !value.is_empty() && value.len() <= 16 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(key.error(format!("'{value}' is not a sound language such as fr or fr_FR")));
                }
                self.language = value.to_string();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The sections of minibot.conf.
const SECTIONS: &[&str] = &["general", "asr", "vad", "turn", "call", "intent", "llm", "database", "dialer", "amd", "calllog", "gdpr", "recording", "http"];

/// `[http]` in minibot.conf.
impl FromKeys for HttpConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "jwt_secret" => self.jwt_secret = crate::access::Secret::new(key.value()).map_err(|e| key.error(e))?,
            "metrics_auth" => self.metrics_auth = key.boolean()?,
            "rate_limit" => self.rate_limit_per_min = key.number(1, 100_000)?,
            "import_dir" => {
                let value = key.value();
                if value.is_empty() || value.contains("..") {
                    return Err(key.error(format!("'{value}' is not a directory for contact files (no '..')")));
                }
                self.import_dir = value.trim_end_matches('/').to_string();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn parse_log_level(value: &str) -> Option<LevelFilter> {
    match value.to_ascii_lowercase().as_str() {
        "error" => Some(LevelFilter::Error),
        "warning" | "warn" => Some(LevelFilter::Warn),
        "notice" | "info" => Some(LevelFilter::Info),
        "debug" => Some(LevelFilter::Debug),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::AsrMode;
    use crate::config::document::Document;
    use crate::nlp::llm::Api;

    fn load(text: &str) -> Result<Loaded, ConfigError> {
        Settings::from_document(&Document::parse_str("minibot.conf", text)?)
    }

    #[test]
    fn empty_file_gives_defaults() {
        let loaded = load("").unwrap();
        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn reads_general_settings() {
        let loaded = load("[general]\nenabled = no ; paused\nlog_level => debug\nlanguage = fr_FR\ntest_hooks = yes\n").unwrap();
        let s = loaded.settings;
        assert!(!s.enabled);
        assert_eq!(s.log_level, LevelFilter::Debug);
        assert_eq!(s.language, "fr_FR");
        assert!(s.test_hooks);
    }

    #[test]
    fn bad_value_names_file_line_section_and_key() {
        let err = load("; MiniBot\n[general]\nenabled = yes\nlog_level = loud\n").unwrap_err();
        assert_eq!(err.line, 4);
        assert_eq!(err.key, "log_level");
        assert_eq!(
            err.to_string(),
            "minibot.conf line 4, section [general], key 'log_level': 'loud' is not a log level (error, warning, notice, debug)"
        );
        let err = load("[general]\nenabled = maybe\n").unwrap_err();
        assert!(err.to_string().contains("line 2") && err.to_string().contains("'maybe' is not yes or no"));
        assert!(load("[general]\nlanguage = fr/../../etc\n").is_err());
    }

    #[test]
    fn reads_the_turn_section_and_checks_its_waits() {
        let s = load("[turn]\nend_of_turn = shadow\ncomplete_ms = 160\ncontinuing_words = euh, et\n[vad]\npause_ms = 80\n").unwrap().settings;
        assert_eq!((s.turn.mode, s.turn.complete_ms, s.vad.pause_ms), (Mode::Shadow, 160, 80));
        assert_eq!(s.turn.continuing_words, ["euh", "et"]);
        assert_eq!(s.segmenter().hangover_ms, 300, "shadow: the fixed hangover ends the turn");
        let adaptive = load("").unwrap().settings;
        assert_eq!((adaptive.turn.mode, adaptive.segmenter().hangover_ms), (Mode::Adaptive, 800), "the call ends it sooner");
        assert_eq!(load("[turn]\nend_of_turn = fixed\n").unwrap().settings.segmenter().pause_ms, 0);
        let err = load("[turn]\nend_of_turn = sometimes\n").unwrap_err();
        assert!(err.to_string().contains("line 2") && err.message.contains("adaptive, fixed or shadow"), "{err}");
        let err = load("[turn]\ncomplete_ms = 400\nunsure_ms = 300\n").unwrap_err();
        assert!(err.to_string().contains("section [turn]") && err.message.contains("complete_ms <= unsure_ms"), "{err}");
    }

    #[test]
    fn reads_asr_and_vad_sections() {
        let text = "[asr]\nmodel = /opt/m\nmode = inline\nprewarm = 3\non_model_error = dtmf_only\n[vad]\nonset_ms = 160\nhangover_ms = 400\n";
        let s = load(text).unwrap().settings;
        assert_eq!((s.asr.model_path.as_str(), s.asr.mode, s.asr.prewarm), ("/opt/m", AsrMode::Inline, 3));
        assert!(!s.asr_required);
        assert_eq!((s.vad.onset_ms, s.vad.hangover_ms, s.vad.preroll_ms), (160, 400, 300));
        let err = load("[vad]\nonset_ms = 150\n").unwrap_err();
        assert!(err.to_string().contains("line 2, section [vad], key 'onset_ms'") && err.message.contains("multiple of 20"), "{err}");
        assert!(load("[asr]\nmode = gpu\n").is_err());
        assert!(load("[asr]\nprewarm = -1\n").is_err());
    }

    #[test]
    fn reads_intent_and_llm_and_sends_scoring_to_the_campaigns() {
        let text = "[intent]\nllm_below = 0.6\ndeadline_ms = 900\n[llm]\nurl = http://127.0.0.1:11434\napi = openai\nmodel = gemma\n";
        let s = load(text).unwrap().settings;
        assert_eq!((s.intent.llm_below, s.intent.deadline_ms), (0.6, 900));
        assert_eq!((s.llm.url.as_str(), s.llm.api, s.llm.model.as_str()), ("http://127.0.0.1:11434", Api::OpenAi, "gemma"));
        assert!(load("[llm]\nurl = ftp://x\n").unwrap_err().to_string().contains("section [llm], key 'url'"));
        let err = load("[general]\nenabled = yes\n[qualification]\nhot = 80\n").unwrap_err();
        assert!(err.to_string().starts_with("minibot.conf line 3, section [qualification]") && err.message.contains("minibot_scenarios.conf"), "{err}");
        let uri = "[database]\nurl = postgres://minibot@db:5432/minibot?sslmode=require\ntimeout_ms = 3000\n";
        let s = load(uri).unwrap().settings;
        assert_eq!((s.database.url.as_str(), s.database.timeout_ms), ("postgres://minibot@db:5432/minibot?sslmode=require", 3000));
        let err = load("[database]\nurl = postgres://minibot@db/x?sslmode=maybe\n").unwrap_err();
        assert!(err.to_string().starts_with("minibot.conf line 2, section [database], key 'url'"), "{err}");
    }

    #[test]
    fn bounds_that_depend_on_each_other_are_checked() {
        let err = load("[vad]\nonset_ms = 200\nmax_speech_ms = 200\n").unwrap_err();
        assert!(err.to_string().contains("section [vad], key 'max_speech_ms'"), "{err}");
        let err = load("[intent]\ndeadline_ms = 2000\n[call]\nprocessing_timeout_ms = 1500\n").unwrap_err();
        assert!(err.message.contains("must be above [intent] deadline_ms (2000)"), "{err}");
        let s = load("[call]\nmax_duration_s = 120\nprocessing_timeout_ms = 3000\nlast_words_ms = 1500\n").unwrap().settings;
        assert_eq!((s.limits.max_duration.as_secs(), s.limits.processing_timeout.as_millis()), (120, 3000));
        assert_eq!(s.limits.last_words.as_millis(), 1500);
        assert!(load("[call]\nlast_words_ms = 60000\n").is_err(), "bounded: a hung-up call must end");
    }

    #[test]
    fn unknown_keys_and_sections_are_warnings() {
        let loaded = load("[general]\nenabeld = no\n[mystery]\nx = 1\n").unwrap();
        assert!(loaded.settings.enabled);
        assert_eq!(loaded.warnings.len(), 2);
        assert!(loaded.warnings[0].contains("line 2") && loaded.warnings[0].contains("enabeld"));
        assert!(loaded.warnings[1].contains("[mystery]"));
    }

}
