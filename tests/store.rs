//! Storage against a real PostgreSQL (the sandbox cluster, `make pg`): migrations, idempotent
//! writes, an outage in the middle of a run with every call present exactly once afterwards, and
//! a corrupt spool line skipped without losing the lines after it.

use postgres::{Client, NoTls};
use res_minibot::store::record::{CallRecord, TurnRecord};
use res_minibot::store::{schema, Store, StoreConfig};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

mod support;

use support::pg::{count, fresh_database, SERVER};

fn record(key: &str, turns: usize) -> CallRecord {
    CallRecord {
        key: key.into(),
        uniqueid: key.rsplit('/').next().unwrap().into(),
        channel: "Local/demo@test-00000001;2".into(),
        campaign: "demo".into(),
        phone: Some("+33612345678".into()),
        answered_at_ms: 1_795_600_000_000,
        ended_at_ms: 1_795_600_040_000,
        status: "SUCCESS".into(),
        outcome: "appointment".into(),
        score: 90,
        lead_class: "hot".into(),
        reasons: vec!["outcome appointment (+30)".into()],
        callback_when: None,
        amd_verdict: None,
        recording: None,
        dial: None,
        turns: (0..turns)
            .map(|i| TurnRecord { step: format!("q{i}"), text: "oui".into(), intent: Some("positive".into()), at_ms: i as i64 * 1000, ..Default::default() })
            .collect(),
    }
}

fn spool_path(tag: &str) -> String {
    let dir = std::env::temp_dir().join(format!("minibot-spool-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("results.spool").to_string_lossy().into_owned()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn migrations_apply_once_even_from_two_nodes_at_once() {
    let url = fresh_database(SERVER);
    let mut client = Client::connect(&url, NoTls).unwrap();
    assert_eq!(schema::pending(&mut client).unwrap(), [1, 2, 3, 4, 5], "minibot check sees what a load would apply");
    assert_eq!(schema::migrate(&mut client).unwrap(), [1, 2, 3, 4, 5]);
    assert!(schema::migrate(&mut client).unwrap().is_empty(), "re-run applies nothing");
    assert!(schema::pending(&mut client).unwrap().is_empty());

    // A database of an earlier release (migration 1 only, with a campaign in the old 'active'
    // state) gets the next ones.
    let url = fresh_database(SERVER);
    let mut client = Client::connect(&url, NoTls).unwrap();
    let (version, name, sql) = schema::MIGRATIONS[0];
    client.batch_execute(sql).unwrap();
    client.batch_execute("CREATE TABLE schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())").unwrap();
    client.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[&version, &name]).unwrap();
    client.execute("INSERT INTO campaigns (name, scenario) VALUES ('old', 'old')", &[]).unwrap();
    assert_eq!(schema::pending(&mut client).unwrap(), [2, 3, 4, 5]);
    assert_eq!(schema::migrate(&mut client).unwrap(), [2, 3, 4, 5]);
    assert_eq!(count(&url, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'conversations' AND column_name = 'question'"), 1);
    assert_eq!(count(&url, "SELECT count(*) FROM campaigns WHERE status = 'running'"), 1, "'active' became 'running'");

    let url = fresh_database(SERVER);
    let nodes: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || schema::migrate(&mut Client::connect(&url, NoTls).unwrap()).unwrap())
        })
        .collect();
    let applied: Vec<i32> = nodes.into_iter().flat_map(|n| n.join().unwrap()).collect();
    assert_eq!(applied, [1, 2, 3, 4, 5], "exactly one node applied each migration");
    assert_eq!(count(&url, "SELECT count(*) FROM schema_migrations"), 5);
    // E.164 is enforced by the schema too.
    let mut client = Client::connect(&url, NoTls).unwrap();
    assert!(client.execute("INSERT INTO contacts (phone) VALUES ('0612345678')", &[]).is_err());
    client.execute("INSERT INTO contacts (phone) VALUES ('+33612345678')", &[]).unwrap();
}

