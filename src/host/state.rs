//! What a load started, shared by calls, the CLI, the HTTP pages and the dialer: an `Arc`
//! snapshot, replaced whole at reload and dropped at unload. A reader takes the snapshot and lets
//! go of the lock at once: a call keeps the configuration it started with, and nothing waits on
//! another's work. Only `host::module` installs it; everything else reads it.

use crate::asr::Engine;
use crate::call::live::Registry;
use crate::settings::Settings;
use crate::host::dialer::Dialer;
use crate::nlp::service::IntentService;
use crate::obs::calllog::CallLog;
use crate::obs::CallStats;
use crate::recording::Recorder;
use crate::scenario::{Disabled, Scenarios};
use crate::store::pool::Pool;
use crate::store::retention::Retention;
use crate::store::Store;
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone)]
pub struct Bot {
    pub settings: Arc<Settings>,
    pub scenarios: Arc<Scenarios>,
    /// Campaigns left out for an error in their scenario or prompts, with it (they do not run;
    /// the others do).
    pub disabled: Arc<Disabled>,
    /// None: no model configured (or it failed with on_model_error = dtmf_only).
    pub asr: Option<Arc<Engine>>,
    /// Cache, local classifier and (when configured) the LLM pool.
    pub intents: Arc<IntentService>,
    /// None: no [database] url configured.
    pub store: Option<Arc<Store>>,
    /// The connections of the CLI, the control API, the live page and the health probe (bounded,
    /// migrations once per load); None without a database.
    pub pool: Option<Arc<Pool>>,
    /// None: no database, or `[dialer] enabled = no`.
    pub dialer: Option<Arc<Dialer>>,
    /// None: `[calllog] file` is empty.
    pub calllog: Option<Arc<CallLog>>,
    /// The scheduled retention purge; None without a database or with retention_days = 0.
    pub retention: Option<Arc<Retention>>,
    /// Call recordings (its thread starts with the first recorded call).
    pub recorder: Arc<Recorder>,
    pub loaded_at: Instant,
    pub reloaded_at: Option<Instant>,
    pub stats: Arc<CallStats>,
    pub calls: Arc<Registry>,
    /// `test_hooks` as read at load: a reload never turns test fixtures on or off.
    pub test_hooks: bool,
}

static CURRENT: RwLock<Option<Arc<Bot>>> = RwLock::new(None);

/// The running bot, or None when the module is not loaded.
pub fn current() -> Option<Arc<Bot>> {
    CURRENT.read().clone()
}

/// Runs `f` on the running bot's snapshot (no lock is held meanwhile), or None when not loaded.
pub fn with_bot<R>(f: impl FnOnce(&Bot) -> R) -> Option<R> {
    current().map(|bot| f(&bot))
}

/// Installs a new snapshot (load, reload) or none (unload); returns the one it replaces.
pub(super) fn replace(next: Option<Bot>) -> Option<Arc<Bot>> {
    std::mem::replace(&mut *CURRENT.write(), next.map(Arc::new))
}

impl Bot {
    /// Where contact files imported over HTTP by name are; relative to Asterisk's spool directory.
    pub fn import_dir(&self) -> String {
        under(&crate::ast::spool_dir(), &self.settings.http.import_dir)
    }
}

/// Where recordings go for these settings (also before a bot exists, at load).
pub fn recording_dir(settings: &Settings) -> String {
    under(&crate::ast::spool_dir(), &settings.recording_dir)
}

/// A configured path: as it is when absolute, else under `base` (one of Asterisk's directories).
pub fn under(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{base}/{path}")
    }
}
