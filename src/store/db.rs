//! One connection to PostgreSQL and the statements that write a call. Every wait is bounded:
//! a probe before connecting (a server that accepts TCP but never answers would otherwise hang the
//! startup forever: the driver's connect_timeout covers only the socket), the socket connect, the
//! TCP user timeout and keepalives (a black-holed network), and statement and lock timeouts on the
//! server (a slow server, the migrations' advisory lock). What is left unbounded: a server process
//! frozen in the middle of a statement while its kernel still acknowledges packets.

use super::record::CallRecord;
use super::{schema, StoreConfig};
use postgres::config::{Host, SslMode};
use postgres::{Client, Config};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Why a record was not written.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteError {
    /// The database cannot take it now (down, unreachable, timed out): spool it, try again later.
    Unavailable(String),
    /// The database refuses this record for good (a constraint or a bad value): set it aside.
    Refused(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Unavailable(e) => write!(f, "database unavailable: {e}"),
            WriteError::Refused(e) => write!(f, "refused by the database: {e}"),
        }
    }
}

/// Reads `url` in either libpq form (`host=... dbname=...` or `postgres://user@host/db?...`) and
/// applies the store's bounds where the URL sets none.
pub fn parse_url(config: &StoreConfig) -> Result<Config, String> {
    let mut pg: Config = config.url.parse().map_err(|e| format!("url '{}' is not a PostgreSQL connection string: {e}", redact(&config.url)))?;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_millis(config.connect_timeout_ms));
    }
    let timeout = Duration::from_millis(config.timeout_ms);
    pg.tcp_user_timeout(timeout);
    pg.keepalives(true).keepalives_idle(Duration::from_secs(10)).keepalives_interval(Duration::from_secs(2)).keepalives_retries(3);
    let bounds = format!("-c statement_timeout={} -c lock_timeout={}", config.timeout_ms, config.timeout_ms);
    let options = match pg.get_options() {
        Some(existing) if !existing.is_empty() => format!("{existing} {bounds}"),
        _ => bounds,
    };
    pg.options(&options);
    Ok(pg)
}

/// The URL without its password, for logs.
pub fn redact(url: &str) -> String {
    let keyword = url
        .split_whitespace()
        .map(|kv| if kv.starts_with("password=") { "password=***" } else { kv })
        .collect::<Vec<_>>()
        .join(" ");
    // URI form: postgres://user:secret@host/db
    match (keyword.find("://"), keyword.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => match keyword[scheme + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &keyword[..scheme + 3 + colon], &keyword[at..]),
            None => keyword,
        },
        _ => keyword,
    }
}

/// Connects with every wait bounded and brings the schema up to date. TLS when the URL says
/// `sslmode=require`; otherwise plain TCP (a local or private-network server), even if the server
/// offers TLS: unlike libpq's `prefer`, a failed certificate check never silently downgrades.
pub fn open(config: &StoreConfig) -> Result<Client, String> {
    let mut client = connect(config)?;
    schema::migrate(&mut client).map_err(|e| format!("migration: {}", error_chain(&e)))?;
    Ok(client)
}

/// Connects with every wait bounded, without touching the schema (a health probe).
pub fn connect(config: &StoreConfig) -> Result<Client, String> {
    let pg = parse_url(config)?;
    probe(&pg, Duration::from_millis(config.connect_timeout_ms))?;
    let client = if pg.get_ssl_mode() == SslMode::Require {
        let tls = native_tls::TlsConnector::builder()
            .danger_accept_invalid_certs(!config.tls_verify)
            .danger_accept_invalid_hostnames(!config.tls_verify)
            .build()
            .map_err(|e| format!("TLS: {e}"))?;
        pg.connect(postgres_native_tls::MakeTlsConnector::new(tls))
    } else {
        pg.connect(postgres::NoTls)
    }
    .map_err(|e| error_chain(&e))?;
    Ok(client)
}

