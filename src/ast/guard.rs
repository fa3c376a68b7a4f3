//! Panics must never cross into Asterisk: unwinding into C is undefined behaviour and would take
//! the whole PBX, with every call on it, down. Each FFI entry runs its body through `ffi_guard`.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Runs `body`; if it panics, logs the panic through Asterisk's logger and returns `on_panic`.
pub fn ffi_guard<R>(entry: &str, on_panic: R, body: impl FnOnce() -> R) -> R {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            log::error!("recovered from a panic in {entry}: {}; returning an error to Asterisk", panic_message(&*payload));
            on_panic
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

/// Sends panic reports (message and location) to Asterisk's logger instead of stderr.
/// Installed at load, removed at unload so no hook points into an unloaded library.
pub fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        log::error!("panic at {location}: {message}");
    }));
}

pub fn remove_panic_hook() {
    let _ = panic::take_hook();
}
