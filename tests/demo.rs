//! `make demo`: start the sandbox Asterisk with the module, place one Local call into
//! MiniBot(demo) with a callee playing a French prompt, and print what happened.

mod support;

use std::time::{Duration, Instant};
use support::{Asterisk, Options};

fn main() {
    println!("== MiniBot demo: one call into MiniBot(demo) on a sandboxed Asterisk 22");
    let started = Instant::now();
    let asterisk = Asterisk::start(Options { minibot_conf: Some(include_str!("../asterisk-conf/minibot.conf").into()), ..Options::default() });
    println!("{}", asterisk.cli("minibot show version").trim());
    let mut ami = asterisk.ami();
    ami.originate_local("minibot-test", "demo", "callee");
    let event = ami.wait_event(Duration::from_secs(30), |e| e.get("UserEvent") == Some("MiniBotDone"));
    match &event {
        Some(event) => println!(
            "call on {} ended: MINIBOTSTATUS={}",
            event.get("Channel").unwrap_or("?"),
            event.get("Status").unwrap_or("?")
        ),
        None => println!("the call did not end within 30 s"),
    }
    println!("\n-- minibot show status\n{}", asterisk.cli("minibot show status").trim_end());
    println!("\n-- module log lines");
    for line in asterisk.log().lines().filter(|l| l.contains("MiniBot") || l.contains("minibot")) {
        println!("{line}");
    }
    println!("\ndemo finished in {:.1} s", started.elapsed().as_secs_f64());
    if event.is_none() {
        std::process::exit(1);
    }
}
