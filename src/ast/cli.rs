//! CLI commands. Each command is an [`Entry`] whose first field is Asterisk's `ast_cli_entry`, so
//! the single C handler finds the Rust command from the entry pointer Asterisk hands back, without
//! a global lock (Asterisk calls the handler while `register` is still running).

use super::guard::ffi_guard;
use super::{c_string, cstr_to_string, sys};
use parking_lot::Mutex;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};

/// What a command prints and how it ended.
pub enum CliResult {
    Success,
    /// Asterisk prints the command's usage text.
    ShowUsage,
}

/// The words typed, e.g. `["minibot", "show", "call", "Local/x"]`, and the console to print on.
pub struct CliArgs {
    pub argv: Vec<String>,
    fd: c_int,
}

impl CliArgs {
    pub fn print(&self, text: &str) {
        let text = c_string(text);
        // SAFETY: "%s" consumes exactly one valid C string; `fd` is the console Asterisk gave us.
        unsafe { sys::ast_cli(self.fd, c"%s".as_ptr(), text.as_ptr()) }
    }
}

pub struct CliCommand {
    /// The full command, e.g. "minibot show status".
    pub command: &'static str,
    /// One line, shown by `core show help minibot`.
    pub summary: &'static str,
    /// Shown by `core show help <command>` and on `CliResult::ShowUsage`.
    pub usage: &'static str,
    pub handler: fn(&CliArgs) -> CliResult,
}

#[repr(C)]
struct Entry {
    raw: sys::ast_cli_entry, // first: Asterisk's pointer to it is a pointer to the Entry
    command: CString,
    summary: CString,
    usage: CString,
    handler: fn(&CliArgs) -> CliResult,
}

/// The registered entries; Asterisk holds pointers into this box until they are unregistered.
struct Registered(Box<[Entry]>);
// SAFETY: the raw pointers inside point at the entries' own CStrings, never at thread-local data.
unsafe impl Send for Registered {}

static REGISTERED: Mutex<Option<Registered>> = Mutex::new(None);

unsafe extern "C" fn dispatch(e: *mut sys::ast_cli_entry, cmd: c_int, a: *mut sys::ast_cli_args) -> *mut c_char {
    ffi_guard("CLI command", 2 as *mut c_char /* CLI_FAILURE */, || {
        // SAFETY: `e` is one of our entries (only they name this handler), so it is an `Entry`.
        let entry = unsafe { &mut *(e as *mut Entry) };
        if cmd == sys::ast_cli_command_CLI_INIT as c_int {
            // Asterisk copies and splits `command`, and frees its copy on unregister.
            entry.raw.command = entry.command.as_ptr() as *mut c_char;
            entry.raw.usage = entry.usage.as_ptr();
            return std::ptr::null_mut();
        }
        if cmd == sys::ast_cli_command_CLI_GENERATE as c_int || a.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: for a command invocation `a` is valid, with `argc` strings in `argv`.
        let args = unsafe {
            let a = &*a;
            let argv = (0..a.argc as usize).map(|i| cstr_to_string(*a.argv.add(i))).collect();
            CliArgs { argv, fd: a.fd }
        };
        match (entry.handler)(&args) {
            CliResult::Success => std::ptr::null_mut(), // CLI_SUCCESS
            CliResult::ShowUsage => 1 as *mut c_char,   // CLI_SHOWUSAGE
        }
    })
}

pub fn register(commands: Vec<CliCommand>) -> Result<(), String> {
    unregister_all();
    let mut entries: Box<[Entry]> = commands
        .into_iter()
        .map(|c| {
            // SAFETY: ast_cli_entry is plain data; all-zero is its "unset" state (AST_CLI_DEFINE).
            let raw: sys::ast_cli_entry = unsafe { std::mem::zeroed() };
            Entry { raw, command: c_string(c.command), summary: c_string(c.summary), usage: c_string(c.usage), handler: c.handler }
        })
        .collect();
    let mut failed = Vec::new();
    for entry in entries.iter_mut() {
        entry.raw.summary = entry.summary.as_ptr();
        entry.raw.handler = Some(dispatch);
        // SAFETY: the entry lives in `entries`, kept in REGISTERED until unregistered.
        let rc = unsafe { sys::__ast_cli_register(&mut entry.raw, sys::minibot_module_self()) };
        if rc != 0 {
            failed.push(entry.command.to_string_lossy().into_owned());
            entry.raw.handler = None; // marks it as not registered
        }
    }
    *REGISTERED.lock() = Some(Registered(entries));
    if failed.is_empty() {
        Ok(())
    } else {
        unregister_all();
        Err(format!("cannot register CLI commands: {}", failed.join(", ")))
    }
}

/// Unregisters every command. Asterisk leaves a command that is running in place (and says so
/// only in its log), so a running one is waited for (bounded) before its entry is freed; one
/// still running after that is leaked rather than freed under Asterisk's feet.
pub fn unregister_all() {
    let Some(Registered(mut entries)) = REGISTERED.lock().take() else { return };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut still_running = false;
    for entry in entries.iter_mut().filter(|e| e.raw.handler.is_some()) {
        // SAFETY: reads an int of a live entry that Asterisk's CLI thread updates (volatile: read anew each time).
        let in_use = |entry: &Entry| unsafe { std::ptr::read_volatile(&entry.raw.inuse) } > 0;
        while in_use(entry) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        still_running |= in_use(entry);
        // SAFETY: the entry was registered above and is still alive.
        unsafe {
            sys::ast_cli_unregister(&mut entry.raw);
        }
    }
    if still_running {
        log::error!("a MiniBot CLI command is still running at unload: its entries are kept in memory");
        std::mem::forget(entries);
    }
}