#[test]
fn writes_are_idempotent_and_opt_outs_are_recorded() {
    let url = fresh_database(SERVER);
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool_path("idem"), ..StoreConfig::default() }).unwrap();
    store.submit(record("node1/1.1", 3));
    store.submit(record("node1/1.1", 3));
    let mut dnc = record("node1/1.2", 1);
    dnc.outcome = "do_not_call".into();
    dnc.phone = Some("+33700000001".into());
    store.submit(dnc);
    wait_for("3 writes", Duration::from_secs(10), || store.stats().written.load(Ordering::Relaxed) == 3);
    assert_eq!(count(&url, "SELECT count(*) FROM calls"), 2);
    assert_eq!(count(&url, "SELECT count(*) FROM conversations"), 4);
    assert_eq!(count(&url, "SELECT count(*) FROM do_not_call WHERE phone = '+33700000001'"), 1);
    let transcript: String = Client::connect(&url, NoTls).unwrap().query_one("SELECT transcript FROM calls WHERE call_key = 'node1/1.1'", &[]).unwrap().get(0);
    assert_eq!(transcript, "[q0] oui\n[q1] oui\n[q2] oui");
    assert!(store.report().contains("Database: connected"));

    // Throughput of the writer (the closing note's rows/s).
    let started = Instant::now();
    for i in 0..1000 {
        store.submit(record(&format!("node1/bulk.{i}"), 4));
    }
    wait_for("1000 writes", Duration::from_secs(60), || store.stats().written.load(Ordering::Relaxed) == 1003);
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("writer: 1000 calls (5000 rows) in {seconds:.2} s = {:.0} rows/s", 5000.0 / seconds);
    store.shutdown();
}

/// Its own cluster on another port: the test stops and starts it.
fn outage_cluster(action: &str) {
    support::pg::cluster("pg-outage", 25433, action);
}

/// Its own cluster: postgres.sh gives new clusters a self-signed certificate and ssl = on.
fn tls_cluster() {
    support::pg::cluster("pg-tls", 25435, "start");
}

#[test]
fn an_outage_mid_run_loses_nothing_and_duplicates_nothing() {
    outage_cluster("start");
    let server = "host=127.0.0.1 port=25433 user=minibot";
    let url = fresh_database(server);
    let spool = spool_path("outage");
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool.clone(), retry_ms: 200, ..StoreConfig::default() }).unwrap();
    for i in 0..25 {
        store.submit(record(&format!("node1/{i}"), 2));
    }
    wait_for("first half written", Duration::from_secs(10), || store.stats().written.load(Ordering::Relaxed) == 25);
    outage_cluster("stop");
    for i in 25..50 {
        store.submit(record(&format!("node1/{i}"), 2));
    }
    wait_for("second half spooled", Duration::from_secs(20), || store.stats().spooled.load(Ordering::Relaxed) == 25);
    assert!(!store.connected());
    assert!(store.report().contains("25 record(s)"), "{}", store.report());
    outage_cluster("start");
    let started = Instant::now();
    wait_for("replay", Duration::from_secs(30), || store.stats().replayed.load(Ordering::Relaxed) == 25);
    eprintln!("spool replay: 25 calls in {:.2} s after the restart", started.elapsed().as_secs_f64());
    assert_eq!(count(&url, "SELECT count(*) FROM calls"), 50);
    assert_eq!(count(&url, "SELECT count(DISTINCT call_key) FROM calls"), 50);
    assert_eq!(count(&url, "SELECT count(*) FROM conversations"), 100);
    assert!(!std::path::Path::new(&spool).exists(), "the spool is gone once replayed");
    store.shutdown();
}

