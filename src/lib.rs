//! MiniBot: an outbound French voice bot that runs inside Asterisk 22 as `res_minibot.so`.
//!
//! Layout, top down:
//! - `host`: MiniBot inside Asterisk: the module's lifecycle (`host::module`, which nothing
//!   imports), the dialplan application, the CLI, the HTTP pages, the dialer's runtime and the
//!   operator's actions they share, all reading the loaded state (`host::state`).
//! - `ast`: the only unsafe code, thin wrappers over Asterisk's C API.
//! - the stores: `store` (PostgreSQL and its spool), `recording`, `obs` (metrics, the call log).
//! - the pure cores, which know nothing of Asterisk and are unit-tested on their own (`cargo test
//!   --no-default-features`): `call` (a call's sans-IO controller), `scenario`, `campaign` (policy),
//!   `qualify`, `nlp`, `asr`, `amd`, `vad`, `audio`, `phone`, `access`, with `settings` (what
//!   minibot.conf means, for every part) above them and `config` (the file format) and `domain`
//!   (the types every part speaks) at the bottom.
#![deny(unsafe_code)]

pub mod access;
pub mod amd;
pub mod asr;
pub mod audio;
pub mod call;
pub mod campaign;
pub mod config;
pub mod domain;
pub mod nlp;
pub mod obs;
pub mod phone;
pub mod qualify;
pub mod recording;
pub mod scenario;
pub mod settings;
pub mod store;
pub mod vad;

#[cfg(feature = "asterisk")]
#[allow(unsafe_code)]
#[macro_use]
mod ast;
#[cfg(feature = "asterisk")]
mod host;

/// "0.1.0 (git abc1234567)".
pub fn version() -> String {
    format!("{} (git {})", env!("CARGO_PKG_VERSION"), env!("MINIBOT_GIT_REV"))
}
