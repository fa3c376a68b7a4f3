//! Configuration: the generic reader of Asterisk-format files (`document`, at the bottom: it
//! imports nothing from the crate) and the module's own settings from minibot.conf (`settings`).

pub mod document;
pub mod settings;
