//! What an operator can do to campaigns, for both the CLI and the HTTP control endpoints: each
//! operation borrows a connection of the module's bounded pool on the caller's thread (the CLI's
//! or an HTTP thread, never a channel's) and returns its result as text or data, or why it was
//! not done (a `Refusal`, whose kind is the HTTP API's status and whose words the CLI prints).

use crate::campaign::{contacts, export, transition};
use crate::host::state::with_bot;
use crate::settings::Settings;
use crate::store::campaigns::{self as db, Counts, Progress, Report, StatusChange};
use std::fmt;
use std::sync::Arc;

/// Why an operator's action was not done.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The module is not loaded, or runs without a database.
    Unavailable(String),
    /// No such campaign, or no scenario of that name.
    NotFound(String),
    /// The campaign's state or its scenario does not allow it.
    Conflict(String),
    /// The request or the file given is wrong.
    BadInput(String),
    /// The database failed on the way (unreachable, timed out, refusing).
    Database(String),
}

impl Refusal {
    /// The HTTP status that says it.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotFound(_) => 404,
            Refusal::Conflict(_) => 409,
            Refusal::BadInput(_) => 400,
            Refusal::Unavailable(_) | Refusal::Database(_) => 503,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let (Refusal::Unavailable(m) | Refusal::NotFound(m) | Refusal::Conflict(m) | Refusal::BadInput(m) | Refusal::Database(m)) = self;
        f.write_str(m)
    }
}

/// The store's errors are the database's.
impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal::Database(message)
    }
}

/// The CLI prints the words.
impl From<Refusal> for String {
    fn from(refusal: Refusal) -> String {
        refusal.to_string()
    }
}

/// A connection of the module's pool and the settings in force.
pub fn database() -> Result<(crate::store::pool::Pooled, Arc<Settings>), Refusal> {
    let (pool, settings) =
        with_bot(|bot| (bot.pool.clone(), bot.settings.clone())).ok_or_else(|| Refusal::Unavailable("MiniBot is not loaded".into()))?;
    let pool = pool.ok_or_else(|| Refusal::Unavailable("no database configured ([database] url in minibot.conf)".into()))?;
    Ok((pool.get()?, settings))
}

/// The verbs of a campaign's life: create, start, pause, resume, stop.
pub const VERBS: &[&str] = &["create", "start", "pause", "resume", "stop"];

/// Applies `verb` to campaign `name`; returns what happened, in words.
pub fn campaign_verb(verb: &str, name: &str) -> Result<String, Refusal> {
    let dialing = with_bot(|bot| bot.scenarios.get(name).map(|s| s.dialing.clone()))
        .flatten()
        .ok_or_else(|| Refusal::NotFound(format!("no scenario '{name}' in minibot_scenarios.conf")))?;
    // Checked before a connection is taken: None is "create".
    let change = match verb {
        "create" => None,
        _ => Some(transition(verb).ok_or_else(|| Refusal::BadInput(format!("unknown verb '{verb}' (one of {})", VERBS.join(", "))))?),
    };
    let (mut client, _) = database()?;
    let Some((from, to)) = change else {
        if db::create(&mut client, name, &dialing.company)?.is_none() {
            return Err(Refusal::Conflict(format!("campaign '{name}' already exists")));
        }
        let hint = if dialing.dial.is_empty() { " (its scenario has no 'dial' string: add one before starting it)" } else { "" };
        return Ok(format!("Campaign '{name}' created{hint}"));
    };
    if to == "running" && dialing.dial.is_empty() {
        return Err(Refusal::Conflict(format!("campaign '{name}' has no 'dial' string in minibot_scenarios.conf: nothing to dial with")));
    }
    match db::set_status(&mut client, name, from, to, &dialing.company)? {
        StatusChange::Moved(was) => Ok(format!("Campaign '{name}': {was} -> {to}")),
        StatusChange::NoCampaign => Err(Refusal::NotFound(format!("no campaign '{name}' (minibot campaign create {name})"))),
        StatusChange::NotFrom(current) => {
            Err(Refusal::Conflict(format!("campaign '{name}' is {current}: it cannot become {to} (only from {})", from.join(" or "))))
        }
    }
}

pub fn progress() -> Result<Vec<Progress>, Refusal> {
    let (mut client, _) = database()?;
    Ok(db::progress(&mut client)?)
}

/// The campaign's report and the steps of its scenario that listen, in the order a call meets them.
pub fn report(name: &str) -> Result<(Report, Vec<String>), Refusal> {
    let (mut client, _) = database()?;
    let report = db::report(&mut client, name)?.ok_or_else(|| Refusal::NotFound(format!("no campaign '{name}'")))?;
    let flow = with_bot(|bot| bot.scenarios.get(name).map(|s| s.funnel_steps())).flatten().unwrap_or_default();
    Ok((report, flow))
}

/// How a contact import went, with the lines that were not queued and why.
pub struct Imported {
    pub good: usize,
    pub queued: u64,
    pub already_queued: Vec<u64>,
    pub opted_out: Vec<u64>,
    pub duplicates: Vec<(u64, u64)>,
    pub errors: Vec<(u64, String)>,
    pub elapsed_ms: u128,
}

