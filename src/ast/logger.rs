//! Bridges Rust's `log` crate to Asterisk's logger, so module messages land in Asterisk's log
//! files and console with their Rust file and line.

use super::{c_string, sys};
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::os::raw::c_int;

struct AsteriskLogger;

static LOGGER: AsteriskLogger = AsteriskLogger;

impl Log for AsteriskLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => sys::__LOG_ERROR,
            Level::Warn => sys::__LOG_WARNING,
            Level::Info => sys::__LOG_NOTICE,
            Level::Debug | Level::Trace => sys::__LOG_DEBUG,
        };
        let file = c_string(record.file().unwrap_or("minibot"));
        let function = c_string(record.module_path().unwrap_or("minibot"));
        // Every line the module logs has its phone numbers masked, wherever they come from
        // (a channel name carries the dialed number on many trunks).
        let message = c_string(&crate::phone::mask_in_text(&record.args().to_string()));
        // SAFETY: all pointers are valid NUL-terminated strings for the call; "%s" consumes one argument.
        unsafe {
            sys::ast_log(
                level as c_int,
                file.as_ptr(),
                record.line().unwrap_or(0) as c_int,
                function.as_ptr(),
                c"%s".as_ptr(),
                message.as_ptr(),
            );
        }
    }

    fn flush(&self) {}
}

/// Routes `log` records to Asterisk. The logger can be set once per loaded copy of the library;
/// when Asterisk keeps the library mapped across unload/load, the earlier registration stands.
pub fn install(max_level: LevelFilter) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(max_level);
}
