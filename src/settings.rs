//! minibot.conf: the module's settings, validated with errors that name the file, line, section
//! and key. Pure: it interprets a [`Document`] (read by Asterisk), so it is unit-tested on its own. Unknown keys and sections are warnings, not errors:
//! a typo must not stop calls, but a wrong value must not silently become a default either.

use crate::amd::AmdConfig;
use crate::obs::calllog::CallLogConfig;
use crate::asr::{AsrConfig, AsrMode};
use crate::config::document::{parse_bool, ConfigError, Document, Entry};
use crate::call::controller::CallLimits;
use crate::campaign::DialerConfig;
use crate::nlp::llm::{Api, LlmConfig};
use crate::nlp::service::IntentConfig;
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
            match section.name.as_str() {
                "general" => {
                    for entry in &section.entries {
                        settings.apply_general(entry, &mut warnings)?;
                    }
                }
                "asr" => {
                    for entry in &section.entries {
                        settings.apply_asr(entry, &mut warnings)?;
                    }
                }
                "vad" => {
                    for entry in &section.entries {
                        settings.apply_vad(entry, &mut warnings)?;
                    }
                }
                "intent" | "llm" | "database" | "call" | "dialer" | "amd" | "calllog" | "gdpr" | "recording" | "http" => {
                    for entry in &section.entries {
                        settings.apply_numbers(&section.name, entry, &mut warnings)?;
                    }
                }
                // Scoring is the campaign's: a section left from an older file must not look applied.
                "qualification" => {
                    let message = "lead scoring is per campaign now: move it to minibot_scenarios.conf \
                                   (points_<intent>, points_entity, points_max per step; points_<outcome>, lead_<class> per campaign)";
                    return Err(ConfigError::at(&document.file, section.line, "qualification", "", message));
                }
                other => warnings.push(format!(
                    "{} line {}: unknown section [{other}] ignored",
                    document.file, section.line
                )),
            }
        }
        settings.check_bounds(&document.file)?;
        Ok(Loaded { settings, warnings })
    }

    /// Bounds that depend on each other, checked once every section is read.
    fn check_bounds(&self, file: &str) -> Result<(), ConfigError> {
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

    fn apply_general(&mut self, entry: &Entry, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError::for_entry("general", entry, message);
        let value = entry.value.as_str();
        match entry.key.as_str() {
            "enabled" => self.enabled = parse_bool(value).ok_or_else(|| error(bool_message(value)))?,
            "test_hooks" => self.test_hooks = parse_bool(value).ok_or_else(|| error(bool_message(value)))?,
            "log_level" => {
                self.log_level = parse_log_level(value).ok_or_else(|| {
                    error(format!("'{value}' is not a log level (error, warning, notice, debug)"))
                })?
            }
            "default_country" => {
                let valid = (1..=3).contains(&value.len()) && value.chars().all(|c| c.is_ascii_digit()) && !value.starts_with('0');
                if !valid {
                    return Err(error(format!("'{value}' is not a country calling code such as 33")));
                }
                self.default_country = value.to_string();
            }
            "language" => {
                let valid = !value.is_empty()
                    && value.len() <= 16
                    && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid {
                    return Err(error(format!("'{value}' is not a sound language such as fr or fr_FR")));
                }
                self.language = value.to_string();
            }
            other => warnings.push(format!("{} line {}: unknown key '{other}' in [general] ignored", entry.file, entry.line)),
        }
        Ok(())
    }
}

impl Settings {
    fn apply_asr(&mut self, entry: &Entry, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError::for_entry("asr", entry, message);
        let value = entry.value.as_str();
        match entry.key.as_str() {
            "model" => self.asr.model_path = value.to_string(),
            "mode" => {
                self.asr.mode = match value {
                    "worker" => AsrMode::Worker,
                    "inline" => AsrMode::Inline,
                    _ => return Err(error(format!("'{value}' is not an ASR mode (worker or inline)"))),
                }
            }
            "prewarm" => self.asr.prewarm = parse_number(value, 0, 50).ok_or_else(|| error(range_message(value, 0, 50)))? as usize,
            "max_recognizers" => self.asr.max_recognizers = parse_number(value, 0, 10_000).ok_or_else(|| error(range_message(value, 0, 10_000)))? as usize,
            "decoders" => self.asr.decoders = parse_number(value, 0, 1024).ok_or_else(|| error(range_message(value, 0, 1024)))? as usize,
            "rebuild_after_calls" => {
                self.asr.rebuild_after_calls = parse_number(value, 0, 1_000_000).ok_or_else(|| error(range_message(value, 0, 1_000_000)))? as usize
            }
            "partial_interval_ms" => {
                self.asr.partial_interval_ms = parse_number(value, 20, 5000).ok_or_else(|| error(range_message(value, 20, 5000)))?
            }
            "on_model_error" => {
                self.asr_required = match value {
                    "decline" => true,
                    "dtmf_only" => false,
                    _ => return Err(error(format!("'{value}' is not decline or dtmf_only"))),
                }
            }
            other => warnings.push(format!("{} line {}: unknown key '{other}' in [asr] ignored", entry.file, entry.line)),
        }
        Ok(())
    }

