//! MiniBot inside Asterisk: what registers with the host and what runs on its threads. From the
//! top down: `module` (load, unload, reload: nothing imports it), the faces Asterisk calls
//! (`app` for MiniBot(), `cli`, `web`), the operator's actions the CLI and the HTTP API share
//! (`operator`) and the operator's files as a load reads them (`files`), the dialer's runtime,
//! and at the bottom `state`, what a load started, read by all.

pub mod app;
pub mod cli;
pub mod dialer;
pub mod files;
pub mod module;
pub mod operator;
pub mod state;
pub mod web;