#[test]
fn a_corrupt_spool_line_is_skipped_and_the_rest_replayed() {
    let url = fresh_database(SERVER);
    let spool = spool_path("corrupt");
    std::fs::create_dir_all(std::path::Path::new(&spool).parent().unwrap()).unwrap();
    let lines = [record("node1/a", 1).to_json().to_string(), "{\"key\": \"node1/b\", \"turns\": [tru".into(), record("node1/c", 2).to_json().to_string()];
    std::fs::write(&spool, lines.join("\n") + "\n").unwrap();
    // A crash mid-replay left the first record written already: replaying it must not duplicate it.
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool.clone(), retry_ms: 100, ..StoreConfig::default() }).unwrap();
    wait_for("replay", Duration::from_secs(10), || store.stats().replayed.load(Ordering::Relaxed) == 2);
    assert_eq!(store.stats().corrupt.load(Ordering::Relaxed), 1);
    assert_eq!(count(&url, "SELECT count(*) FROM calls"), 2);
    assert_eq!(count(&url, "SELECT count(*) FROM conversations"), 3);
    let rejected = std::fs::read_to_string(format!("{spool}.rejected")).unwrap();
    assert!(rejected.contains("node1/b"));
    store.shutdown();

    std::fs::write(&spool, record("node1/a", 1).to_json().to_string() + "\n").unwrap();
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool, retry_ms: 100, ..StoreConfig::default() }).unwrap();
    wait_for("replay again", Duration::from_secs(10), || store.stats().replayed.load(Ordering::Relaxed) == 1);
    assert_eq!(count(&url, "SELECT count(*) FROM calls"), 2, "a replayed record is not written twice");
    store.shutdown();
}

#[test]
fn tls_is_used_when_the_url_requires_it() {
    tls_cluster();
    let url = format!("{} sslmode=require", fresh_database("host=127.0.0.1 port=25435 user=minibot"));
    // libpq's `require`: encrypted, certificate not checked (tls_verify = no).
    let mut client = res_minibot::store::connect(&url, false).expect("TLS connection");
    let ssl: bool = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0);
    assert!(ssl, "the session must be encrypted");
    // tls_verify = yes refuses a certificate no CA signed.
    let err = res_minibot::store::connect(&url, true).err().expect("self-signed certificate refused");
    assert!(err.contains("certificate") || err.contains("TLS") || err.contains("tls"), "{err}");
}

#[test]
fn without_sslmode_require_a_tls_server_is_reached_in_plain_tcp() {
    tls_cluster();
    let url = fresh_database("host=127.0.0.1 port=25435 user=minibot");
    let mut client = res_minibot::store::connect(&url, true).expect("plain connection to a server that offers TLS");
    let ssl: bool = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0);
    assert!(!ssl);
}

/// A server that accepts connections and never answers (a hung or black-holed database).
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("host=127.0.0.1 port={} user=minibot dbname=minibot", listener.local_addr().unwrap().port());
    (listener, url)
}

fn spool_records(spool: &str) -> usize {
    std::fs::read(spool).map(|b| b.iter().filter(|c| **c == b'\n').count()).unwrap_or(0)
}

#[test]
fn a_full_queue_and_a_stopped_store_spool_instead_of_dropping_and_unload_is_bounded() {
    let (_silent, url) = silent_server();
    let spool = spool_path("overflow");
    let config = StoreConfig { url, spool_path: spool.clone(), queue: 1, writers: 1, connect_timeout_ms: 400, timeout_ms: 1000, retry_ms: 100, ..StoreConfig::default() };
    let store = Store::start(config).unwrap();
    // The writer is stuck reaching a database that never answers: the queue (1) fills at once.
    for i in 0..20 {
        store.submit(record(&format!("node1/o{i}"), 1));
    }
    assert!(store.stats().overflowed.load(Ordering::Relaxed) >= 15, "{}", store.report());
    let started = Instant::now();
    store.shutdown();
    let took = started.elapsed();
    // Bounded by connect_timeout_ms + 2 x timeout_ms (2.4 s here, the figure printed); the check
    // is that unload does not hang on a database that never answers, not how fast it is.
    eprintln!("unload took {took:?} on a database that never answers");
    assert!(took < Duration::from_secs(60), "unload hung {took:?} on a database that never answers");
    store.submit(record("node1/after-stop", 1));
    assert_eq!(spool_records(&spool), 21, "every record is in the spool:\n{}", store.report());
    drop(store);

    // The database is back (another URL, same spool): all 21 are replayed, none twice.
    let url = fresh_database(SERVER);
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool.clone(), retry_ms: 100, ..StoreConfig::default() }).unwrap();
    wait_for("replay", Duration::from_secs(15), || store.stats().replayed.load(Ordering::Relaxed) == 21);
    assert_eq!(count(&url, "SELECT count(DISTINCT call_key) FROM calls"), 21);
    store.shutdown();
}

