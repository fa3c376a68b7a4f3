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

/// What waiting on the channel brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Nothing within the wait.
    Timeout,
    /// A voice frame (already seen by any audiohook) or another frame of no interest.
    Frame,
    Dtmf(char),
    HungUp,
}

impl Channel {
    /// # Safety
    /// `raw` is NULL or a channel that stays alive for as long as the returned value is used.
    pub(super) unsafe fn from_raw(raw: *mut sys::ast_channel) -> Option<Channel> {
        NonNull::new(raw).map(|raw| Channel { raw, _not_send: PhantomData })
    }

    pub(super) fn raw(&self) -> *mut sys::ast_channel {
        self.raw.as_ptr()
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

    /// A channel variable's value ("" when unset), at most 4 KiB.
    pub fn variable(&self, name: &str) -> String {
        let name = c_string(name);
        let mut buf = vec![0u8; 4096];
        // SAFETY: the shim locks the channel and writes a NUL-terminated string into `buf`.
        unsafe {
            sys::minibot_getvar(self.raw.as_ptr(), name.as_ptr(), buf.as_mut_ptr() as *mut std::os::raw::c_char, buf.len());
            cstr_to_string(buf.as_ptr() as *const std::os::raw::c_char)
        }
    }

    /// Sets a channel variable, visible to the dialplan after the application returns.
    pub fn set_variable(&self, name: &str, value: &str) {
        let (name, value) = (c_string(name), c_string(value));
        // SAFETY: the channel is alive; Asterisk copies both strings.
        unsafe {
            sys::pbx_builtin_setvar_helper(self.raw.as_ptr(), name.as_ptr(), value.as_ptr());
        }
    }

    pub fn language(&self) -> String {
        // SAFETY: the channel is alive.
        unsafe { cstr_to_string(sys::ast_channel_language(self.raw.as_ptr())) }
    }

    /// Sample rate the channel's audio arrives at (8000 on G.711 trunks, 16000 on slin16/G.722).
    pub fn native_read_rate(&self) -> u32 {
        // SAFETY: the channel is alive; its raw read format is always set.
        unsafe {
            let format = sys::ast_channel_rawreadformat(self.raw.as_ptr());
            if format.is_null() {
                8000
            } else {
                sys::ast_format_get_sample_rate(format)
            }
        }
    }

    pub fn native_read_format_name(&self) -> String {
        // SAFETY: as above.
        unsafe {
            let format = sys::ast_channel_rawreadformat(self.raw.as_ptr());
            if format.is_null() {
                String::new()
            } else {
                cstr_to_string(sys::ast_format_get_name(format))
            }
        }
    }

    /// Keeps the current read format; the guard puts it back when dropped (the caller's dialplan
    /// must find the channel as it left it).
    pub fn keep_read_format(&self) -> ReadFormatGuard<'_> {
        // SAFETY: the channel is alive; the shim returns the format with a reference of ours.
        let format = unsafe { sys::minibot_read_format_ref(self.raw.as_ptr()) };
        ReadFormatGuard { channel: self, format }
    }

    /// The far end's number as the channel knows it: (connected line, dialed number), "" if unset.
    pub fn party_numbers(&self) -> (String, String) {
        let mut connected = vec![0u8; 128];
        let mut dialed = vec![0u8; 128];
        // SAFETY: the shim locks the channel and writes NUL-terminated strings into both buffers.
        unsafe {
            sys::minibot_party_numbers(
                self.raw.as_ptr(),
                connected.as_mut_ptr() as *mut std::os::raw::c_char,
                dialed.as_mut_ptr() as *mut std::os::raw::c_char,
                connected.len(),
            );
            (
                cstr_to_string(connected.as_ptr() as *const std::os::raw::c_char),
                cstr_to_string(dialed.as_ptr() as *const std::os::raw::c_char),
            )
        }
    }

    /// Reads as slin16 (no translation when the channel is natively 16 kHz).
    pub fn set_read_slin16(&self) -> bool {
        // SAFETY: the channel is alive; ast_format_slin16 is a global set up by the core.
        unsafe { sys::ast_set_read_format(self.raw.as_ptr(), sys::ast_format_slin16) == 0 }
    }

    /// Starts playing a sound file; it advances while the channel is read (see [`Channel::wait`]).
    pub fn start_playback(&self, file: &str) -> Result<(), String> {
        let (file_c, language) = (c_string(file), c_string(&self.language()));
        // SAFETY: the channel is alive and we are its thread.
        match unsafe { sys::ast_streamfile(self.raw.as_ptr(), file_c.as_ptr(), language.as_ptr()) } {
            0 => Ok(()),
            _ => Err(format!("cannot play {file}")),
        }
    }

