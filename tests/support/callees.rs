//! Simulated contacts who behave like people: each persona (tests/data/campaign-personas.tsv)
//! says "allô ?", then speaks only once the bot's prompt has ended, after a human delay, or
//! interrupts a prompt on purpose, and may hang up right after its last words. A director thread
//! follows the bot's AMI events (a prompt started or finished) and tells each callee channel when
//! to speak, as a person listening for the bot's silence would; the callee's dialplan plays faint
//! room noise while it listens. The persona file also says what each contact must end with, and
//! `check` compares that with what the database holds.
#![allow(dead_code)]

use super::ami::{Ami, Message};
use super::{speech, Asterisk};
use chrono::{DateTime, Duration as Span, NaiveTime, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a persona does at one point of the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    /// Speaks `words` `delay` seconds after the bot's prompt has ended.
    Answer { delay: f64, words: String },
    /// Speaks `words` `after` seconds into the bot's prompt.
    Barge { after: f64, words: String },
    /// Hangs up `delay` seconds after its last words.
    HangUp { delay: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Person,
    Busy,
    NoAnswer,
    Voicemail,
}

/// When the next call may be placed.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    None,
    /// This long after the call's end (a retry delay).
    After(Span),
    /// This local time of day in the contact's zone, `days` after the call's day if given (else
    /// today or tomorrow).
    Window { days: Option<i64>, from: NaiveTime, to: NaiveTime },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub outcome: String,
    pub lead: String,
    pub queue: String,
    pub next: Next,
    /// The text as written in the file, for the tables.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Persona {
    pub name: String,
    pub kind: Kind,
    pub greeting: String,
    pub acts: Vec<Act>,
    pub expect: Expect,
}

impl Persona {
    /// The words the persona says, turn by turn: the TEST FIXTURE's transcripts.
    pub fn words(&self) -> Vec<&str> {
        self.acts
            .iter()
            .filter_map(|a| match a {
                Act::Answer { words, .. } | Act::Barge { words, .. } => Some(words.as_str()),
                Act::HangUp { .. } => None,
            })
            .collect()
    }
}

/// Reads a persona file; every problem names its line.
pub fn parse(text: &str) -> Result<BTreeMap<String, Persona>, String> {
    let mut personas: BTreeMap<String, Persona> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let at = |what: String| format!("campaign-personas.tsv line {n}: {what}");
        let persona = personas.entry(fields[0].to_string()).or_insert_with(|| Persona {
            name: fields[0].to_string(),
            kind: Kind::Person,
            greeting: String::new(),
            acts: Vec::new(),
            expect: Expect { outcome: String::new(), lead: String::new(), queue: String::new(), next: Next::None, text: String::new() },
        });
        let seconds = |v: &str| v.parse::<f64>().ok().filter(|s| (0.0..=30.0).contains(s)).ok_or_else(|| at(format!("'{v}' is not a delay in seconds (0-30)")));
        match fields.get(1..).unwrap_or_default() {
            ["expect", what] => persona.expect = expect(what).map_err(at)?,
            ["answer", delay, words] => persona.acts.push(Act::Answer { delay: seconds(delay)?, words: words.to_string() }),
            ["barge", after, words] => persona.acts.push(Act::Barge { after: seconds(after)?, words: words.to_string() }),
            ["hangup", delay] => persona.acts.push(Act::HangUp { delay: seconds(delay)? }),
            ["line", "busy"] => persona.kind = Kind::Busy,
            ["line", "no_answer"] => persona.kind = Kind::NoAnswer,
            ["line", "voicemail", greeting] => (persona.kind, persona.greeting) = (Kind::Voicemail, greeting.to_string()),
            _ => return Err(at(format!("'{line}' is none of: expect, answer, barge, hangup, line"))),
        }
    }
    for persona in personas.values() {
        if persona.expect.outcome.is_empty() {
            return Err(format!("campaign-personas.tsv: persona '{}' says nothing of what it must end with (an `expect` line)", persona.name));
        }
    }
    Ok(personas)
}