#[test]
fn a_record_the_database_refuses_is_set_aside_and_never_blocks_the_others() {
    let url = fresh_database(SERVER);
    let spool = spool_path("refused");
    std::fs::create_dir_all(std::path::Path::new(&spool).parent().unwrap()).unwrap();
    // An opt-out whose number breaks do_not_call's E.164 check (23514): refused for good.
    let mut bad = record("node1/bad", 1);
    bad.outcome = "do_not_call".into();
    bad.phone = Some("12".into());
    let mut lines = vec![record("node1/r1", 1).to_json().to_string(), bad.to_json().to_string(), record("node1/r2", 1).to_json().to_string()];
    // And a torn last line, as a crash in the middle of an append leaves it.
    lines.push("{\"key\": \"node1/torn\", \"tur".into());
    std::fs::write(&spool, lines.join("\n")).unwrap();
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool.clone(), retry_ms: 100, ..StoreConfig::default() }).unwrap();
    wait_for("replay", Duration::from_secs(10), || store.stats().replayed.load(Ordering::Relaxed) == 2);
    wait_for("the spool removed", Duration::from_secs(5), || !std::path::Path::new(&spool).exists());
    assert_eq!(store.stats().refused.load(Ordering::Relaxed), 1);
    assert_eq!(store.stats().corrupt.load(Ordering::Relaxed), 1, "the torn line");
    assert_eq!(count(&url, "SELECT count(*) FROM calls"), 2);
    let rejected = std::fs::read_to_string(format!("{spool}.rejected")).unwrap();
    assert!(rejected.contains("23514") && rejected.contains("node1/bad"), "{rejected}");
    assert!(rejected.contains("torn last line") && rejected.contains("node1/torn"), "{rejected}");

    // Submitted directly: set aside too, and the next call is written.
    store.submit(bad.clone());
    store.submit(record("node1/r3", 1));
    wait_for("r3", Duration::from_secs(10), || store.stats().written.load(Ordering::Relaxed) == 1);
    assert_eq!(store.stats().refused.load(Ordering::Relaxed), 2);
    assert!(!std::path::Path::new(&spool).exists(), "a refused record does not clog the spool");

    // A dialed call refused for good still gives its queue row back (failed, with the reason):
    // left leased, the row would be dialed again at every lease expiry.
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute(
            "INSERT INTO campaigns (name, scenario, status) VALUES ('demo', 'demo', 'running');
             INSERT INTO contacts (phone) VALUES ('+33612345678');
             INSERT INTO call_queue (campaign_id, contact_id, status, attempts, lease_owner, lease_expires_at)
             SELECT p.id, c.id, 'leased', 1, 'node1', now() + interval '1 minute' FROM campaigns p, contacts c",
        )
        .unwrap();
    let queue_id: i64 = client.query_one("SELECT id FROM call_queue", &[]).unwrap().get(0);
    let mut dialed = bad.clone();
    dialed.key = "node1/dialed".into();
    dialed.dial = Some(res_minibot::store::record::DialAttempt {
        queue_id,
        contact_id: 1,
        campaign_id: 1,
        attempt: 1,
        node: "node1".into(),
        dialed_at_ms: 1_795_600_000_000,
        next_status: "do_not_call".into(),
        next_attempt_at_ms: None,
    });
    store.submit(dialed);
    // An opt-out's row is closed as one: the person is not dialed again in this campaign.
    wait_for("the row given back", Duration::from_secs(10), || {
        count(&url, "SELECT count(*) FROM call_queue WHERE status = 'do_not_call' AND lease_owner IS NULL AND waiting_for LIKE '%refused%'") == 1
    });
    // The writer gives the row back, then lets go of its lease (in that order): wait, not assert.
    wait_for("a record set aside no longer holds its lease", Duration::from_secs(10), || store.uncommitted_rows().is_empty());

    // A call record refused for another reason (a NUL byte in a turn's text: 22021) still writes
    // its opt-out on its own.
    let mut garbled = record("node1/garbled", 1);
    garbled.outcome = "do_not_call".into();
    garbled.phone = Some("+33699000001".into());
    garbled.turns[0].text = "ne m'appelez plus\0".into();
    store.submit(garbled);
    wait_for("the opt-out kept", Duration::from_secs(10), || count(&url, "SELECT count(*) FROM do_not_call WHERE phone = '+33699000001'") == 1);
    assert_eq!(count(&url, "SELECT count(*) FROM calls WHERE call_key = 'node1/garbled'"), 0, "the record itself is set aside");
    assert_eq!(store.stats().refused.load(Ordering::Relaxed), 4);
    store.shutdown();
}