    /// Starts playing a sound file `from_ms` into it (a prompt resumed where it was stopped), as
    /// Asterisk's own pause and restart do (`ast_control_streamfile`).
    pub fn start_playback_from(&self, file: &str, from_ms: u64) -> Result<(), String> {
        self.start_playback(file)?;
        // SAFETY: the channel is alive and we are its thread; the stream was just opened.
        unsafe {
            let stream = sys::ast_channel_stream(self.raw.as_ptr());
            if !stream.is_null() {
                let samples = from_ms as i64 * i64::from(sys::ast_ratestream(stream)) / 1000;
                sys::ast_seekstream(stream, samples as _, libc::SEEK_SET);
            }
        }
        Ok(())
    }

    /// True while a started file still has audio to send (app_speech_utils' test).
    pub fn is_playing(&self) -> bool {
        // SAFETY: the channel is alive.
        unsafe {
            let chan = self.raw.as_ptr();
            !sys::ast_channel_stream(chan).is_null()
                && !(sys::ast_channel_streamid(chan) == -1 && sys::ast_channel_timingfunc(chan).is_none())
        }
    }

    /// Stops and closes the current file, if any.
    pub fn stop_playback(&self) {
        // SAFETY: the channel is alive and we are its thread.
        unsafe {
            sys::ast_stopstream(self.raw.as_ptr());
        }
    }

    /// A waker for other threads (a decoder's result, the LLM's answer): it queues a null frame
    /// on the channel, so that `wait` returns at once. It holds a reference on the channel, given
    /// back when the last clone is dropped, so a late wake after the call is harmless.
    pub fn waker(&self) -> crate::domain::Waker {
        // SAFETY: the channel is alive (type invariant); the reference taken keeps its memory
        // alive for as long as the waker exists.
        let held = ChannelRef(unsafe { sys::minibot_channel_ref(self.raw.as_ptr()) });
        crate::domain::Waker::new(move || held.wake())
    }

    /// Waits up to `max_ms` for the channel, reading one frame: runs the playback scheduler,
    /// and lets audiohooks see the frame. Frames are freed here.
    pub fn wait(&self, max_ms: i32) -> Input {
        let chan = self.raw.as_ptr();
        // SAFETY: the channel is alive and we are its thread; the frame is freed before return.
        unsafe {
            let mut wait_ms = max_ms;
            if !sys::ast_channel_stream(chan).is_null() {
                let sched = sys::ast_channel_sched(chan);
                sys::ast_sched_runq(sched);
                let next = sys::ast_sched_wait(sched);
                if next >= 0 && next < wait_ms {
                    wait_ms = next;
                }
            }
            match sys::ast_waitfor(chan, wait_ms) {
                r if r < 0 => {
                    log::debug!("ast_waitfor returned {r}");
                    return Input::HungUp;
                }
                0 => return Input::Timeout,
                _ => {}
            }
            let frame = sys::ast_read(chan);
            if frame.is_null() {
                log::debug!("ast_read returned NULL: hangup");
                return Input::HungUp;
            }
            let f = &*frame;
            let input = if f.frametype == sys::ast_frame_type_AST_FRAME_DTMF_END {
                Input::Dtmf((f.subclass.integer as u8) as char)
            } else if f.frametype == sys::ast_frame_type_AST_FRAME_CONTROL
                && f.subclass.integer == sys::ast_control_frame_type_AST_CONTROL_HANGUP as i32
            {
                Input::HungUp
            } else {
                Input::Frame
            };
            sys::ast_frame_free(frame, 1);
            input
        }
    }
}

/// A counted reference on a channel, usable from any thread (queuing a frame is thread-safe).
struct ChannelRef(*mut sys::ast_channel);

// SAFETY: the reference keeps the channel's memory alive; ast_queue_frame locks the channel.
unsafe impl Send for ChannelRef {}
unsafe impl Sync for ChannelRef {}

impl ChannelRef {
    fn wake(&self) {
        if !self.0.is_null() {
            // SAFETY: a channel we hold a reference on; a hung-up channel takes the frame too.
            unsafe { sys::minibot_channel_wake(self.0) }
        }
    }
}

impl Drop for ChannelRef {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the reference taken in `Channel::waker`, given back once.
            unsafe { sys::minibot_channel_unref(self.0) }
        }
    }
}

/// Restores the read format a channel had when [`Channel::keep_read_format`] was called.
pub struct ReadFormatGuard<'a> {
    channel: &'a Channel,
    format: *mut sys::ast_format,
}

impl Drop for ReadFormatGuard<'_> {
    fn drop(&mut self) {
        if self.format.is_null() {
            return;
        }
        // SAFETY: the channel outlives the guard (borrow); we hold a reference on the format,
        // given back once it is set again.
        unsafe {
            sys::ast_set_read_format(self.channel.raw(), self.format);
            sys::minibot_format_unref(self.format);
        }
    }
}