fn expect(text: &str) -> Result<Expect, String> {
    let mut fields: HashMap<&str, &str> = HashMap::new();
    let (head, next) = text.split_once("next=").ok_or("an expect line ends with next=...")?;
    for pair in head.split_whitespace() {
        let (key, value) = pair.split_once('=').ok_or_else(|| format!("'{pair}' is not key=value"))?;
        fields.insert(key, value);
    }
    let get = |key: &str| fields.get(key).map(|v| v.to_string()).ok_or_else(|| format!("expect has no {key}="));
    let outcome = get("outcome")?;
    if res_minibot::domain::Outcome::parse(&outcome).is_none() {
        return Err(format!("'{outcome}' is not an outcome ({})", res_minibot::domain::Outcome::names()));
    }
    let queue = get("queue")?;
    if !["done", "pending", "do_not_call", "failed"].contains(&queue.as_str()) {
        return Err(format!("'{queue}' is not a queue state (done, pending, do_not_call, failed)"));
    }
    Ok(Expect { outcome, lead: get("lead")?, queue, next: parse_next(next.trim())?, text: text.to_string() })
}

fn parse_next(text: &str) -> Result<Next, String> {
    let window = |w: &str| -> Result<(NaiveTime, NaiveTime), String> {
        let (a, b) = w.split_once('-').ok_or_else(|| format!("'{w}' is not HH:MM-HH:MM"))?;
        let time = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| format!("'{t}' is not HH:MM"));
        Ok((time(a)?, time(b)?))
    };
    match text {
        "none" => Ok(Next::None),
        t if t.starts_with('+') => res_minibot::campaign::retry::parse_delay(&t[1..]).map(Next::After),
        t if t.starts_with("J+") => {
            let (days, w) = t[2..].split_once(' ').ok_or_else(|| format!("'{t}' is not J+<days> HH:MM-HH:MM"))?;
            let (from, to) = window(w)?;
            Ok(Next::Window { days: Some(days.parse().map_err(|_| format!("'{days}' is not a number of days"))?), from, to })
        }
        t => window(t).map(|(from, to)| Next::Window { days: None, from, to }),
    }
}

/// Writes the callees' dialplan (context `context`, one extension per contact, named by its
/// number's digits) and their speech; returns the TEST FIXTURE context `transcripts` (one
/// extension per contact setting MINIBOT_TEST_TRANSCRIPTS, to Gosub before MiniBot()).
pub fn dialplan(asterisk: &Asterisk, context: &str, contacts: &[(String, &Persona)]) -> (String, String) {
    let sox = |name: &str, synth: &str| -> String {
        for (ext, rate) in [("sln16", "16000"), ("sln", "8000")] {
            let status = std::process::Command::new("sox")
                .args(["-n", "-t", "raw", "-r", rate, "-c", "1", "-b", "16", "-e", "signed-integer"])
                .arg(asterisk.host_path(&format!("sounds/{name}.{ext}")))
                .arg("synth")
                .args(synth.split_whitespace())
                .status()
                .expect("sox");
            assert!(status.success());
        }
        format!("{}/sounds/{name}", asterisk.dir)
    };
    // A phone line is never digitally silent, and AMD() measures silence on what it receives.
    let room = sox("room-tenth", "0.1 whitenoise vol 0.003");
    let half = sox("room-half", "0.5 whitenoise vol 0.003");
    let long_room = (0..120).map(|_| half.as_str()).collect::<Vec<_>>().join("&");
    let beep = sox("beep", "0.6 sine 1000 vol 0.5");
    let (allo, _) = speech(asterisk, "allo", "fr", "allô ?");
    let mut spoken: BTreeMap<String, String> = BTreeMap::new();
    let mut callees = format!("[{context}]\n");
    let mut transcripts = format!("[{context}-transcripts]\n");
    // The listening loop every person shares: room noise until the director sets SAY.
    callees += &format!(
        "exten => listen,1,Set(SAY=)\n same => n(wait),Playback({room})\n same => n,GotoIf($[\"${{SAY}}\" = \"\"]?wait)\n\
         same => n,Set(LINE=${{SAY}})\n same => n,Set(SAY=)\n same => n,UserEvent(CalleeSpeaks,State: start)\n\
         same => n,Playback(${{LINE}})\n same => n,UserEvent(CalleeSpeaks,State: stop)\n same => n,Goto(wait)\n"
    );
    for (phone, persona) in contacts {
        let exten = phone.trim_start_matches('+');
        callees += &format!("exten => {exten},1,NoOp({})\n", persona.name);
        match persona.kind {
            Kind::Busy => callees += " same => n,Busy(10)\n",
            Kind::NoAnswer => callees += " same => n,Ringing()\n same => n,Wait(60)\n",
            Kind::Voicemail => {
                let (greeting, _) = speech(asterisk, &format!("{}-greeting", persona.name), "fr", &persona.greeting);
                callees += &format!(" same => n,Answer()\n same => n,Playback({half})\n same => n,Playback({greeting})\n same => n,Playback({beep})\n same => n,Playback({long_room})\n");
            }
            Kind::Person => {
                callees += &format!(" same => n,Answer()\n same => n,Playback({half})\n same => n,Playback({allo})\n same => n,Goto(listen,1)\n");
                for words in persona.words() {
                    let n = spoken.len();
                    spoken.entry(words.to_string()).or_insert_with(|| speech(asterisk, &format!("said-{n}"), "fr", words).0);
                }
            }
        }
        transcripts += &format!("exten => {exten},1,Set(MINIBOT_TEST_TRANSCRIPTS={})\n same => n,Return()\n", persona.words().join("|"));
    }
    *SPOKEN.lock().unwrap() = spoken;
    (callees, transcripts)
}

