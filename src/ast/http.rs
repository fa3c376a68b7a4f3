//! URIs served by Asterisk's own HTTP server (http.conf): one handler for everything under
//! `/<prefix>/minibot/`, as a safe request and response. Asterisk calls the handler on its HTTP
//! threads after releasing its list of URIs, so unload unlinks, waits until no request is inside
//! the handler, and never frees the entry a late request may still read.

use super::guard::ffi_guard;
use super::{c_string, cstr_to_string, sys};
use parking_lot::Mutex;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
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
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The session and headers, to read the body while the request is being handled (a Request
    /// lives only inside the callback that made it).
    session: *mut sys::ast_tcptls_session_instance,
    raw_headers: *mut sys::ast_variable,
}

/// Why a request's body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over Asterisk's 40 KB limit (read away, so the answer reaches the client).
    TooLarge,
    /// Unreadable, or not JSON.
    Unreadable,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The JSON body (application/json, at most Asterisk's 40 KB), compact; None without one.
    /// Read once: a second call finds nothing.
    pub fn json_body(&self) -> Result<Option<String>, BodyError> {
        let mut error: c_int = 0;
        // SAFETY: the session and headers are Asterisk's for the duration of the callback, which
        // outlives this Request; the returned text is ours to free with minibot_json_free.
        unsafe {
            let text = sys::minibot_http_json_body(self.session, self.raw_headers, &mut error);
            if text.is_null() {
                return match error {
                    0 => Ok(None),
                    libc::EFBIG => Err(BodyError::TooLarge),
                    _ => Err(BodyError::Unreadable),
                };
            }
            let body = cstr_to_string(text);
            sys::minibot_json_free(text);
            Ok(Some(body))
        }
    }
}

/// A list of Asterisk variables (headers, query parameters) as pairs.
///
/// # Safety
/// `list` is NULL or a valid list whose strings live for the call.
unsafe fn variables(mut list: *const sys::ast_variable) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while !list.is_null() && out.len() < 200 {
        // SAFETY: per the contract, each node is valid until `next` is NULL.
        let node = unsafe { &*list };
        out.push((unsafe { cstr_to_string(node.name) }.to_ascii_lowercase(), unsafe { cstr_to_string(node.value) }));
        list = node.next;
    }
    out
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

/// Serves the requests; what it captures (the pages' own state) lives as long as the
/// registration: `unregister` drops it.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

#[repr(C)]
struct Entry {
    raw: sys::ast_http_uri, // first: Asterisk's pointer to it is a pointer to the Entry
    uri: CString,
    description: CString,
    key: CString,
    /// None once unregistered (a request that found the entry just before the unlink gets a 503).
    handler: Mutex<Option<Handler>>,
}

/// The registered entry, as the address Asterisk holds (an owned `Box<Entry>` turned raw).
static REGISTERED: Mutex<Option<usize>> = Mutex::new(None);
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
        409 => "Conflict",
        413 => "Payload Too Large",
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
    headers: *mut sys::ast_variable,
) -> c_int {
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let rc = ffi_guard("HTTP request", -1, || {
        // SAFETY: `urih` points at the first field of one of our entries (only they name this
        // callback), made from the whole entry's pointer; entries are never freed. Fields are
        // read through the raw pointer: Asterisk writes to `raw` (its list link) meanwhile.
        let entry = urih as *const Entry;
        let (handler, base) = unsafe { ((*entry).handler.lock().clone(), (*entry).uri.to_string_lossy().into_owned()) };
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
                headers: variables(headers),
                session: ser,
                raw_headers: headers,
            }
        };
        let response = match handler {
            Some(handler) => handler(&request),
            None => Response::new(503, "text/plain", "MiniBot is unloading"),
        };
        log::debug!("HTTP {:?} /{base}/{} from {}: {}", request.method, request.path, request.remote, response.status);
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
pub fn register(uri: &str, description: &str, handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Result<(), String> {
    unregister();
    let entry = Box::into_raw(Box::new(Entry {
        // SAFETY: ast_http_uri is plain data; all-zero is its unset state.
        raw: unsafe { std::mem::zeroed() },
        uri: c_string(uri),
        description: c_string(description),
        key: c_string("res_minibot"),
        handler: Mutex::new(Some(Arc::new(handler))),
    }));
    // SAFETY: `entry` is a valid, never freed allocation; `raw` is reached through it so that
    // Asterisk's pointer to `raw` is a pointer to the whole entry.
    let rc = unsafe {
        let raw = std::ptr::addr_of_mut!((*entry).raw);
        (*raw).uri = (*entry).uri.as_ptr();
        (*raw).description = (*entry).description.as_ptr();
        (*raw).key = (*entry).key.as_ptr();
        (*raw).callback = Some(dispatch);
        (*raw).set_has_subtree(1);
        sys::ast_http_uri_link(raw)
    };
    if rc != 0 {
        return Err(format!("cannot register the HTTP URI /{uri}"));
    }
    *REGISTERED.lock() = Some(entry as usize);
    Ok(())
}

/// Unlinks the URI, then waits (bounded) for requests still inside the handler. The entry itself
/// is never freed (a hundred bytes a load): Asterisk reads it after releasing its list, so a
/// request that found it just before the unlink may still read it, however long it is delayed.
pub fn unregister() {
    let Some(entry) = REGISTERED.lock().take() else { return };
    // SAFETY: registered above; never freed.
    unsafe { sys::ast_http_uri_unlink(std::ptr::addr_of_mut!((*(entry as *mut Entry)).raw)) };
    // SAFETY: as above; the handler's lock is ours alone (Asterisk only touches `raw`).
    let handler = unsafe { (*(entry as *const Entry)).handler.lock().take() };
    let deadline = Instant::now() + Duration::from_secs(10);
    while INSIDE.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if INSIDE.load(Ordering::SeqCst) > 0 {
        log::error!("an HTTP request is still inside MiniBot after 10 s at unload");
    }
    drop(handler); // the pages' state goes with the last request that held it
}
