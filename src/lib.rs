//! MiniBot: an outbound French voice bot that runs inside Asterisk 22 as `res_minibot.so`.
//!
//! Layout: `ast` is the only unsafe code (thin wrappers over Asterisk's C API); `module`, `app`
//! and `cli` are the Asterisk-facing glue built on it; everything else is pure Rust logic that
//! knows nothing of Asterisk and is unit-tested on its own (`cargo test --no-default-features`).
#![deny(unsafe_code)]

pub mod access;
pub mod amd;
pub mod asr;
pub mod audio;
pub mod call;
pub mod campaign;
pub mod config;
pub mod nlp;
pub mod obs;
pub mod phone;
pub mod qualify;
pub mod recording;
pub mod scenario;
pub mod store;
pub mod vad;
pub mod vocab;

#[cfg(feature = "asterisk")]
#[allow(unsafe_code)]
#[macro_use]
mod ast;
#[cfg(feature = "asterisk")]
mod app;
#[cfg(feature = "asterisk")]
mod dialer;
#[cfg(feature = "asterisk")]
mod cli;
#[cfg(feature = "asterisk")]
mod control;
#[cfg(feature = "asterisk")]
mod module;
#[cfg(feature = "asterisk")]
mod web;

/// "0.1.0 (git abc1234567)".
pub fn version() -> String {
    format!("{} (git {})", env!("CARGO_PKG_VERSION"), env!("MINIBOT_GIT_REV"))
}