/// Where each sentence's speech file is (filled by `dialplan`).
static SPOKEN: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// One call as the director follows it.
struct Call {
    persona: Persona,
    callee: String,
    next: usize,
    speaking: bool,
    /// What the persona will do, and when.
    pending: Option<(Instant, usize)>,
}

/// Follows the bot's AMI events and tells each callee when to speak; also keeps the reaction
/// samples (end of the callee's turn -> the bot's next prompt, by the module's own events).
pub struct Director {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<f64>>>,
}

impl Director {
    /// `personas`: by the contact's digits (the Local channel's extension).
    pub fn start(asterisk: &Asterisk, personas: HashMap<String, Persona>) -> Director {
        let stop = Arc::new(AtomicBool::new(false));
        // Channels' and user events only (MiniBot's are call events): not every dialplan step.
        let mut events = asterisk.ami_with_events("call,user");
        events.set_read_timeout(Duration::from_millis(10));
        let mut actions = asterisk.ami_without_events();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut calls: HashMap<String, Call> = HashMap::new();
            let mut by_callee: HashMap<String, String> = HashMap::new();
            let mut channels: HashMap<String, String> = HashMap::new();
            let mut turn_ended: HashMap<String, f64> = HashMap::new();
            let mut reactions = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                while let Some(event) = events.next_event() {
                    // Asterisk's own events name the channel; MiniBot's carry its uniqueid (the
                    // channel's name holds the number, which MiniBot masks).
                    if event.is("Newchannel") {
                        if let (Some(id), Some(name)) = (event.get("Uniqueid"), event.get("Channel")) {
                            channels.insert(id.to_string(), name.to_string());
                        }
                        continue;
                    }
                    if event.is("Hangup") {
                        // Read after this event's own handling: the channel's last events are in order.
                        let gone = event.get("Uniqueid").map(str::to_string);
                        if let Some(channel) = event.get("Channel") {
                            follow(&event, channel, &personas, &mut calls, &mut by_callee, &mut turn_ended, &mut reactions);
                        }
                        gone.map(|id| channels.remove(&id));
                        continue;
                    }
                    let channel = if event.get("Event").is_some_and(|e| e.starts_with("MiniBot")) {
                        event.get("Uniqueid").and_then(|id| channels.get(id)).cloned()
                    } else {
                        event.get("Channel").map(str::to_string)
                    };
                    if let Some(channel) = channel {
                        follow(&event, &channel, &personas, &mut calls, &mut by_callee, &mut turn_ended, &mut reactions);
                    }
                    // What is due is done at once, however busy the event stream is.
                    act(&mut actions, &mut calls);
                }
                act(&mut actions, &mut calls);
            }
            reactions
        });
        Director { stop, thread: Some(thread) }
    }

    /// Stops following; returns the reaction samples in ms.
    pub fn stop(mut self) -> Vec<f64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map(|t| t.join().expect("the director")).unwrap_or_default()
    }
}

