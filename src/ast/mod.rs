//! The thin unsafe layer over Asterisk's C API. Nothing outside this folder touches a raw
//! pointer or calls into Asterisk: it gets safe types (Channel, CliCommand, config Document, ...).
//!
//! Every `extern "C"` function that Asterisk can call goes through [`guard::ffi_guard`], so a
//! Rust panic is logged and becomes an error return instead of unwinding into C.

pub mod app;
pub mod audiohook;
pub mod channel;
pub mod cli;
pub mod config;
pub mod guard;
pub mod heap;
pub mod http;
pub mod logger;
pub mod manager;
pub mod originate;
#[macro_use]
pub mod module;
mod sys;

use std::ffi::{CStr, CString};
use std::os::raw::c_char;

/// Asterisk's version string, e.g. "22.10.1".
pub fn asterisk_version() -> String {
    // SAFETY: ast_get_version returns a static NUL-terminated string.
    unsafe { cstr_to_string(sys::ast_get_version()) }
}

/// Asterisk's configuration directory (astetcdir), e.g. "/etc/asterisk".
pub fn config_dir() -> String {
    // SAFETY: set by Asterisk at startup from asterisk.conf, before any module loads.
    unsafe { cstr_to_string(sys::ast_config_AST_CONFIG_DIR) }
}

/// Asterisk's data directory (astdatadir), e.g. "/usr/share/asterisk".
pub fn data_dir() -> String {
    // SAFETY: set by Asterisk at startup from asterisk.conf, before any module loads.
    unsafe { cstr_to_string(sys::ast_config_AST_DATA_DIR) }
}

/// Asterisk's log directory (astlogdir), e.g. "/var/log/asterisk".
pub fn log_dir() -> String {
    // SAFETY: set by Asterisk at startup from asterisk.conf, before any module loads.
    unsafe { cstr_to_string(sys::ast_config_AST_LOG_DIR) }
}

/// Asterisk's spool directory (astspooldir), e.g. "/var/spool/asterisk".
pub fn spool_dir() -> String {
    // SAFETY: set by Asterisk at startup from asterisk.conf, before any module loads.
    unsafe { cstr_to_string(sys::ast_config_AST_SPOOL_DIR) }
}

/// Whether a sound file exists, in some format, for `language`.
pub fn sound_exists(file: &str, language: &str) -> bool {
    let (file, language) = (c_string(file), c_string(language));
    // SAFETY: valid strings for the call.
    unsafe { sys::ast_fileexists(file.as_ptr(), std::ptr::null(), language.as_ptr()) > 0 }
}

/// Whether the dialplan has `context`, `exten`, priority 1 (as a call placed there needs).
pub fn extension_exists(context: &str, exten: &str) -> bool {
    let (context, exten) = (c_string(context), c_string(exten));
    // SAFETY: valid strings; no channel (NULL) and no caller id (NULL) are allowed by the API.
    unsafe { sys::ast_exists_extension(std::ptr::null_mut(), context.as_ptr(), exten.as_ptr(), 1, std::ptr::null()) != 0 }
}

/// Whether Asterisk knows the endpoint `tech/resource` (e.g. "PJSIP/trunk").
pub fn endpoint_exists(id: &str) -> bool {
    let id = c_string(id);
    // SAFETY: a valid string; the shim drops the reference it takes.
    unsafe { sys::minibot_endpoint_exists(id.as_ptr()) != 0 }
}

/// Copies a C string owned by Asterisk; NULL becomes "".
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the duration of the call.
unsafe fn cstr_to_string(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        CStr::from_ptr(ptr).to_string_lossy().into_owned()
    }
}

/// A C string for Asterisk; interior NULs (never legitimate in what we pass) become spaces.
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).expect("NULs were replaced")
}
