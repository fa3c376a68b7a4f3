//! Health and metrics through Asterisk's own HTTP server (http.conf), against the sandbox: JSON
//! shape and codes, 503 when the database or the LLM server is down (active probes), metrics
//! parsed by the Prometheus client's own parser and moving when a call happens.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::llm::LlmServer;
use support::pg::fresh_database;
use support::{free_port, Asterisk, Options};

const PG_PORT: u16 = 55437;

fn cluster(action: &str) {
    support::pg::cluster("pg-web", PG_PORT, action);
}

struct Web {
    base: String,
}

impl Web {
    /// (status, body)
    fn get(&self, path: &str) -> (u16, String) {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
        match agent.get(&format!("{}{path}", self.base)).call() {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    fn json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path);
        (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}")))
    }
}

/// The metrics as the Prometheus client library parses them: (family, sample name, labels, value).
fn parse_metrics(text: &str) -> Vec<(String, String, String, f64)> {
    let wheel = std::fs::read_dir(support::cache_dir().join("py"))
        .expect("make pytools")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("prometheus_client"))
        .expect("the prometheus_client wheel (make pytools)");
    let script = "import sys, json\nsys.path.insert(0, sys.argv[1])\nfrom prometheus_client.parser import text_string_to_metric_families\n\
                  out = []\nfor f in text_string_to_metric_families(sys.stdin.read()):\n    for s in f.samples:\n        out.append([f.name, s.name, json.dumps(s.labels, sort_keys=True), s.value])\n\
                  print(json.dumps(out))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&wheel)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the Prometheus parser refused the metrics: {}\n{text}", String::from_utf8_lossy(&output.stderr));
    let parsed: Vec<(String, String, String, f64)> = serde_json::from_slice(&output.stdout).unwrap();
    parsed
}

fn value(samples: &[(String, String, String, f64)], name: &str, labels: &str) -> Option<f64> {
    samples.iter().find(|(_, n, l, _)| n == name && l == labels).map(|(_, _, _, v)| *v)
}

#[test]
fn health_and_metrics_answer_on_asterisk_s_http_server() {
    cluster("start");
    let db = fresh_database(&format!("host=127.0.0.1 port={PG_PORT} user=minibot"));
    let mut llm = LlmServer::start();
    let http_port = free_port();
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nretry_ms = 200\nspool = /tmp/minibot-web-{}/results.spool\n\
         [llm]\nurl = {}\napi = openai\nmodel = gemma\n",
        std::process::id(),
        llm.url()
    );
    let asterisk = Asterisk::start(Options {
        minibot_conf: Some(conf),
        extra_configs: vec![("http.conf".into(), format!("[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = {http_port}\n"))],
        ..Options::default()
    });
    let web = Web { base: format!("http://127.0.0.1:{http_port}/minibot") };

    let (status, health) = web.json("/health");
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok", "{health}");
    for (component, state) in [("asr", "disabled"), ("llm", "ok"), ("db", "ok"), ("asterisk", "ok")] {
        assert_eq!(health["components"][component]["status"], state, "{component}: {health}");
    }
    let (status, db_health) = web.json("/health/db");
    assert_eq!((status, db_health["status"].as_str(), db_health["details"]["reachable"].as_bool()), (200, Some("ok"), Some(true)), "{db_health}");
    assert!(!db_health.to_string().contains("password"), "no secret in health");
    let (_, llm_health) = web.json("/health/llm");
    assert_eq!(llm_health["details"]["reachable"], true, "{llm_health}");
    assert_eq!(llm_health["details"]["breaker"], "closed");
    let (status, missing) = web.json("/nothing-here");
    assert_eq!(status, 404, "{missing}");
    assert_eq!(web.json("/health/nothing").0, 404);

    // The metrics parse with Prometheus's own parser, and move when a call happens.
    let (status, text) = web.get("/metrics");
    assert_eq!(status, 200);
    let before = parse_metrics(&text);
    let success = r#"{"status": "SUCCESS"}"#;
    let calls_before = value(&before, "minibot_calls_total", success).expect("minibot_calls_total");
    let mut ami = asterisk.ami();
    ami.originate_local("minibot-test", "demo", "callee");
    let ended = |e: &support::ami::Message| e.is("MiniBotCall") && e.get("State") == Some("ended");
    assert!(ami.wait_event(Duration::from_secs(30), ended).is_some(), "the call did not end");
    // The call's counters move once MiniBot() has returned, just after its last event.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let after = loop {
        let now = parse_metrics(&web.get("/metrics").1);
        if value(&now, "minibot_calls_total", success) == Some(calls_before + 1.0) || std::time::Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(value(&after, "minibot_calls_total", success), Some(calls_before + 1.0), "{after:?}");
    assert_eq!(value(&after, "minibot_call_outcomes_total", r#"{"outcome": "no_answer", "status": "SUCCESS"}"#), Some(1.0), "{after:?}");
    assert_eq!(value(&after, "minibot_leads_total", r#"{"class": "not_qualified"}"#), Some(1.0));
    assert!(value(&after, "minibot_db_written_total", "{}").is_some());
    let families: std::collections::BTreeSet<&str> = after.iter().map(|(f, ..)| f.as_str()).collect();
    for family in ["minibot_calls_active", "minibot_intents", "minibot_llm_requests", "minibot_db_spool_records", "minibot_dialer_calls_in_progress"] {
        assert!(families.contains(family), "{family} missing: {families:?}");
    }

    // The LLM server down: its probe fails, the whole health is 503.
    llm.stop();
    let (status, llm_down) = web.json("/health/llm");
    assert_eq!((status, llm_down["status"].as_str()), (503, Some("down")), "{llm_down}");
    let (status, overall) = web.json("/health");
    assert_eq!((status, overall["status"].as_str()), (503, Some("down")), "{overall}");
    // The database down: found by the probe, not by a failed write.
    cluster("stop");
    let (status, db_down) = web.json("/health/db");
    assert_eq!((status, db_down["status"].as_str(), db_down["details"]["reachable"].as_bool()), (503, Some("down"), Some(false)), "{db_down}");
    cluster("start");

    // Unloaded, the URIs are gone; loaded again, they answer.
    assert!(asterisk.cli("module unload res_minibot.so").contains("Unloaded"));
    assert_eq!(web.get("/health").0, 404);
    asterisk.cli("module load res_minibot.so");
    assert_eq!(web.json("/health/asterisk").0, 200);
}