impl Drop for Director {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The contact's digits in a bot channel's name (`Local/33610000001@callees-0000002a;1`).
fn digits(channel: &str) -> Option<&str> {
    channel.strip_prefix("Local/")?.split('@').next()
}

fn follow(
    event: &Message,
    channel: &str,
    personas: &HashMap<String, Persona>,
    calls: &mut HashMap<String, Call>,
    by_callee: &mut HashMap<String, String>,
    turn_ended: &mut HashMap<String, f64>,
    reactions: &mut Vec<f64>,
) {
    let now = Instant::now();
    if event.get("Step") == Some("recording_notice") {
        return; // the legal notice plays in full: nobody answers it
    }
    match event.get("Event").unwrap_or("") {
        "MiniBotCall" if event.get("State") == Some("started") => {
            let Some(persona) = digits(channel).and_then(|d| personas.get(d)) else { return };
            let callee = channel.replace(";1", ";2");
            by_callee.insert(callee.clone(), channel.to_string());
            calls.insert(channel.to_string(), Call { persona: persona.clone(), callee, next: 0, speaking: false, pending: None });
        }
        "MiniBotCall" if event.get("State") == Some("ended") => {
            if let Some(call) = calls.remove(channel) {
                by_callee.remove(&call.callee);
            }
            turn_ended.remove(channel);
        }
        "MiniBotSpeech" if event.get("State") == Some("ended") => {
            turn_ended.insert(channel.to_string(), event.timestamp());
        }
        "MiniBotPrompt" if event.get("State") == Some("started") => {
            if let Some(ended) = turn_ended.remove(channel) {
                reactions.push((event.timestamp() - ended) * 1000.0);
            }
            let Some(call) = calls.get_mut(channel) else { return };
            // The bot talks again: a person waits for it to finish (unless they mean to interrupt).
            if call.pending.is_some_and(|(_, i)| matches!(call.persona.acts[i], Act::Answer { .. })) {
                call.pending = None;
            }
            if let (false, None, Some(Act::Barge { after, .. })) = (call.speaking, call.pending, call.persona.acts.get(call.next)) {
                call.pending = Some((now + Duration::from_secs_f64(*after), call.next));
            }
        }
        "MiniBotPrompt" if event.get("State") == Some("finished") => {
            let Some(call) = calls.get_mut(channel) else { return };
            if let (false, None, Some(Act::Answer { delay, .. })) = (call.speaking, call.pending, call.persona.acts.get(call.next)) {
                call.pending = Some((now + Duration::from_secs_f64(*delay), call.next));
            }
        }
        "UserEvent" if event.get("UserEvent") == Some("CalleeSpeaks") && event.get("State") == Some("stop") => {
            let Some(call) = by_callee.get(channel).and_then(|bot| calls.get_mut(bot)) else { return };
            call.speaking = false;
            if let (None, Some(Act::HangUp { delay })) = (call.pending, call.persona.acts.get(call.next)) {
                call.pending = Some((now + Duration::from_secs_f64(*delay), call.next));
            }
        }
        _ => {}
    }
}

/// Carries out what is due: a callee speaks (SAY set on its channel) or hangs up.
fn act(ami: &mut Ami, calls: &mut HashMap<String, Call>) {
    let now = Instant::now();
    for call in calls.values_mut() {
        let Some((_, i)) = call.pending.filter(|(at, _)| *at <= now) else { continue };
        call.pending = None;
        call.next = i + 1;
        match &call.persona.acts[i] {
            Act::Answer { words, .. } | Act::Barge { words, .. } => {
                let file = SPOKEN.lock().unwrap().get(words).cloned().expect("speech for every sentence");
                call.speaking = true;
                ami.action("Setvar", &[("Channel", &call.callee), ("Variable", "SAY"), ("Value", &file)]);
            }
            Act::HangUp { .. } => {
                ami.action("Hangup", &[("Channel", &call.callee)]);
            }
        }
    }
}

/// One contact's decision, as the database holds it, beside what its persona must end with.
pub struct Verdict {
    pub phone: String,
    pub persona: String,
    pub outcome: String,
    pub lead: String,
    pub queue: String,
    pub next: String,
    pub problems: Vec<String>,
}

/// Reads every contact's latest call and queue row, and compares each with its persona's `expect`
/// (a long run may retry a contact, a busy one after 20 minutes: its next call counts from the
/// latest attempt).
pub fn check(db: &str, contacts: &[(String, &Persona)], default_zone: Tz) -> Vec<Verdict> {
    let mut client = postgres::Client::connect(db, postgres::NoTls).expect("database");
    let rows = client
        .query(
            "SELECT c.phone, coalesce(k.outcome, '-'), coalesce(k.lead_class, '-'), q.status, q.next_attempt_at, k.ended_at, c.timezone,
                    EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = c.phone)
             FROM call_queue q JOIN contacts c ON c.id = q.contact_id LEFT JOIN calls k ON k.queue_id = q.id AND k.attempt = q.attempts",
            &[],
        )
        .expect("the campaign's rows");
    let by_phone: HashMap<String, &postgres::Row> = rows.iter().map(|r| (r.get::<_, String>(0), r)).collect();
    contacts
        .iter()
        .map(|(phone, persona)| {
            let expect = &persona.expect;
            let Some(row) = by_phone.get(phone) else {
                return Verdict { phone: phone.clone(), persona: persona.name.clone(), outcome: "-".into(), lead: "-".into(), queue: "-".into(), next: "-".into(), problems: vec!["no queue row".into()] };
            };
            let (outcome, lead, queue): (String, String, String) = (row.get(1), row.get(2), row.get(3));
            let next_at: Option<DateTime<Utc>> = row.get::<_, Option<std::time::SystemTime>>(4).map(DateTime::from);
            let ended: Option<DateTime<Utc>> = row.get::<_, Option<std::time::SystemTime>>(5).map(DateTime::from);
            let zone = row.get::<_, Option<String>>(6).and_then(|z| z.parse::<Tz>().ok()).unwrap_or(default_zone);
            let opted_out: bool = row.get(7);
            let mut problems = Vec::new();
            for (what, got, want) in [("outcome", &outcome, &expect.outcome), ("lead", &lead, &expect.lead), ("queue", &queue, &expect.queue)] {
                if got != want {
                    problems.push(format!("{what} {got}, expected {want}"));
                }
            }
            if (expect.outcome == "do_not_call") != opted_out {
                problems.push(format!("on the opt-out list: {opted_out}"));
            }
            let shown = next_at.filter(|_| queue == "pending").map_or("-".to_string(), |t| t.with_timezone(&zone).format("%d/%m %H:%M").to_string());
            if queue == "pending" {
                if let Err(p) = next_fits(&expect.next, next_at, ended, zone) {
                    problems.push(p);
                }
            }
            Verdict { phone: phone.clone(), persona: persona.name.clone(), outcome, lead, queue, next: shown, problems }
        })
        .collect()
}

