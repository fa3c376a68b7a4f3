//! URIs served by Asterisk's own HTTP server (http.conf): one handler for everything under
//! `/<prefix>/minibot/`, as a safe request and response. Asterisk calls the handler on its HTTP
//! threads after releasing its list of URIs, so unload unlinks, then waits until no request is
//! inside the handler (plus a short grace for one that found the URI just before) before the entry
//! is freed and the library may go.

use super::guard::ffi_guard;
use super::{c_string, cstr_to_string, sys};
use parking_lot::Mutex;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Head,
    Other,
}

pub struct Request {
    pub method: Method,
    /// The path under the registered URI ("health/db", "" for the URI itself).
    pub path: String,
    /// The client's address (no port).
    pub remote: String,
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// More header lines ("Name: value"), e.g. Cache-Control.
    pub headers: Vec<String>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, content_type, body: body.into(), headers: Vec::new() }
    }
}

pub type Handler = fn(&Request) -> Response;

#[repr(C)]
struct Entry {
    raw: sys::ast_http_uri, // first: Asterisk's pointer to it is a pointer to the Entry
    uri: CString,
    description: CString,
    key: CString,
    handler: Handler,
}

// SAFETY: the raw pointers inside point at the entry's own CStrings.
unsafe impl Send for Entry {}

static REGISTERED: Mutex<Option<Box<Entry>>> = Mutex::new(None);
static INSIDE: AtomicUsize = AtomicUsize::new(0);

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

unsafe extern "C" fn dispatch(
    ser: *mut sys::ast_tcptls_session_instance,
    urih: *const sys::ast_http_uri,
    uri: *const c_char,
    method: sys::ast_http_method,
    _get_params: *mut sys::ast_variable,
    _headers: *mut sys::ast_variable,
) -> c_int {
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let rc = ffi_guard("HTTP request", -1, || {
        // SAFETY: `urih` is our entry's first field (only our entry names this callback).
        let entry = unsafe { &*(urih as *const Entry) };
        let mut remote = [0 as c_char; 64];
        // SAFETY: valid session and buffer of the given length; the strings and lists are
        // Asterisk's for the duration of the callback.
        let request = unsafe {
            sys::minibot_http_remote(ser, remote.as_mut_ptr(), remote.len());
            Request {
                method: match method {
                    m if m == sys::ast_http_method_AST_HTTP_GET => Method::Get,
                    m if m == sys::ast_http_method_AST_HTTP_POST => Method::Post,
                    m if m == sys::ast_http_method_AST_HTTP_HEAD => Method::Head,
                    _ => Method::Other,
                },
                path: cstr_to_string(uri),
                remote: cstr_to_string(remote.as_ptr()),
            }
        };
        let response = (entry.handler)(&request);
        log::debug!("HTTP {:?} /{}/{} from {}: {}", request.method, entry.uri.to_string_lossy(), request.path, request.remote, response.status);
        let mut extra = response.headers.iter().map(|h| format!("{h}\r\n")).collect::<String>();
        extra.insert_str(0, &format!("Content-Type: {}\r\n", response.content_type));
        let (extra, title) = (c_string(&extra), c_string(reason(response.status)));
        // SAFETY: valid session; the strings and the body outlive the call (Asterisk copies them).
        unsafe {
            sys::minibot_http_send(
                ser,
                method,
                c_int::from(response.status),
                title.as_ptr(),
                extra.as_ptr(),
                response.body.as_ptr() as *const c_char,
                response.body.len(),
            );
        }
        0
    });
    if rc != 0 {
        // SAFETY: valid session; a panic left no response sent.
        unsafe { sys::ast_http_error(ser, 500, c"Internal Server Error".as_ptr(), c"MiniBot failed on this request (see the log)".as_ptr()) };
    }
    INSIDE.fetch_sub(1, Ordering::SeqCst);
    0
}

/// Serves everything under `uri` (e.g. "minibot") with `handler`.
pub fn register(uri: &str, description: &str, handler: Handler) -> Result<(), String> {
    unregister();
    let mut entry = Box::new(Entry {
        // SAFETY: ast_http_uri is plain data; all-zero is its unset state.
        raw: unsafe { std::mem::zeroed() },
        uri: c_string(uri),
        description: c_string(description),
        key: c_string("res_minibot"),
        handler,
    });
    entry.raw.uri = entry.uri.as_ptr();
    entry.raw.description = entry.description.as_ptr();
    entry.raw.key = entry.key.as_ptr();
    entry.raw.callback = Some(dispatch);
    entry.raw.set_has_subtree(1);
    // SAFETY: the entry is boxed (its address is stable) and kept in REGISTERED until unlinked.
    let rc = unsafe { sys::ast_http_uri_link(&mut entry.raw) };
    if rc != 0 {
        return Err(format!("cannot register the HTTP URI /{uri}"));
    }
    *REGISTERED.lock() = Some(entry);
    Ok(())
}

/// Unlinks the URI, then waits (bounded) for requests still inside the handler.
pub fn unregister() {
    let Some(mut entry) = REGISTERED.lock().take() else { return };
    // SAFETY: registered above and still alive.
    unsafe { sys::ast_http_uri_unlink(&mut entry.raw) };
    // A request may have found the URI just before it was unlinked and not be inside yet.
    std::thread::sleep(Duration::from_millis(50));
    let deadline = Instant::now() + Duration::from_secs(10);
    while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if INSIDE.load(Ordering::SeqCst) > 0 {
        log::error!("an HTTP request is still inside MiniBot at unload: its URI entry is kept in memory");
        std::mem::forget(entry);
    }
}
