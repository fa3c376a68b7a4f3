//! AMI events about a call (`Event: MiniBot...`), for supervisors, dialers and the tests.

use super::channel::Channel;
use super::{c_string, sys};

/// Sends `Event: <name>` with the channel's standard fields plus `fields`.
pub fn call_event(channel: &Channel, name: &str, fields: &[(&str, String)]) {
    let mut body = String::new();
    for (key, value) in fields {
        // A line break inside a value would forge fields.
        let value = value.replace(['\r', '\n'], " ");
        body += &format!("{key}: {value}\r\n");
    }
    let (name, body) = (c_string(name), c_string(&body));
    let mut chans = [channel.raw()];
    // SAFETY: one live channel in the array; "%s" consumes the single body argument.
    unsafe {
        sys::__ast_manager_event_multichan(
            sys::EVENT_FLAG_CALL as i32,
            name.as_ptr(),
            1,
            chans.as_mut_ptr(),
            c"minibot".as_ptr(),
            0,
            c"call_event".as_ptr(),
            c"%s".as_ptr(),
            body.as_ptr(),
        );
    }
}