fn next_fits(next: &Next, at: Option<DateTime<Utc>>, ended: Option<DateTime<Utc>>, zone: Tz) -> Result<(), String> {
    let (Some(at), Some(ended)) = (at, ended) else {
        return if *next == Next::None { Ok(()) } else { Err("no next call or no call end".into()) };
    };
    let local = at.with_timezone(&zone);
    let ok = match next {
        Next::None => false,
        Next::After(delay) => ((at - ended) - *delay).num_seconds().abs() <= 120,
        Next::Window { days, from, to } => {
            let in_window = local.time() >= *from && local.time() <= *to;
            let day_ok = match days {
                Some(d) => local.date_naive() == ended.with_timezone(&zone).date_naive() + Span::days(*d),
                None => at > ended + Span::minutes(10) && at < ended + Span::days(2),
            };
            in_window && day_ok
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("next call {} ({}), expected {next:?} after a call ended {}", local.format("%d/%m %H:%M"), zone, ended.with_timezone(&zone).format("%d/%m %H:%M")))
    }
}

/// Prints one line per contact (what it got, what its persona must end with, what differs);
/// returns how many differ.
pub fn print_verdicts(verdicts: &[Verdict], name: impl Fn(&str) -> String) -> usize {
    println!("{:<18} {:<9} {:<17} {:<18} {:<13} {:<12} {:<12} expected", "phone", "name", "persona", "outcome", "lead", "queue", "next");
    for v in verdicts {
        println!(
            "{:<18} {:<9} {:<17} {:<18} {:<13} {:<12} {:<12} {}",
            res_minibot::phone::mask(&v.phone),
            name(&v.phone),
            v.persona,
            v.outcome,
            v.lead,
            v.queue,
            v.next,
            if v.problems.is_empty() { "ok".to_string() } else { format!("WRONG: {}", v.problems.join("; ")) }
        );
    }
    verdicts.iter().filter(|v| !v.problems.is_empty()).count()
}

