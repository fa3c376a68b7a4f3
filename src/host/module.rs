//! The module's lifecycle: load reads the configuration, starts the parts, installs the state
//! (`host::state`) and registers the faces; reload swaps the state's snapshot and pushes what
//! changed to the parts that hold a copy; unload undoes it all. Nothing imports this file.
//!
//! The state is an `Option` rather than a once-cell: Asterisk keeps this library mapped across
//! `module unload` / `module load` (a library that ran a Rust thread is never unmapped), and each
//! load must start fresh.

use crate::asr::Engine;
use crate::ast;
use crate::settings::{Settings, CONFIG_FILE};
use crate::nlp::llm::LlmPool;
use crate::nlp::model::IntentModel;
use crate::nlp::service::IntentService;
use crate::host::dialer::Dialer;
use crate::store::retention::Retention;
use crate::store::Store;
use crate::obs::calllog::{self, CallLog};
use crate::recording::{Recorder, RecordingConfig};
use crate::scenario::{Disabled, Scenarios, SCENARIO_FILE};
use crate::host::state::{self, Bot};
use crate::host::{app, cli, files, web};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections of the pool: operators' commands and pages are few and short.
const POOL_CONNECTIONS: usize = 4;

declare_module! {
    load: load,
    unload: unload,
    reload: reload,
}

fn load() -> Result<(), String> {
    let settings = read_settings()?;
    log::set_max_level(settings.log_level);
    let (scenarios, disabled) = read_scenarios(&settings)?;
    let scenarios = Arc::new(scenarios);
    let mut parts = Parts::default();
    if let Err(reason) = start_parts(&settings, &scenarios, &mut parts) {
        parts.shutdown(); // what did start is stopped and joined: a declined load leaves nothing behind
        return Err(reason);
    }
    let Some(intents) = parts.intents.take() else { return Err("intents did not start".into()) };
    let Some(recorder) = parts.recorder.clone() else { return Err("the recorder did not start".into()) };
    calllog::set_current(parts.calllog.clone());
    crate::obs::prom::RECORDED.reset(); // counters start with the load, like the module's others
    let test_hooks = settings.test_hooks;
    let pool = parts.store.as_ref().map(|_| Arc::new(crate::store::pool::Pool::new(settings.database.clone(), POOL_CONNECTIONS)));
    state::replace(Some(Bot {
        settings: Arc::new(settings),
        scenarios,
        disabled: Arc::new(disabled),
        asr: parts.asr,
        intents,
        pool,
        store: parts.store,
        dialer: parts.dialer,
        calllog: parts.calllog,
        retention: parts.retention,
        recorder,
        loaded_at: Instant::now(),
        reloaded_at: None,
        stats: Arc::default(),
        calls: Arc::default(),
        test_hooks,
    }));
    let registered = app::register().and_then(|()| cli::register(cli::commands(test_hooks))).and_then(|()| web::register());
    if let Err(reason) = registered {
        let _ = unload();
        return Err(reason);
    }
    log::info!("MiniBot {} loaded (Asterisk {})", crate::version(), ast::asterisk_version());
    Ok(())
}

/// What runs threads, as it starts; stopped in the reverse order.
#[derive(Default)]
struct Parts {
    calllog: Option<Arc<CallLog>>,
    asr: Option<Arc<Engine>>,
    intents: Option<Arc<IntentService>>,
    store: Option<Arc<Store>>,
    dialer: Option<Arc<Dialer>>,
    retention: Option<Arc<Retention>>,
    recorder: Option<Arc<Recorder>>,
}

fn start_parts(settings: &Settings, scenarios: &Arc<Scenarios>, parts: &mut Parts) -> Result<(), String> {
    parts.calllog = start_calllog(settings)?;
    parts.recorder = Some(Arc::new(Recorder::new(RecordingConfig { dir: state::recording_dir(settings), ..RecordingConfig::default() })));
    parts.asr = start_asr(settings)?;
    parts.intents = Some(Arc::new(start_intents(settings)?));
    if settings.database.url.is_empty() {
        log::warn!("no [database] url: call results go to the log and AMI only");
        return Ok(());
    }
    // Never refuses the load for an outage: results wait in the spool until the database is back.
    let store = Arc::new(Store::start(settings.database.clone()).map_err(|e| format!("{CONFIG_FILE} [database]: {e}"))?);
    parts.store = Some(store.clone());
    if settings.dialer.enabled {
        let dialer = Dialer::start(settings.dialer.clone(), settings.node.clone(), settings.database.clone(), store, parts.asr.clone(), scenarios.clone())
            .map_err(|e| format!("{CONFIG_FILE} [dialer]: {e}"))?;
        parts.dialer = Some(Arc::new(dialer));
    }
    if settings.retention_days > 0 {
        let every = Duration::from_secs(u64::from(settings.purge_interval_min) * 60);
        parts.retention = Some(Arc::new(Retention::start(settings.database.clone(), settings.retention_days, every, state::recording_dir(settings))?));
    }
    Ok(())
}