#[test]
fn a_uri_form_url_connects() {
    let keyword = fresh_database(SERVER);
    let dbname = keyword.rsplit("dbname=").next().unwrap();
    let url = format!("postgres://minibot@127.0.0.1:25432/{dbname}?sslmode=disable");
    let store = Store::start(StoreConfig { url: url.clone(), spool_path: spool_path("uri"), ..StoreConfig::default() }).unwrap();
    store.submit(record("node1/uri", 2));
    wait_for("the write", Duration::from_secs(10), || store.stats().written.load(Ordering::Relaxed) == 1);
    assert_eq!(count(&keyword, "SELECT count(*) FROM calls WHERE call_key = 'node1/uri'"), 1);
    store.shutdown();
}

#[test]
fn an_erasure_knows_the_records_in_the_writers_hands_and_reaches_those_waiting_in_the_spool() {
    let (_silent, url) = silent_server();
    let spool = spool_path("erase");
    // A long connect timeout: the record stays in the writer's hands for seconds, whatever the
    // machine's load.
    let config = StoreConfig { url, spool_path: spool.clone(), writers: 1, connect_timeout_ms: 4000, timeout_ms: 1000, retry_ms: 100, ..StoreConfig::default() };
    let store = Store::start(config).unwrap();
    let mut mine = record("node1/mine", 1);
    mine.phone = Some("+33600000007".into());
    mine.recording = Some("/var/spool/asterisk/monitor/minibot/g/mine.wav".into());
    store.submit(mine);
    store.submit(record("node1/other", 1));
    // The writer cannot reach the database (it tries for connect_timeout_ms first, at its start
    // and again for the record): the record is in its hands, and an erasure must wait.
    assert_eq!(store.queued_for("+33600000007"), 1);
    wait_for("both spooled", Duration::from_secs(30), || spool_records(&spool) == 2);
    assert_eq!(store.queued_for("+33600000007"), 0, "spooled: out of the writers' hands");
    let erased = store.erase_from_spool("+33600000007", &[]).unwrap();
    assert_eq!(erased.lines, 1);
    assert_eq!(erased.recordings, ["/var/spool/asterisk/monitor/minibot/g/mine.wav"]);
    assert_eq!(erased.calls, ["mine"]);
    assert_eq!(spool_records(&spool), 1, "someone else's record stays");
    store.shutdown();
}