/// (p50, p95) of the samples, nearest rank.
pub fn percentiles(samples: &[f64]) -> Option<(f64, f64)> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = |q: f64| sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    Some((rank(0.50), rank(0.95)))
}

/// A node that dials the sample campaign `demo` to these callees, as `make demo` and
/// `make campaign-bench` run it: the sample configuration (the given LLM server and database, the
/// spool under `spool_dir`), the sample scenarios dialing Local channels into `context` at any
/// hour (`max_concurrent` if given), AMD() and the TEST FIXTURE's transcripts in the dialer's
/// context, a warm recognizer, and the director following the calls.
pub fn campaign_node(llm_url: &str, db: &str, spool_dir: &str, context: &str, cast: &[(String, &Persona)], max_concurrent: Option<u32>) -> (Asterisk, Director) {
    let conf = super::demo_conf(llm_url, db, spool_dir).replace("poll_ms = 500", "poll_ms = 200");
    let mut scenarios = include_str!("../../asterisk-conf/minibot_scenarios.conf")
        .replacen("dial = PJSIP/${PHONE}@trunk", &format!("dial = Local/${{PHONE_DIGITS}}@{context}"), 1)
        .replacen("hours = mon-fri 10:00-13:00 14:00-20:00", "hours = always", 1)
        .replacen("holidays = fr", "holidays = none", 1)
        .replacen("calls_per_second = 1", "calls_per_second = 2", 1);
    if let Some(n) = max_concurrent {
        scenarios = scenarios.replacen("max_concurrent = 10", &format!("max_concurrent = {n}"), 1);
    }
    let asterisk = Asterisk::start(super::Options {
        minibot_conf: Some(conf),
        scenarios,
        extra_modules: vec!["app_amd.so".into(), "app_stack.so".into()],
        extra_configs: vec![("amd.conf".into(), include_str!("../../asterisk-conf/amd.conf").into())],
        ..super::Options::default()
    });
    let (callees, transcripts) = dialplan(&asterisk, context, cast);
    let dialer = format!(
        "[minibot-dialer]\nexten => s,1,Gosub({context}-transcripts,${{MINIBOT_PHONE:1}},1)\n same => n,AMD()\n\
         same => n,MiniBot(${{MINIBOT_CAMPAIGN}})\n same => n,Hangup()\n"
    );
    let base = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{base}\n{dialer}\n{transcripts}\n{callees}"));
    asterisk.reload_dialplan();
    let warm = Instant::now() + Duration::from_secs(30);
    while !asterisk.cli("minibot show metrics").contains("(16000, ") {
        if Instant::now() > warm {
            println!("(no warm recognizer after 30 s: the first calls will wait ~0.4 s for one)");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let director = Director::start(&asterisk, cast.iter().map(|(phone, p)| (phone.trim_start_matches('+').to_string(), (*p).clone())).collect());
    (asterisk, director)
}