impl Parts {
    /// Stops and joins everything that started (no call runs: checked by the caller).
    fn shutdown(&self) {
        if let Some(dialer) = &self.dialer {
            dialer.shutdown(); // no call in progress: joins idle threads
        }
        if let Some(engine) = &self.asr {
            // No call runs and no recognizer is in use: this ends and joins the decoder threads.
            if let Err(e) = engine.shutdown(ASR_STOP_TIMEOUT) {
                log::error!("{e}");
            }
        }
        if let Some(intents) = &self.intents {
            intents.shutdown(); // joins the LLM workers (each bounded by its request timeout)
        }
        if let Some(retention) = &self.retention {
            retention.shutdown(); // a purge in progress finishes (bounded by [database] timeouts)
        }
        if let Some(recorder) = &self.recorder {
            recorder.shutdown(); // no call runs: writes what is queued, closes the files, joins the writer
        }
        calllog::set_current(None);
        if let Some(log) = &self.calllog {
            log.shutdown(); // writes what is queued, joins the writer
        }
        if let Some(store) = &self.store {
            store.shutdown(); // writes or spools what is queued (bounded by [database] timeouts), joins the writers
        }
    }
}

/// Longest wait at unload for the recognizers of calls that just ended.
const ASR_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The order matters. While any channel runs MiniBot() (`module unload -f` gets here with calls
/// inside), the unload is refused before anything is touched: unregistering frees Asterisk's
/// record of the application, whose name and module those channels still read (a crash under
/// load). Otherwise nothing new can start (application and CLI unregistered); a call that slipped
/// in between the check and the unregistration (a window of microseconds, which Asterisk leaves
/// open for every module) restores them; only then are the threads stopped and joined and the
/// state dropped.
fn unload() -> Result<(), String> {
    let busy = |running: usize| format!("{running} call(s) are running MiniBot(); hang them up (or wait) and unload again");
    let running = ast::app::running();
    if running > 0 {
        return Err(busy(running));
    }
    // Campaign calls ringing or in progress: no new one from here on; refuse while any is left.
    let dialer = state::current().and_then(|bot| bot.dialer.clone());
    if let Some(dialer) = &dialer {
        let placed = dialer.hold();
        if placed > 0 {
            dialer.release();
            return Err(format!("{placed} campaign call(s) are ringing or in progress: pause the campaigns (minibot campaign pause <name>), wait, and unload again"));
        }
    }
    app::unregister();
    ast::cli::unregister_all();
    web::unregister();
    let running = ast::app::running();
    if running > 0 {
        return refuse_unload(busy(running));
    }
    // The workers of calls that just ended finish their last chunk; if they do not, nothing has
    // been stopped yet and the module goes on as it was.
    let asr = state::current().and_then(|bot| bot.asr.clone());
    if let Some(Err(reason)) = asr.map(|engine| engine.wait_workers(ASR_STOP_TIMEOUT)) {
        return refuse_unload(reason);
    }
    let Some(bot) = state::replace(None) else { return Ok(()) };
    Parts {
        calllog: bot.calllog.clone(),
        asr: bot.asr.clone(),
        intents: Some(bot.intents.clone()),
        store: bot.store.clone(),
        dialer: bot.dialer.clone(),
        retention: bot.retention.clone(),
        recorder: Some(bot.recorder.clone()),
    }
    .shutdown();
    Ok(())
}

/// A refused unload: MiniBot() and the CLI come back as they were.
fn refuse_unload(reason: String) -> Result<(), String> {
    let bot = state::current();
    let test_hooks = bot.as_ref().is_some_and(|bot| bot.test_hooks);
    if let Some(dialer) = bot.and_then(|bot| bot.dialer.clone()) {
        dialer.release();
    }
    if let Err(e) = app::register().and_then(|()| cli::register(cli::commands(test_hooks))).and_then(|()| web::register()) {
        log::error!("MiniBot stays loaded but could not register again: {e}");
    }
    Err(reason)
}

fn reload() -> Result<(), String> {
    let settings = read_settings()?;
    let (scenarios, disabled) = read_scenarios(&settings)?;
    // The model is read again (before the lock: parsing takes a few milliseconds): `make train`,
    // `make install` then a reload is how a new one goes live.
    let model = load_intent_model(&settings.intent.model)?;
    log::set_max_level(settings.log_level);
    let current = state::current().ok_or("module is not loaded")?;
    let bot = &current;
    if bot.test_hooks != settings.test_hooks {
        log::warn!("test_hooks changes take effect at the next module load (now: {})", if bot.test_hooks { "yes" } else { "no" });
    }
    if bot.settings.asr != settings.asr {
        log::warn!("[asr] changes take effect at the next module load");
    }
    if bot.settings.database != settings.database || bot.settings.node != settings.node {
        log::warn!("[database] changes (node included) take effect at the next module load");
    }
    if bot.settings.dialer != settings.dialer
        || bot.settings.calllog != settings.calllog
        || bot.settings.retention_days != settings.retention_days
        || bot.settings.recording_dir != settings.recording_dir
    {
        log::warn!("[dialer], [calllog], [gdpr] and [recording] dir changes take effect at the next module load");
    }
    if bot.settings.llm != settings.llm || bot.settings.intent != settings.intent {
        log::warn!("[llm] and [intent] changes other than the model take effect at the next module load");
    }
    let scenarios = Arc::new(scenarios);
    bot.intents.set_model(model);
    if let Some(dialer) = &bot.dialer {
        dialer.set_scenarios(scenarios.clone());
    }
    // Calls in progress keep the snapshot they started with; new ones take this one.
    state::replace(Some(Bot { settings: Arc::new(settings), scenarios, disabled: Arc::new(disabled), reloaded_at: Some(Instant::now()), ..Bot::clone(bot) }));
    log::info!("MiniBot configuration reloaded from {CONFIG_FILE} and {SCENARIO_FILE}");
    Ok(())
}

/// minibot.conf, its warnings logged.
fn read_settings() -> Result<Settings, String> {
    let (settings, warnings) = files::read_settings()?;
    for warning in &warnings {
        log::warn!("{warning}");
    }
    Ok(settings)
}

/// The campaigns, those with an error disabled (logged with it), warnings logged.
fn read_scenarios(settings: &Settings) -> Result<(Scenarios, Disabled), String> {
    let (scenarios, disabled, warnings) = files::read_scenarios(settings)?;
    for (name, reason) in &disabled {
        log::error!("campaign '{name}' disabled: {reason}");
    }
    for warning in &warnings {
        log::warn!("{warning}");
    }
    log::info!("{} scenario(s) loaded: {}", scenarios.len(), scenarios.keys().cloned().collect::<Vec<_>>().join(", "));
    Ok((scenarios, disabled))
}

/// The learned intent model, logged.
fn load_intent_model(model: &str) -> Result<Option<Arc<IntentModel>>, String> {
    if model.is_empty() {
        log::warn!("{CONFIG_FILE} [intent] model is empty: intents come from the rules alone");
    }
    let loaded = files::intent_model(model)?;
    if let Some(loaded) = &loaded {
        log::info!("intent model {}: {}, {} (temperature {:.2})", state::under(&ast::data_dir(), model), loaded.kind(), loaded.provenance, loaded.temperature);
    }
    Ok(loaded)
}

fn start_intents(settings: &Settings) -> Result<IntentService, String> {
    let llm = if settings.llm.url.is_empty() {
        log::info!("no [llm] url: intents come from the local classifier alone");
        None
    } else {
        let pool = LlmPool::start(settings.llm.clone())?;
        log::info!("LLM tier: {:?} API at {} (model {}), deadline {} ms", settings.llm.api, settings.llm.url, settings.llm.model, settings.intent.deadline_ms);
        Some(Arc::new(pool))
    };
    Ok(IntentService::new(settings.intent.clone(), llm, load_intent_model(&settings.intent.model)?))
}

/// The per-call JSON log; a relative path is under Asterisk's log directory. A file that cannot
/// be opened refuses the load (an operator who configured it relies on it).
fn start_calllog(settings: &Settings) -> Result<Option<Arc<CallLog>>, String> {
    let config = &settings.calllog;
    if config.path.is_empty() {
        return Ok(None);
    }
    let path = state::under(&ast::log_dir(), &config.path);
    let log = CallLog::start(&calllog::CallLogConfig { path, ..config.clone() }).map_err(|e| format!("{CONFIG_FILE} [calllog] file: {e}"))?;
    log::info!("per-call JSON log: {} (rotated at {} MB, {} kept)", log.path.display(), config.max_bytes / 1024 / 1024, config.keep);
    Ok(Some(Arc::new(log)))
}

fn start_asr(settings: &Settings) -> Result<Option<Arc<Engine>>, String> {
    if settings.asr.model_path.is_empty() {
        log::warn!("no [asr] model configured: calls run on DTMF and speech/no-speech only");
        return Ok(None);
    }
    match Engine::load(settings.asr.clone()) {
        Ok(engine) => Ok(Some(Arc::new(engine))),
        Err(reason) if settings.asr_required => Err(format!("{CONFIG_FILE} [asr] model: {reason}")),
        Err(reason) => {
            log::warn!("{CONFIG_FILE} [asr] model: {reason}; on_model_error = dtmf_only, running without ASR");
            Ok(None)
        }
    }
}
