//! A borrowed handle on an Asterisk channel, valid while the application that received it runs.

use super::{c_string, cstr_to_string, sys};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// The call's channel. Not `Send`: only the channel's own thread may use it.
pub struct Channel {
    raw: NonNull<sys::ast_channel>,
    _not_send: PhantomData<*mut ()>,
}

/// The far end hung up (or the channel is being torn down).
#[derive(Debug)]
pub struct HungUp;

impl Channel {
    /// # Safety
    /// `raw` is NULL or a channel that stays alive for as long as the returned value is used.
    pub(super) unsafe fn from_raw(raw: *mut sys::ast_channel) -> Option<Channel> {
        NonNull::new(raw).map(|raw| Channel { raw, _not_send: PhantomData })
    }

    pub fn name(&self) -> String {
        // SAFETY: the channel is alive (type invariant); the name is a string field of it.
        unsafe { cstr_to_string(sys::ast_channel_name(self.raw.as_ptr())) }
    }

    pub fn unique_id(&self) -> String {
        // SAFETY: as for `name`.
        unsafe { cstr_to_string(sys::ast_channel_uniqueid(self.raw.as_ptr())) }
    }

    /// Answers the channel (a no-op on a channel that is already up).
    pub fn answer(&self) -> Result<(), HungUp> {
        // SAFETY: the channel is alive and we run on its thread.
        match unsafe { sys::ast_answer(self.raw.as_ptr()) } {
            0 => Ok(()),
            _ => Err(HungUp),
        }
    }

    pub fn is_hung_up(&self) -> bool {
        // SAFETY: the channel is alive.
        unsafe { sys::ast_check_hangup(self.raw.as_ptr()) != 0 }
    }

    /// Sets a channel variable, visible to the dialplan after the application returns.
    pub fn set_variable(&self, name: &str, value: &str) {
        let (name, value) = (c_string(name), c_string(value));
        // SAFETY: the channel is alive; Asterisk copies both strings.
        unsafe {
            sys::pbx_builtin_setvar_helper(self.raw.as_ptr(), name.as_ptr(), value.as_ptr());
        }
    }
}
