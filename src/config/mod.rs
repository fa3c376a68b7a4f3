//! The generic reader of Asterisk-format configuration files (`document`): at the bottom, it
//! imports nothing from the crate. What minibot.conf means is `crate::settings`, at the top.

pub mod document;
