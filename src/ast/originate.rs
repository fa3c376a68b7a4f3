//! Placing a call: Asterisk's outgoing-call API, on the caller's thread, which then carries the
//! call through the dialplan until it ends.

use super::{c_string, sys};
use std::ffi::CString;
use std::os::raw::c_char;

/// How dialing went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialResult {
    /// Answered; the call ran through the dialplan and is over.
    Answered,
    /// It rang and nobody answered in time.
    NoAnswer,
    Busy,
    /// The network refused or could not route the call.
    Congestion,
    /// The channel could not be created or the number does not exist.
    Failed,
}

pub struct Call<'a> {
    /// "PJSIP/+33612345678@trunk": technology / resource.
    pub dial: &'a str,
    pub ring_timeout_ms: u32,
    pub context: &'a str,
    pub exten: &'a str,
    pub caller_id_number: &'a str,
    pub caller_id_name: &'a str,
    pub variables: &'a [(String, String)],
    /// Assigned to the new channel, so its results can be matched to this attempt.
    pub uniqueid: &'a str,
}

/// Dials, and when answered runs the call to its end: blocks for the ring time plus the call.
/// Never call it on a channel or media thread.
pub fn dial_and_run(call: &Call) -> DialResult {
    let (tech, resource) = call.dial.split_once('/').unwrap_or((call.dial, ""));
    let strings: Vec<CString> = [tech, resource, call.context, call.exten, call.caller_id_number, call.caller_id_name, call.uniqueid]
        .iter()
        .map(|s| c_string(s))
        .collect();
    let names: Vec<CString> = call.variables.iter().map(|(n, _)| c_string(n)).collect();
    let values: Vec<CString> = call.variables.iter().map(|(_, v)| c_string(v)).collect();
    let name_ptrs: Vec<*const c_char> = names.iter().map(|s| s.as_ptr()).collect();
    let value_ptrs: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
    let mut reason = 0;
    // SAFETY: every pointer is a NUL-terminated string alive for the whole call (owned above);
    // the arrays hold `variables.len()` entries; `reason` is a valid int.
    let res = unsafe {
        sys::minibot_originate(
            strings[0].as_ptr(),
            strings[1].as_ptr(),
            call.ring_timeout_ms.min(i32::MAX as u32) as i32,
            strings[2].as_ptr(),
            strings[3].as_ptr(),
            strings[4].as_ptr(),
            strings[5].as_ptr(),
            name_ptrs.as_ptr(),
            value_ptrs.as_ptr(),
            name_ptrs.len() as i32,
            strings[6].as_ptr(),
            &mut reason,
        )
    };
    let reason = reason as u32;
    if res == 0 || reason == sys::ast_control_frame_type_AST_CONTROL_ANSWER {
        return DialResult::Answered;
    }
    match reason {
        r if r == sys::ast_control_frame_type_AST_CONTROL_BUSY => DialResult::Busy,
        r if r == sys::ast_control_frame_type_AST_CONTROL_CONGESTION => DialResult::Congestion,
        r if r == sys::ast_control_frame_type_AST_CONTROL_RINGING || r == sys::ast_control_frame_type_AST_CONTROL_HANGUP => DialResult::NoAnswer,
        _ => DialResult::Failed,
    }
}
