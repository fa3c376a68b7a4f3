//! A minimal Asterisk Manager Interface client: actions with ActionID, and events.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One AMI message: its `Key: value` lines in order.
#[derive(Debug, Clone)]
pub struct Message(pub Vec<(String, String)>);

impl Message {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    pub fn is(&self, event: &str) -> bool {
        self.get("Event") == Some(event)
    }

    /// The event's `Timestamp` (manager.conf timestampevents), in seconds.
    pub fn timestamp(&self) -> f64 {
        self.get("Timestamp").and_then(|t| t.parse().ok()).expect("event without Timestamp")
    }

    pub fn number(&self, key: &str) -> f64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no number {key} in {self:?}"))
    }
}

pub struct Ami {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    events: VecDeque<Message>,
    next_id: u64,
}

impl Ami {
    pub fn connect(port: u16, user: &str, secret: &str) -> Ami {
        Ami::login(port, user, secret, "on")
    }

    /// A connection for actions only: no event is sent to it (none piles up unread).
    #[allow(dead_code)]
    pub fn connect_without_events(port: u16, user: &str, secret: &str) -> Ami {
        Ami::login(port, user, secret, "off")
    }

    /// A connection that gets only the event classes `mask` names ("call,user").
    #[allow(dead_code)]
    pub fn connect_with_events(port: u16, user: &str, secret: &str, mask: &str) -> Ami {
        Ami::login(port, user, secret, mask)
    }

    fn login(port: u16, user: &str, secret: &str, events: &str) -> Ami {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("AMI connect");
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut banner = String::new();
        reader.read_line(&mut banner).unwrap();
        let mut ami = Ami { writer: stream, reader, events: VecDeque::new(), next_id: 1 };
        let response = ami.action("Login", &[("Username", user), ("Secret", secret), ("Events", events)]);
        assert_eq!(response.get("Response"), Some("Success"), "AMI login: {response:?}");
        ami
    }

    /// Sends an action and returns its response; events that arrive meanwhile are kept.
    pub fn action(&mut self, action: &str, fields: &[(&str, &str)]) -> Message {
        let id = format!("minibot-{}", self.next_id);
        self.next_id += 1;
        let mut text = format!("Action: {action}\r\nActionID: {id}\r\n");
        for (k, v) in fields {
            text += &format!("{k}: {v}\r\n");
        }
        text += "\r\n";
        self.writer.write_all(text.as_bytes()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "no AMI response to {action}");
            if let Some(message) = self.read_message() {
                // An async Originate's OriginateResponse event carries the same ActionID: it is an event.
                if message.get("Event").is_none() && message.get("ActionID") == Some(id.as_str()) {
                    return message;
                }
                if message.get("Event").is_some() {
                    self.events.push_back(message);
                }
            }
        }
    }

    /// How long a read waits for the next message (200 ms unless set).
    #[allow(dead_code)]
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.writer.set_read_timeout(Some(timeout)).unwrap();
    }

    /// The next event if one is there within the read timeout.
    #[allow(dead_code)]
    pub fn next_event(&mut self) -> Option<Message> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        loop {
            match self.read_message() {
                Some(m) if m.get("Event").is_some() => return Some(m),
                Some(_) => continue,
                None => return None,
            }
        }
    }

    /// Waits for an event matching `pred` (events seen before are searched first).
    pub fn wait_event(&mut self, timeout: Duration, pred: impl Fn(&Message) -> bool) -> Option<Message> {
        if let Some(i) = self.events.iter().position(&pred) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(message) = self.read_message() {
                if message.get("Event").is_some() {
                    if pred(&message) {
                        return Some(message);
                    }
                    self.events.push_back(message);
                }
            }
        }
        None
    }

    /// Originates a Local call: `bot_exten` runs on one side, `callee_exten` on the other.
    /// The Local pair is natively slin16 (a 16 kHz call end to end).
    pub fn originate_local(&mut self, context: &str, bot_exten: &str, callee_exten: &str) -> Message {
        self.originate(&format!("Local/{bot_exten}@{context}/n"), (context, callee_exten), "slin16", &[])
    }

    /// Originates a call on `channel` (e.g. `Local/demo@bot/n`) whose other side runs
    /// `callee` (context, extension), at `codec`, with channel variables (`NAME=value`).
    pub fn originate(&mut self, channel: &str, callee: (&str, &str), codec: &str, variables: &[String]) -> Message {
        let mut fields: Vec<(&str, &str)> =
            vec![("Channel", channel), ("Context", callee.0), ("Exten", callee.1), ("Priority", "1"), ("Async", "true"), ("Timeout", "10000")];
        if !codec.is_empty() {
            fields.push(("Codecs", codec));
        }
        fields.extend(variables.iter().map(|v| ("Variable", v.as_str())));
        self.action("Originate", &fields)
    }

    /// Places a call as `originate` does, checks that Asterisk took it, and returns the events
    /// until the bot's call ends (MiniBotCall ended, inclusive) or `timeout` passes.
    pub fn call_until_ended(&mut self, channel: &str, callee: (&str, &str), codec: &str, timeout: Duration) -> Vec<Message> {
        let response = self.originate(channel, callee, codec, &[]);
        assert_eq!(response.get("Response"), Some("Success"), "originate {channel}: {response:?}");
        self.collect_until(timeout, call_ended)
    }

    /// Collects events until `last` matches (inclusive) or the timeout passes.
    pub fn collect_until(&mut self, timeout: Duration, last: impl Fn(&Message) -> bool) -> Vec<Message> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            let event = match self.events.pop_front() {
                Some(event) => event,
                None => match self.read_message() {
                    Some(m) if m.get("Event").is_some() => m,
                    _ => continue,
                },
            };
            let done = last(&event);
            seen.push(event);
            if done {
                break;
            }
        }
        seen
    }

    fn read_message(&mut self) -> Option<Message> {
        let mut fields = Vec::new();
        let mut line = Vec::new(); // bytes of a line read before a timeout are kept here
        loop {
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => panic!("AMI connection closed"),
                Ok(_) if !line.ends_with(b"\n") => continue,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    if fields.is_empty() && line.is_empty() {
                        return None;
                    }
                    continue; // mid-message: the rest is coming
                }
                Err(e) => panic!("AMI read: {e}"),
            }
            let text = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string();
            line.clear();
            if text.is_empty() {
                if fields.is_empty() {
                    continue;
                }
                return Some(Message(fields));
            }
            if let Some((k, v)) = text.split_once(':') {
                fields.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
}

/// MiniBot's call ended (also sent when the callee hangs up).
pub fn call_ended(e: &Message) -> bool {
    e.is("MiniBotCall") && e.get("State") == Some("ended")
}