    fn apply_vad(&mut self, entry: &Entry, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError::for_entry("vad", entry, message);
        let value = entry.value.as_str();
        let target = match entry.key.as_str() {
            "onset_ms" => &mut self.vad.onset_ms,
            "hangover_ms" => &mut self.vad.hangover_ms,
            "preroll_ms" => &mut self.vad.preroll_ms,
            "max_speech_ms" => &mut self.vad.max_speech_ms,
            other => {
                warnings.push(format!("{} line {}: unknown key '{other}' in [vad] ignored", entry.file, entry.line));
                return Ok(());
            }
        };
        let max = if entry.key == "max_speech_ms" { 600_000 } else { 5000 };
        let ms = parse_number(value, 20, max).ok_or_else(|| error(range_message(value, 20, max)))?;
        if ms % 20 != 0 {
            return Err(error(format!("'{value}' is not a multiple of 20 ms (the VAD frame)")));
        }
        *target = ms;
        Ok(())
    }
}

impl Settings {
    /// [intent], [llm], [database] and [call]: mostly bounded numbers.
    fn apply_numbers(&mut self, section: &str, entry: &Entry, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError::for_entry(section, entry, message);
        let value = entry.value.trim();
        let number = |min: u32, max: u32| parse_number(value, min, max).ok_or_else(|| error(range_message(value, min, max)));
        match (section, entry.key.as_str()) {
            ("intent", "llm_below") => {
                self.intent.llm_below = value
                    .parse::<f32>()
                    .ok()
                    .filter(|v| (0.0..=1.01).contains(v))
                    .ok_or_else(|| error(format!("'{value}' is not a confidence from 0 to 1")))?
            }
            ("call", "max_duration_s") => self.limits.max_duration = std::time::Duration::from_secs(number(10, 86_400)? as u64),
            ("call", "processing_timeout_ms") => {
                self.limits.processing_timeout = std::time::Duration::from_millis(number(200, 120_000)? as u64)
            }
            ("call", "last_words_ms") => self.limits.last_words = std::time::Duration::from_millis(number(0, 10_000)? as u64),
            ("intent", "deadline_ms") => self.intent.deadline_ms = number(50, 10_000)? as u64,
            ("intent", "model") => {
                if value.contains("..") {
                    return Err(error(format!("'{value}' must not contain '..'")));
                }
                self.intent.model = value.to_string();
            }
            ("intent", "cache_size") => self.intent.cache_size = number(0, 1_000_000)? as usize,
            ("llm", "url") => {
                if !(value.is_empty() || value.starts_with("http://") || value.starts_with("https://")) {
                    return Err(error(format!("'{value}' is not an http(s) URL")));
                }
                self.llm.url = value.to_string();
            }
            ("llm", "api") => {
                self.llm.api = match value {
                    "ollama" => Api::Ollama,
                    "openai" => Api::OpenAi,
                    _ => return Err(error(format!("'{value}' is not ollama or openai"))),
                }
            }
            ("llm", "model") => self.llm.model = value.to_string(),
            ("llm", "keep_alive") => self.llm.keep_alive = value.to_string(),
            ("llm", "workers") => self.llm.workers = number(1, 64)? as usize,
            ("llm", "queue") => self.llm.queue = number(1, 10_000)? as usize,
            ("llm", "connect_timeout_ms") => self.llm.connect_timeout_ms = number(10, 60_000)? as u64,
            ("llm", "timeout_ms") => self.llm.timeout_ms = number(50, 120_000)? as u64,
            ("llm", "breaker_failures") => self.llm.breaker_failures = number(1, 1000)?,
            ("llm", "breaker_cooldown_ms") => self.llm.breaker_cooldown_ms = number(100, 3_600_000)? as u64,
            ("database", "url") => {
                let candidate = crate::store::StoreConfig { url: value.to_string(), ..crate::store::StoreConfig::default() };
                if !value.is_empty() {
                    crate::store::db::parse_url(&candidate).map_err(error)?;
                }
                self.database.url = value.to_string();
            }
            ("database", "connect_timeout_ms") => self.database.connect_timeout_ms = number(100, 60_000)? as u64,
            ("database", "timeout_ms") => self.database.timeout_ms = number(100, 600_000)? as u64,
            ("database", "writers") => self.database.writers = number(1, 20)? as usize,
            ("database", "queue") => self.database.queue = number(1, 1_000_000)? as usize,
            ("database", "tls_verify") => {
                self.database.tls_verify = parse_bool(value).ok_or_else(|| error(bool_message(value)))?;
            }
            ("database", "retry_ms") => self.database.retry_ms = number(50, 600_000)? as u64,
            ("database", "spool") => {
                if !value.starts_with('/') {
                    return Err(error(format!("'{value}' is not an absolute path")));
                }
                self.database.spool_path = value.to_string();
            }
            ("database", "node") => {
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
                    return Err(error(format!("'{value}' is not a node name (letters, digits, '-', '_', '.')")));
                }
                self.node = value.to_string();
            }
            ("gdpr", "retention_days") => self.retention_days = number(0, 36_500)?,
            ("gdpr", "purge_interval_min") => self.purge_interval_min = number(1, 10_080)?,
            ("calllog", "file") => {
                if value.contains("..") {
                    return Err(error(format!("'{value}' must not contain '..'")));
                }
                self.calllog.path = value.to_string();
            }
            ("http", "jwt_secret") => self.http.jwt_secret = crate::access::Secret::new(value).map_err(error)?,
            ("http", "metrics_auth") => self.http.metrics_auth = parse_bool(value).ok_or_else(|| error(bool_message(value)))?,
            ("http", "rate_limit") => self.http.rate_limit_per_min = number(1, 100_000)?,
            ("http", "import_dir") => {
                if value.is_empty() || value.contains("..") {
                    return Err(error(format!("'{value}' is not a directory for contact files (no '..')")));
                }
                self.http.import_dir = value.trim_end_matches('/').to_string();
            }
            ("recording", "enabled") => self.recording_enabled = parse_bool(value).ok_or_else(|| error(bool_message(value)))?,
            ("recording", "dir") => {
                if value.is_empty() || value.contains("..") {
                    return Err(error(format!("'{value}' is not a directory for recordings (no '..')")));
                }
                self.recording_dir = value.to_string();
            }
            ("calllog", "max_mb") => self.calllog.max_bytes = u64::from(number(1, 100_000)?) * 1024 * 1024,
            ("calllog", "keep") => self.calllog.keep = number(0, 1000)?,
            ("amd", "long_greeting_ms") => self.amd.long_greeting_ms = number(500, 60_000)?,
            ("amd", "human_answer_ms") => self.amd.human_answer_ms = number(100, 10_000)?,
            ("amd", "silence_ms") => self.amd.silence_ms = number(100, 10_000)?,
            ("amd", "max_wait_ms") => self.amd.max_wait_ms = number(1000, 120_000)?,
            ("dialer", "enabled") => self.dialer.enabled = parse_bool(value).ok_or_else(|| error(bool_message(value)))?,
            ("dialer", "context") => {
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(error(format!("'{value}' is not a dialplan context name")));
                }
                self.dialer.context = value.to_string();
            }
            ("dialer", "max_calls") => self.dialer.max_calls = number(1, 10_000)?,
            ("dialer", "lease_s") => self.dialer.lease_s = number(10, 3600)?,
            ("dialer", "poll_ms") => self.dialer.poll_ms = number(50, 60_000)?,
            ("dialer", "max_turn_ms") => self.dialer.max_turn_ms = number(50, 60_000)?,
            ("dialer", "max_audio_gap_ms") => self.dialer.max_audio_gap_ms = number(20, 10_000)?,
            ("dialer", "max_backlog_ms") => self.dialer.max_backlog_ms = number(100, 60_000)?,
            ("dialer", "ramp_calls") => self.dialer.ramp_calls = number(1, 10_000)?,
            ("dialer", "ramp_s") => self.dialer.ramp_s = number(0, 600)?,
            (_, other) => warnings.push(format!("{} line {}: unknown key '{other}' in [{section}] ignored", entry.file, entry.line)),
        }
        Ok(())
    }
}

fn parse_number(value: &str, min: u32, max: u32) -> Option<u32> {
    value.trim().parse().ok().filter(|n| (min..=max).contains(n))
}

fn range_message(value: &str, min: u32, max: u32) -> String {
    format!("'{value}' is not a whole number from {min} to {max}")
}

fn bool_message(value: &str) -> String {
    format!("'{value}' is not yes or no")
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
    use crate::config::document::Document;

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
