//! Calls through a real Asterisk into a real PostgreSQL that goes down in the middle of a
//! 50-call run and comes back: every call and turn is present exactly once afterwards.

mod support;

use std::time::{Duration, Instant};
use support::ami::Message;
use support::pg::{count, fresh_database};
use support::{Asterisk, Options};

fn cluster(action: &str) {
    support::pg::cluster("pg-calls", 25434, action);
}

#[test]
fn postgres_outage_in_the_middle_of_50_calls_loses_and_duplicates_nothing() {
    cluster("start");
    let db = fresh_database("host=127.0.0.1 port=25434 user=minibot");
    let conf = format!("[general]\ntest_hooks = yes\n[database]\nurl = {db}\nretry_ms = 200\nnode = n1\nspool = /tmp/minibot-calls-db-{}/results.spool\n", std::process::id());
    let asterisk = Asterisk::start(Options { minibot_conf: Some(conf), ..Options::default() });
    let mut ami = asterisk.ami();
    let ended = |e: &Message| e.is("MiniBotCall") && e.get("State") == Some("ended");
    let mut done = 0;
    let mut placed = 0;
    let started = Instant::now();
    while done < 50 {
        // Ten calls at a time.
        while placed < 50 && placed - done < 10 {
            ami.originate_local("minibot-test", "demo", "callee");
            placed += 1;
        }
        if ami.wait_event(Duration::from_secs(30), ended).is_some() {
            done += 1;
            if done == 20 {
                cluster("stop");
            }
            if done == 35 {
                assert!(asterisk.cli("minibot show db").contains("NOT connected"), "{}", asterisk.cli("minibot show db"));
                cluster("start");
            }
        } else {
            panic!("a call did not end; {done} ended:\n{}", asterisk.log());
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&db, "SELECT count(*) FROM calls") < 50 {
        assert!(Instant::now() < deadline, "only {} calls stored:\n{}", count(&db, "SELECT count(*) FROM calls"), asterisk.cli("minibot show db"));
        std::thread::sleep(Duration::from_millis(200));
    }
    let report = asterisk.cli("minibot show db");
    eprintln!("50 calls in {:.1} s\n{report}", started.elapsed().as_secs_f64());
    assert_eq!(count(&db, "SELECT count(*) FROM calls"), 50);
    assert_eq!(count(&db, "SELECT count(DISTINCT call_key) FROM calls"), 50);
    // The quick scenario has one turn per call: the silence after the greeting.
    assert_eq!(count(&db, "SELECT count(*) FROM conversations"), 50);
    assert_eq!(count(&db, "SELECT count(*) FROM conversations WHERE no_input"), 50);
    assert!(report.contains("Spooled:") && !report.contains("Spooled:       0"), "the outage must have spooled calls: {report}");
    assert!(report.contains("Spool:         0 record(s)"), "{report}");
}
