//! Dialplan applications: a Rust type implements [`Application`]; `register::<T>()` hands Asterisk
//! a monomorphized C trampoline that guards against panics and wraps the raw channel.

use super::channel::Channel;
use super::guard::ffi_guard;
use super::sys;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the dialplan does after the application returns.
pub enum AppExit {
    /// Go on with the next priority.
    Continue,
    /// Hang the channel up (the callee is gone, or the app ended the call).
    Hangup,
}

pub trait Application {
    const NAME: &'static CStr;
    const SYNOPSIS: &'static CStr;
    const DESCRIPTION: &'static CStr;
    /// Runs on the channel's own thread for the whole call.
    fn exec(channel: &Channel, data: &str) -> AppExit;
    /// Called instead of `exec`'s result when `exec` panicked: record an error status.
    fn on_panic(channel: &Channel);
}

/// Channels inside one of this module's applications right now. Unload refuses while it is not
/// zero: `module unload -f` ignores Asterisk's module references, so this count is what keeps
/// the library mapped while a channel thread runs its code.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

pub fn running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

struct Running;

impl Running {
    fn enter() -> Running {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

extern "C" fn exec_trampoline<A: Application>(chan: *mut sys::ast_channel, data: *const c_char) -> c_int {
    let _running = Running::enter();
    // SAFETY: Asterisk passes the live channel running this application and owns it for the call.
    let Some(channel) = (unsafe { Channel::from_raw(chan) }) else {
        return -1;
    };
    // SAFETY: `data` is NULL or the NUL-terminated argument string, valid during the call.
    let data = unsafe { super::cstr_to_string(data) };
    let name = A::NAME.to_str().unwrap_or("application");
    let exit = ffi_guard(name, None, || Some(A::exec(&channel, &data)));
    match exit {
        Some(AppExit::Continue) => 0,
        Some(AppExit::Hangup) => -1,
        None => {
            ffi_guard(name, (), || A::on_panic(&channel));
            0
        }
    }
}

pub fn register<A: Application>() -> Result<(), String> {
    // SAFETY: the strings are 'static; Asterisk copies them. The module handle comes from the shim.
    let rc = unsafe {
        sys::ast_register_application2(
            A::NAME.as_ptr(),
            Some(exec_trampoline::<A>),
            A::SYNOPSIS.as_ptr(),
            A::DESCRIPTION.as_ptr(),
            sys::minibot_module_self() as *mut c_void,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("cannot register application {}", A::NAME.to_string_lossy()))
    }
}

pub fn unregister<A: Application>() {
    // SAFETY: unregistering by name; a name never registered is a harmless -1.
    unsafe {
        sys::ast_unregister_application(A::NAME.as_ptr());
    }
}
