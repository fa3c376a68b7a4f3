//! A MANIPULATE audiohook that hands every signed-linear frame of the call, in both directions,
//! to a Rust [`AudioSink`] without changing it. Asterisk calls the hook with the audiohook locked,
//! from whichever thread reads or writes the channel (the channel's own thread while MiniBot()
//! runs), so the sink is only ever used by one thread at a time.

use super::channel::Channel;
use super::guard::ffi_guard;
use super::sys;
use std::os::raw::c_int;
use std::ptr::NonNull;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Audio from the callee.
    Read,
    /// Audio to the callee (prompts).
    Write,
}

pub trait AudioSink {
    /// One frame of signed linear audio at `sample_rate` (the channel's native rate).
    fn frame(&mut self, direction: Direction, samples: &[i16], sample_rate: u32);
}

#[repr(C)]
struct Hook<S> {
    raw: sys::ast_audiohook, // first: Asterisk's pointer to it is a pointer to the Hook
    sink: S,
}

/// Attached while alive; dropping it removes the hook from the channel and frees everything.
pub struct AudioHook<S: AudioSink> {
    hook: NonNull<Hook<S>>,
    channel: *mut sys::ast_channel,
}

unsafe extern "C" fn on_frame<S: AudioSink>(
    audiohook: *mut sys::ast_audiohook,
    chan: *mut sys::ast_channel,
    frame: *mut sys::ast_frame,
    direction: sys::ast_audiohook_direction,
) -> c_int {
    // A NULL frame or channel tells the hook it is being detached: nothing to do, the owner frees it.
    if frame.is_null() || chan.is_null() || audiohook.is_null() {
        return 0;
    }
    ffi_guard("audiohook", -1, || {
        // SAFETY: `audiohook` is the first field of a live Hook<S> (only our hooks use this
        // callback), and Asterisk holds the audiohook lock for the call: access is exclusive.
        let hook = unsafe { &mut *(audiohook as *mut Hook<S>) };
        // SAFETY: a frame handed to an audiohook is valid for the duration of the callback.
        let frame = unsafe { &*frame };
        if frame.frametype != sys::ast_frame_type_AST_FRAME_VOICE || frame.samples <= 0 {
            return -1;
        }
        // SAFETY: the format of a voice frame is set; its data holds `samples` 16-bit samples
        // (the audiohook list hands MANIPULATE hooks signed linear).
        let (rate, samples) = unsafe {
            let rate = sys::ast_format_get_sample_rate(frame.subclass.__bindgen_anon_1.format);
            let data = frame.data.ptr as *const i16;
            if data.is_null() {
                return -1;
            }
            (rate, std::slice::from_raw_parts(data, frame.samples as usize))
        };
        let direction = if direction == sys::ast_audiohook_direction_AST_AUDIOHOOK_DIRECTION_READ {
            Direction::Read
        } else {
            Direction::Write
        };
        hook.sink.frame(direction, samples, rate);
        -1 // "not manipulated": the frame goes on unchanged
    })
}

impl<S: AudioSink> AudioHook<S> {
    pub fn attach(channel: &Channel, source: &'static std::ffi::CStr, sink: S) -> Result<AudioHook<S>, String> {
        // SAFETY: ast_audiohook is plain data that ast_audiohook_init fully initializes.
        let hook = Box::new(Hook { raw: unsafe { std::mem::zeroed() }, sink });
        let hook = NonNull::from(Box::leak(hook));
        let raw = channel.raw();
        // SAFETY: the hook is heap-allocated and stays put until Drop (or the error path) frees it.
        unsafe {
            let ah = &mut (*hook.as_ptr()).raw;
            sys::ast_audiohook_init(
                ah,
                sys::ast_audiohook_type_AST_AUDIOHOOK_TYPE_MANIPULATE,
                source.as_ptr(),
                sys::ast_audiohook_init_flags_AST_AUDIOHOOK_MANIPULATE_ALL_RATES,
            );
            ah.manipulate_callback = Some(on_frame::<S>);
            if sys::ast_audiohook_attach(raw, ah) != 0 {
                sys::ast_audiohook_destroy(ah);
                drop(Box::from_raw(hook.as_ptr()));
                return Err("cannot attach the audiohook (channel hung up?)".into());
            }
        }
        Ok(AudioHook { hook, channel: raw })
    }
}

impl<S: AudioSink> AudioHook<S> {
    /// Runs `f` on the sink with the audiohook locked (no frame callback runs meanwhile).
    pub fn with_sink<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        // SAFETY: the hook is alive until Drop; the audiohook lock is what the frame callback
        // holds, so the sink is not aliased while `f` runs.
        unsafe {
            let ah = &mut (*self.hook.as_ptr()).raw as *mut sys::ast_audiohook;
            sys::minibot_audiohook_lock(ah);
            struct Unlock(*mut sys::ast_audiohook);
            impl Drop for Unlock {
                fn drop(&mut self) {
                    // SAFETY: locked just above, on this thread.
                    unsafe { sys::minibot_audiohook_unlock(self.0) }
                }
            }
            let _unlock = Unlock(ah);
            f(&mut (*self.hook.as_ptr()).sink)
        }
    }
}

impl<S: AudioSink> Drop for AudioHook<S> {
    fn drop(&mut self) {
        // SAFETY: remove takes the channel lock, which the audiohook list holds while calling
        // hooks, so once it returns no callback runs or will run; then the memory is ours to free.
        unsafe {
            let ah = &mut (*self.hook.as_ptr()).raw;
            sys::ast_audiohook_remove(self.channel, ah);
            sys::ast_audiohook_destroy(ah);
            drop(Box::from_raw(self.hook.as_ptr()));
        }
    }
}
