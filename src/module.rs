//! The module's lifecycle and the state shared by calls and the CLI.
//!
//! State lives in a lock-protected `Option` rather than a once-cell: Asterisk may keep this
//! library mapped across `module unload` / `module load`, and each load must start fresh.

use crate::ast::{self, config::LoadError};
use crate::{app, cli};
use crate::config::{Document, Settings, CONFIG_FILE};
use crate::obs::CallStats;
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Instant;

pub struct Bot {
    pub settings: Arc<Settings>,
    pub loaded_at: Instant,
    pub reloaded_at: Option<Instant>,
    pub stats: Arc<CallStats>,
}

static BOT: RwLock<Option<Bot>> = RwLock::new(None);

/// Runs `f` with the running bot, or returns None when the module is not loaded.
pub fn with_bot<R>(f: impl FnOnce(&Bot) -> R) -> Option<R> {
    BOT.read().as_ref().map(f)
}

declare_module! {
    load: load,
    unload: unload,
    reload: reload,
}

fn load() -> Result<(), String> {
    let settings = read_settings()?;
    log::set_max_level(settings.log_level);
    let test_hooks = settings.test_hooks;
    *BOT.write() = Some(Bot { settings: Arc::new(settings), loaded_at: Instant::now(), reloaded_at: None, stats: Arc::default() });
    let registered = app::register().and_then(|()| cli::register(cli::commands(test_hooks)));
    if let Err(reason) = registered {
        let _ = unload();
        return Err(reason);
    }
    log::info!("MiniBot {} loaded (Asterisk {})", crate::version(), ast::asterisk_version());
    Ok(())
}

fn unload() -> Result<(), String> {
    // Asterisk refuses a plain `module unload` while MiniBot() runs on a channel (the running
    // application holds a module reference), so no call can be using what is freed here.
    app::unregister();
    ast::cli::unregister_all();
    *BOT.write() = None;
    Ok(())
}

fn reload() -> Result<(), String> {
    let settings = read_settings()?;
    log::set_max_level(settings.log_level);
    let mut bot = BOT.write();
    let bot = bot.as_mut().ok_or("module is not loaded")?;
    if bot.settings.test_hooks != settings.test_hooks {
        log::warn!("test_hooks changes take effect at the next module load");
    }
    bot.settings = Arc::new(settings);
    bot.reloaded_at = Some(Instant::now());
    log::info!("MiniBot configuration reloaded from {CONFIG_FILE}");
    Ok(())
}

/// Reads minibot.conf; a missing file means defaults, a wrong value refuses with its location.
fn read_settings() -> Result<Settings, String> {
    let document = match ast::config::load(CONFIG_FILE) {
        Ok(document) => document,
        Err(LoadError::Missing) => {
            log::warn!("{}/{CONFIG_FILE} not found: running with default settings", ast::config_dir());
            Document::default()
        }
        Err(LoadError::Invalid) => {
            return Err(format!("{}/{CONFIG_FILE} could not be parsed (see the previous error)", ast::config_dir()))
        }
    };
    let loaded = Settings::from_document(&document).map_err(|e| e.to_string())?;
    for warning in &loaded.warnings {
        log::warn!("{warning}");
    }
    Ok(loaded.settings)
}