/// Asks the first reachable host to answer at all within `timeout`: a CancelRequest naming no
/// backend, which a live server answers by closing the connection (and logs nothing about).
fn probe(pg: &Config, timeout: Duration) -> Result<(), String> {
    let ports = pg.get_ports();
    let mut last = String::from("no host in the url");
    // hostaddr= alone names the servers by address.
    let by_address: Vec<Host> = pg.get_hostaddrs().iter().map(|a| Host::Tcp(a.to_string())).collect();
    let hosts = if pg.get_hosts().is_empty() { &by_address[..] } else { pg.get_hosts() };
    for (i, host) in hosts.iter().enumerate() {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let answered = match host {
            Host::Tcp(name) => probe_tcp(name, port, timeout),
            Host::Unix(dir) => probe_unix(&dir.join(format!(".s.PGSQL.{port}")), timeout),
        };
        match answered {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

const CANCEL_REQUEST: [u8; 16] = [0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 0, 0, 0, 0, 0];

fn probe_tcp(host: &str, port: u16, timeout: Duration) -> Result<(), String> {
    let addrs = (host, port).to_socket_addrs().map_err(|e| format!("{host}:{port}: {e}"))?;
    let mut last = format!("{host}:{port}: no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_read_timeout(Some(timeout)).and_then(|()| stream.set_write_timeout(Some(timeout))).map_err(|e| e.to_string())?;
                return await_close(stream, &format!("{host}:{port}"), timeout);
            }
            Err(e) => last = format!("{host}:{port}: {e}"),
        }
    }
    Err(last)
}

fn probe_unix(path: &std::path::Path, timeout: Duration) -> Result<(), String> {
    let stream = UnixStream::connect(path).map_err(|e| format!("{}: {e}", path.display()))?;
    stream.set_read_timeout(Some(timeout)).and_then(|()| stream.set_write_timeout(Some(timeout))).map_err(|e| e.to_string())?;
    await_close(stream, &path.display().to_string(), timeout)
}

fn await_close(mut stream: impl Read + Write, name: &str, timeout: Duration) -> Result<(), String> {
    stream.write_all(&CANCEL_REQUEST).map_err(|e| format!("{name}: {e}"))?;
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(_) => Ok(()), // closed (0) or answered: the server is alive
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
            Err(format!("{name}: the server accepted the connection but did not answer within {} ms", timeout.as_millis()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

/// The error with its causes ("error performing TLS handshake: certificate verify failed").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// Data exceptions (22) and integrity violations (23) are the record's fault: writing it again
/// would fail again. Everything else (connection, timeouts, server shutdown) may pass.
fn classify(e: &postgres::Error) -> WriteError {
    let text = error_chain(e);
    match e.code().map(|c| c.code()) {
        Some(code) if code.starts_with("22") || code.starts_with("23") => WriteError::Refused(format!("{code}: {text}")),
        _ => WriteError::Unavailable(text),
    }
}

fn timestamp(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

/// Writes one call and its turns in one transaction; a call already there is left as it is.
pub fn insert(client: &mut Client, r: &CallRecord) -> Result<(), WriteError> {
    insert_call(client, r).map_err(|e| classify(&e))
}

fn insert_call(client: &mut Client, r: &CallRecord) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    let answered = (r.answered_at_ms > 0).then(|| timestamp(r.answered_at_ms));
    let dial = r.dial.as_ref();
    let dialed = dial.map(|d| timestamp(d.dialed_at_ms));
    tx.execute(
        "INSERT INTO calls (call_key, uniqueid, channel, campaign, campaign_id, phone, answered_at, ended_at, status, outcome,
                            score, lead_class, reasons, callback_when, transcript, amd_verdict, contact_id, queue_id, attempt,
                            node, dialed_at, recording_path)
         VALUES ($1, $2, $3, $4, coalesce($15, (SELECT id FROM campaigns WHERE name = $4)), $5, $6, $7, $8, $9, $10, $11, $12, $13,
                 $14, $16, $17, $18, $19, $20, $21, $22)
         ON CONFLICT (call_key) DO NOTHING",
        &[
            &r.key,
            &r.uniqueid,
            &r.channel,
            &r.campaign,
            &r.phone,
            &answered,
            &timestamp(r.ended_at_ms),
            &r.status,
            &r.outcome,
            &r.score,
            &r.lead_class,
            &r.reasons,
            &r.callback_when,
            &r.transcript(),
            &dial.map(|d| d.campaign_id),
            &r.amd_verdict,
            &dial.map(|d| d.contact_id),
            &dial.map(|d| d.queue_id),
            &dial.map(|d| d.attempt),
            &dial.map(|d| d.node.as_str()),
            &dialed,
            &r.recording,
        ],
    )?;
    if let Some(d) = dial {
        // Only while this node still holds the row for this attempt: after a lease expired and
        // another node dialed again, the late result must not move the row back.
        let next = d.next_attempt_at_ms.map(timestamp);
        tx.execute(
            "UPDATE call_queue SET status = $1, next_attempt_at = coalesce($2, next_attempt_at), last_outcome = $3,
                    last_call_key = $4, lease_owner = NULL, lease_expires_at = NULL, waiting_for = NULL
             WHERE id = $5 AND lease_owner = $6 AND attempts = $7",
            &[&d.next_status, &next, &r.outcome, &r.key, &d.queue_id, &d.node, &d.attempt],
        )?;
    }
    for (i, t) in r.turns.iter().enumerate() {
        tx.execute(
            "INSERT INTO conversations (call_key, turn, step, text, intent, confidence, entities, sentiment, tier, asr_ms,
                                        intent_ms, barge_in, dtmf, no_input, at_ms, question)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             ON CONFLICT (call_key, turn) DO NOTHING",
            &[
                &r.key,
                &(i as i32),
                &t.step,
                &t.text,
                &t.intent,
                &t.confidence,
                &t.entities,
                &t.sentiment,
                &t.tier,
                &t.asr_ms,
                &t.intent_ms,
                &t.barge_in,
                &t.dtmf,
                &t.no_input,
                &t.at_ms,
                &t.question,
            ],
        )?;
    }
    if r.outcome == "do_not_call" {
        if let Some(phone) = &r.phone {
            tx.execute(
                "INSERT INTO do_not_call (phone, reason, source_call) VALUES ($1, 'asked during a call', $2) ON CONFLICT (phone) DO NOTHING",
                &[phone, &r.key],
            )?;
        }
    }
    tx.commit()
}

/// The queue row of a call whose record the database refused: closed (as an opt-out when the
/// callee opted out, else failed with the reason), and no longer leased (only while this node
/// still holds it for that attempt).
pub fn close_refused_attempt(client: &mut Client, dial: &super::record::DialAttempt, opted_out: bool) -> Result<(), String> {
    let status = if opted_out { "do_not_call" } else { "failed" };
    client
        .execute(
            "UPDATE call_queue SET status = $4, waiting_for = 'its call record was refused by the database (see the spool''s .rejected file)',
                    lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $1 AND lease_owner = $2 AND attempts = $3",
            &[&dial.queue_id, &dial.node, &dial.attempt, &status],
        )
        .map(|_| ())
        .map_err(|e| error_chain(&e))
}

/// An opt-out on its own, in its own transaction: kept even when the call's record is refused.
pub fn record_opt_out(client: &mut Client, phone: &str, call_key: &str) -> Result<(), String> {
    client
        .execute(
            "INSERT INTO do_not_call (phone, reason, source_call) VALUES ($1, 'asked during a call', $2) ON CONFLICT (phone) DO NOTHING",
            &[&phone, &call_key],
        )
        .map(|_| ())
        .map_err(|e| error_chain(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_url_forms_are_read_and_bounded() {
        let keyword = StoreConfig { url: "host=127.0.0.1 port=5433 user=minibot dbname=minibot".into(), ..StoreConfig::default() };
        let pg = parse_url(&keyword).unwrap();
        assert_eq!(pg.get_ports(), [5433]);
        assert_eq!(pg.get_connect_timeout(), Some(&Duration::from_millis(2000)));
        assert!(pg.get_options().unwrap().contains("statement_timeout=5000"));
        let uri = StoreConfig { url: "postgres://minibot@db.example:6432/calls?sslmode=require&connect_timeout=7".into(), ..StoreConfig::default() };
        let pg = parse_url(&uri).unwrap();
        assert_eq!((pg.get_ports(), pg.get_dbname(), pg.get_ssl_mode()), (&[6432][..], Some("calls"), SslMode::Require));
        assert_eq!(pg.get_connect_timeout(), Some(&Duration::from_secs(7)), "the URL's own timeout stands");
        let bad = StoreConfig { url: "postgres://x:y@h/db?sslmode=sometimes".into(), ..StoreConfig::default() };
        assert!(parse_url(&bad).unwrap_err().contains("not a PostgreSQL connection string"));
    }

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(redact("host=h user=u password=s3cret dbname=d"), "host=h user=u password=*** dbname=d");
        assert_eq!(redact("postgres://u:s3cret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn a_server_that_accepts_but_never_answers_fails_the_probe_in_time() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let config = StoreConfig { url: format!("host=127.0.0.1 port={port} user=x dbname=y"), connect_timeout_ms: 300, ..StoreConfig::default() };
        let started = std::time::Instant::now();
        let err = open(&config).err().unwrap();
        assert!(err.contains("did not answer within 300 ms"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        drop(silent);
    }
}