/// Imports a contact file (CSV with a header row) into campaign `name`.
pub fn import_contacts(name: &str, input: impl std::io::Read, label: &str) -> Result<Imported, Refusal> {
    let started = std::time::Instant::now();
    let (mut client, settings) = database()?;
    let campaign =
        db::get(&mut client, name)?.ok_or_else(|| Refusal::NotFound(format!("no campaign '{name}' (minibot campaign create {name})")))?;
    let parsed = contacts::parse(input, Some(&settings.default_country)).map_err(|e| Refusal::BadInput(format!("{label}: {e}")))?;
    let counts = db::import_contacts(&mut client, campaign.id, &parsed.rows)?;
    Ok(Imported {
        good: parsed.rows.len(),
        queued: counts.queued,
        already_queued: counts.already_queued,
        opted_out: counts.opted_out,
        duplicates: parsed.duplicates,
        errors: parsed.errors,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

impl Imported {
    /// The summary line and up to `shown` lines of each kind of problem.
    pub fn describe(&self, label: &str, name: &str, shown: usize) -> String {
        let mut out = format!(
            "{label}: {} good row(s), {} queued in '{name}', {} already in the campaign, {} on the opt-out list, {} duplicate(s) in the file, {} bad row(s) ({} ms)\n",
            self.good,
            self.queued,
            self.already_queued.len(),
            self.opted_out.len(),
            self.duplicates.len(),
            self.errors.len(),
            self.elapsed_ms
        );
        for (line, reason) in self.errors.iter().take(shown) {
            out += &format!("  line {line}: {reason}\n");
        }
        for (line, first) in self.duplicates.iter().take(shown) {
            out += &format!("  line {line}: duplicate of line {first}\n");
        }
        for line in self.opted_out.iter().take(shown) {
            out += &format!("  line {line}: on the opt-out list, not queued\n");
        }
        for line in self.already_queued.iter().take(shown) {
            out += &format!("  line {line}: already in the campaign\n");
        }
        let listed = [self.errors.len(), self.duplicates.len(), self.opted_out.len(), self.already_queued.len()];
        if listed.iter().any(|n| *n > shown) {
            out += &format!("  (the first {shown} of each kind are listed)\n");
        }
        out
    }
}

/// Writes campaign `name`'s leads (`leads`) or calls as CSV to `out`; returns the rows written.
pub fn export_csv(name: &str, leads: bool, out: impl std::io::Write) -> Result<u64, Refusal> {
    let (mut client, _) = database()?;
    db::get(&mut client, name)?.ok_or_else(|| Refusal::NotFound(format!("no campaign '{name}'")))?;
    let rows = db::export_rows(&mut client, name, leads)?;
    // One column per labelled step of the campaign as this node runs it.
    let labels = crate::host::state::with_bot(|bot| bot.scenarios.get(name).map(|s| s.labels.clone())).flatten().unwrap_or_default();
    let (header, rows) = export::table(rows, &labels);
    Ok(export::write_csv(out, &header, rows)?)
}

fn count_of(counts: &Counts, key: &str) -> i64 {
    counts.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

fn format_counts(title: &str, counts: &Counts) -> String {
    if counts.is_empty() {
        return format!("  {title}: none\n");
    }
    let items: Vec<String> = counts.iter().map(|(k, n)| format!("{} {n}", if k.is_empty() { "-" } else { k })).collect();
    format!("  {title}: {}\n", items.join(", "))
}

/// The campaign report: progress, outcomes, leads, the funnel from the first question to the
/// appointment, answering machines, turn latency.
pub fn format_report(name: &str, r: &Report, flow: &[String]) -> String {
    let mut out = format!("Campaign {name}: {}{}\n", r.status, if r.company.is_empty() { String::new() } else { format!(" (company {})", r.company) });
    let contacts: i64 = r.queue.iter().map(|(_, n)| n).sum();
    out += &format!("  Contacts: {contacts} ({})\n", r.queue.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "));
    out += &format_counts("Waiting for", &r.waiting);
    out += &format!("  Calls: {} ({} answered)\n", r.calls, r.answered);
    out += &format_counts("Outcomes", &r.outcomes);
    out += &format_counts("Lead classes", &r.leads);
    out += &format_counts("Answering machine verdicts", &r.amd);
    out += "  Funnel:\n";
    out += &format!("    {:<24} {:>6}\n", "answered", r.answered);
    for step in flow {
        out += &format!("    {:<24} {:>6}\n", step, count_of(&r.steps, step));
    }
    let leads: i64 = r.leads.iter().filter(|(k, _)| k != crate::qualify::NOT_QUALIFIED).map(|(_, n)| n).sum();
    out += &format!("    {:<24} {:>6}\n", "lead", leads);
    out += &format!("    {:<24} {:>6}\n", "appointment", count_of(&r.outcomes, "appointment"));
    match r.mean_turn_ms {
        Some(ms) => out += &format!("  Mean turn latency (end of speech -> intent): {ms:.0} ms\n"),
        None => out += "  Mean turn latency: no turn yet\n",
    }
    out
}

