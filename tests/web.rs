//! Health and metrics through Asterisk's own HTTP server (http.conf), against the sandbox: JSON
//! shape and codes, 503 when the database or the LLM server is down (active probes), metrics
//! parsed by the Prometheus client's own parser and moving when a call happens.

mod support;

use serde_json::Value;
use std::time::Duration;
use support::llm::LlmServer;
use support::pg::{count, fresh_database};
use support::{free_port, Asterisk, Options};

const PG_PORT: u16 = 25437;

fn cluster(action: &str) {
    support::pg::cluster("pg-web", PG_PORT, action);
}

struct Web {
    base: String,
}

/// A response: status, the headers asked for, body.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    www_authenticate: Option<String>,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Web {
    /// (status, body)
    fn get(&self, path: &str) -> (u16, String) {
        let answer = self.request("GET", path, None, None);
        (answer.status, answer.body)
    }

    /// Any request, with an optional bearer token and JSON body.
    fn request(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(20)).build();
        let mut request = agent.request(method, &format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => request.set("Content-Type", "application/json").send_string(&body.to_string()),
            None => request.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        Answer {
            status: response.status(),
            retry_after: response.header("Retry-After").map(str::to_string),
            www_authenticate: response.header("WWW-Authenticate").map(str::to_string),
            content_type: response.content_type().to_string(),
            body: response.into_string().unwrap_or_default(),
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

    // A campaign with a missing prompt: disabled alone, health degraded, named in both.
    let scenarios_path = asterisk.host_path("etc/minibot_scenarios.conf");
    let scenarios = std::fs::read_to_string(&scenarios_path).unwrap();
    asterisk.write_config("minibot_scenarios.conf", &format!("{scenarios}\n[broken]\nstart = hello\n[broken.hello]\nprompt = no-such-sound\nlisten = 0\n"));
    asterisk.cli("module reload res_minibot.so");
    asterisk.wait_log("campaign 'broken' disabled", Duration::from_secs(5));
    let (status, health) = web.json("/health");
    assert_eq!((status, health["status"].as_str()), (200, Some("degraded")), "{health}");
    assert!(health["campaigns"]["disabled"]["broken"].as_str().is_some_and(|r| r.contains("no-such-sound")), "{health}");
    assert!(health["campaigns"]["running"].as_array().is_some_and(|r| r.iter().any(|c| c == "demo")), "{health}");
    let metrics = parse_metrics(&web.get("/metrics").1);
    assert_eq!(value(&metrics, "minibot_campaign_enabled", r#"{"campaign": "broken"}"#), Some(0.0));
    assert_eq!(value(&metrics, "minibot_campaign_enabled", r#"{"campaign": "demo"}"#), Some(1.0));
    asterisk.write_config("minibot_scenarios.conf", &scenarios);
    asterisk.cli("module reload res_minibot.so");

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
    assert_eq!(value(&after, "minibot_call_outcomes_total", r#"{"campaign": "demo", "outcome": "no_answer", "status": "SUCCESS"}"#), Some(1.0), "{after:?}");
    assert_eq!(value(&after, "minibot_leads_total", r#"{"campaign": "demo", "class": "not_qualified"}"#), Some(1.0));
    assert!(value(&after, "minibot_db_written_total", "{}").is_some());
    let families: std::collections::BTreeSet<&str> = after.iter().map(|(f, ..)| f.as_str()).collect();
    for family in ["minibot_calls_active", "minibot_intents", "minibot_llm_requests", "minibot_db_spool_records", "minibot_dialer_calls_in_progress"] {
        assert!(families.contains(family), "{family} missing: {families:?}");
    }

    // A flood of health requests from many clients at once: at most one probe per component per
    // second, through the module's pool: the database's connections stay as they were (within
    // the pool's size), where every request used to open one.
    let connections = |db: &str| count(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()");
    let before = connections(&db);
    let burst = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (db, burst) = (db.clone(), burst.clone());
        std::thread::spawn(move || {
            let mut peak = 0;
            while burst.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(connections(&db));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let clients: Vec<_> = (0..10)
        .map(|_| {
            let base = web.base.clone();
            std::thread::spawn(move || (0..50).map(|_| Web { base: base.clone() }.get("/health").0).collect::<Vec<u16>>())
        })
        .collect();
    let statuses: Vec<u16> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    burst.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    let answered = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    eprintln!("500 health requests: {answered} answered, {limited} over the budget; connections {before} before, peak {peak}");
    assert_eq!(answered + limited, 500, "{statuses:?}");
    assert!(answered >= 100 && limited > 0, "the budget (120 a minute per address) answers some and refuses the rest");
    // +1: the sampler's own connection.
    assert!(peak <= before + 1 + 4, "{peak} connections at the peak, {before} before");

    // The LLM server down: its probe fails, the whole health is 503 (once the last answer, at
    // most a second old, has aged, and the budget spent by the flood has refilled a little).
    llm.stop();
    std::thread::sleep(Duration::from_secs(3));
    let (status, llm_down) = web.json("/health/llm");
    assert_eq!((status, llm_down["status"].as_str()), (503, Some("down")), "{llm_down}");
    let (status, overall) = web.json("/health");
    assert_eq!((status, overall["status"].as_str()), (503, Some("down")), "{overall}");
    // The database down: found by the probe, not by a failed write.
    cluster("stop");
    std::thread::sleep(Duration::from_millis(1100));
    let (status, db_down) = web.json("/health/db");
    assert_eq!((status, db_down["status"].as_str(), db_down["details"]["reachable"].as_bool()), (503, Some("down"), Some(false)), "{db_down}");
    cluster("start");

    // Unloaded, the URIs are gone; loaded again, they answer.
    assert!(asterisk.cli("module unload res_minibot.so").contains("Unloaded"));
    assert_eq!(web.get("/health").0, 404);
    asterisk.cli("module load res_minibot.so");
    assert_eq!(web.json("/health/asterisk").0, 200);
}

const SECRET: &str = "test-secret-for-minibot-web-tests-0123456789";

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A JWT (HS256) for `sub` with `role`, expiring `ttl_s` from now (negative: already expired).
fn token(secret: &str, sub: &str, role: &str, ttl_s: i64) -> String {
    let claims = serde_json::json!({"sub": sub, "role": role, "exp": (now() as i64 + ttl_s) as u64, "iat": now()});
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn http_conf(port: u16) -> (String, String) {
    ("http.conf".into(), format!("[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = {port}\n"))
}

#[test]
fn control_endpoints_need_a_valid_token_of_the_right_role_within_a_budget() {
    cluster("start");
    let db = fresh_database(&format!("host=127.0.0.1 port={PG_PORT} user=minibot"));
    let http_port = free_port();
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nspool = /tmp/minibot-web-api-{}/results.spool\n[dialer]\nenabled = no\n\
         [http]\njwt_secret = {SECRET}\nrate_limit = 40\n",
        std::process::id()
    );
    let asterisk = Asterisk::start(Options { minibot_conf: Some(conf), extra_configs: vec![http_conf(http_port)], ..Options::default() });
    let web = Web { base: format!("http://127.0.0.1:{http_port}/minibot") };
    let (viewer, admin) = (token(SECRET, "vera", "viewer", 600), token(SECRET, "root", "admin", 600));
    // The operator's token made by the module itself, as an administrator would (no other tool).
    let operator = asterisk.cli("minibot token create alice operator 1").trim().to_string();
    assert_eq!(operator.split('.').count(), 3, "a JWT: {operator}");
    assert!(asterisk.cli("minibot token create alice nobody 1").contains("Usage: minibot token create"));

    // Refused: no token, an expired one, a forged one, a role too low.
    let missing = web.request("POST", "/api/campaigns/demo/create", None, None);
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert!(missing.www_authenticate.as_deref().is_some_and(|h| h.starts_with("Bearer")));
    let expired = web.request("POST", "/api/campaigns/demo/create", Some(&token(SECRET, "alice", "operator", -120)), None);
    assert_eq!((expired.status, expired.json()["error"].as_str()), (401, Some("invalid token: expired")));
    let forged = web.request("POST", "/api/campaigns/demo/create", Some(&token("another-secret-another-secret-another-secret", "eve", "admin", 600)), None);
    assert_eq!((forged.status, forged.json()["error"].as_str()), (401, Some("invalid token: bad signature")));
    let low = web.request("POST", "/api/campaigns/demo/create", Some(&viewer), None);
    assert_eq!(low.status, 403, "{}", low.body);
    assert_eq!(count(&db, "SELECT count(*) FROM campaigns"), 0, "nothing done by a refused request");

    // An operator drives the campaign; stopping it takes an admin.
    let created = web.request("POST", "/api/campaigns/demo/create", Some(&operator), None);
    assert_eq!(created.status, 200, "{}", created.body);
    let start = web.request("POST", "/api/campaigns/demo/start", Some(&operator), None);
    assert_eq!(start.status, 409, "no dial string: {}", start.body);
    assert_eq!(web.request("POST", "/api/campaigns/nosuch/create", Some(&operator), None).status, 404);
    // Each kind of refusal has its status (typed, never read from the message's words).
    let again = web.request("POST", "/api/campaigns/demo/create", Some(&operator), None);
    assert_eq!(again.status, 409, "created twice: {}", again.body);
    let no_phone = serde_json::json!({"csv": "name\nZoé\n"});
    let refused = web.request("POST", "/api/campaigns/demo/contacts", Some(&operator), Some(&no_phone));
    assert_eq!(refused.status, 400, "no phone column: {}", refused.body);
    assert_eq!(web.request("POST", "/api/campaigns/demo/stop", Some(&operator), None).status, 403);
    let stopped = web.request("POST", "/api/campaigns/demo/stop", Some(&admin), None);
    assert_eq!((stopped.status, stopped.json()["result"].as_str()), (200, Some("Campaign 'demo': created -> stopped")), "{}", stopped.body);

    // Contacts in the body (bad lines reported by number), reports for viewers, exports for operators.
    let csv = serde_json::json!({"csv": "phone,first_name\n06 12 34 56 78,Zoé\nabc,Paul\n"});
    let imported = web.request("POST", "/api/campaigns/demo/contacts", Some(&operator), Some(&csv));
    assert_eq!(imported.status, 200, "{}", imported.body);
    let imported = imported.json();
    assert_eq!((imported["good"].as_u64(), imported["queued"].as_u64(), imported["errors"][0]["line"].as_u64()), (Some(1), Some(1), Some(3)), "{imported}");
    let big = serde_json::json!({"csv": "x".repeat(50_000)});
    assert_eq!(web.request("POST", "/api/campaigns/demo/contacts", Some(&operator), Some(&big)).status, 413);
    // A file by name, only from the import directory.
    for name in ["/etc/passwd", "../../etc/passwd", "nothing.csv"] {
        let refused = web.request("POST", "/api/campaigns/demo/contacts", Some(&operator), Some(&serde_json::json!({"file": name})));
        assert_eq!(refused.status, 400, "{name}: {}", refused.body);
    }
    std::fs::create_dir_all(asterisk.host_path("spool/minibot/imports")).unwrap();
    std::fs::write(asterisk.host_path("spool/minibot/imports/more.csv"), "phone\n0700000001\n").unwrap();
    let from_file = web.request("POST", "/api/campaigns/demo/contacts", Some(&operator), Some(&serde_json::json!({"file": "more.csv"})));
    assert_eq!((from_file.status, from_file.json()["queued"].as_u64()), (200, Some(1)), "{}", from_file.body);
    let list = web.request("GET", "/api/campaigns", Some(&viewer), None);
    assert_eq!((list.status, list.json()[0]["name"].as_str(), list.json()[0]["contacts"].as_i64()), (200, Some("demo"), Some(2)), "{}", list.body);
    let report = web.request("GET", "/api/campaigns/demo", Some(&viewer), None).json();
    assert_eq!(report["status"], "stopped", "{report}");
    assert_eq!(report["funnel"][0][0], "answered");
    assert_eq!(web.request("GET", "/api/campaigns/demo/export/leads", Some(&viewer), None).status, 403, "exports hold personal data");
    let export = web.request("GET", "/api/campaigns/demo/export/calls", Some(&operator), None);
    assert_eq!(export.status, 200);
    assert!(export.content_type.starts_with("text/csv") && export.body.starts_with("phone,"), "{} {}", export.content_type, export.body);
    assert_eq!(web.request("GET", "/api/nothing", Some(&admin), None).status, 404);
    // Health and metrics stay open (metrics_auth = no).
    assert_eq!(web.get("/metrics").0, 200);

    // Every access is logged with who and the answer; no token or secret ever is.
    // Asterisk's logger writes the file on its own thread: wait for each line, do not race it.
    for line in [
        "HTTP access: 127.0.0.1 Post /minibot/api/campaigns/demo/create -> 200 (alice as operator",
        "/minibot/api/campaigns/demo/stop -> 403 (refused: role operator cannot do this (needs admin)",
        "-> 401 (refused: invalid token: bad signature",
    ] {
        asterisk.wait_log(line, Duration::from_secs(10));
    }
    let log = asterisk.log();
    for secret in [SECRET, operator.as_str(), admin.as_str()] {
        assert!(!log.contains(secret), "a secret or token in the log");
    }

    // The budget per address trips: 3 a minute after a reload (one back every 20 s), with Retry-After.
    let conf = std::fs::read_to_string(asterisk.host_path("etc/minibot.conf")).unwrap().replace("rate_limit = 40", "rate_limit = 3");
    asterisk.write_config("minibot.conf", &conf);
    asterisk.cli("module reload res_minibot.so");
    let statuses: Vec<u16> = (0..4).map(|_| web.request("GET", "/api/live", Some(&viewer), None).status).collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    let answer = web.request("GET", "/api/live", Some(&viewer), None);
    assert_eq!(answer.status, 429);
    assert!(answer.retry_after.as_deref().and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| (1..=20).contains(&s)), "Retry-After {:?}", answer.retry_after);
    asterisk.wait_log("(rate limited", Duration::from_secs(10));
}

#[test]
fn the_live_page_shows_a_running_call_in_headless_chromium() {
    cluster("start");
    let db = fresh_database(&format!("host=127.0.0.1 port={PG_PORT} user=minibot"));
    let http_port = free_port();
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nspool = /tmp/minibot-web-live-{}/results.spool\n[dialer]\nenabled = no\n[http]\njwt_secret = {SECRET}\n",
        std::process::id()
    );
    let scenarios = "[live]\nstart = hello\n[live.hello]\nprompt = hello-world\nlisten = 120\nnext = bye\n[live.bye]\nprompt = vm-goodbye\nlisten = 0\n";
    let dialplan = "[minibot-live]\nexten => bot,1,MiniBot(live)\n same => n,Hangup()\nexten => callee,1,Answer()\n same => n,Wait(180)\n";
    let asterisk = Asterisk::start(Options {
        minibot_conf: Some(conf),
        scenarios: scenarios.into(),
        dialplan: dialplan.into(),
        extra_configs: vec![http_conf(http_port)],
        ..Options::default()
    });
    let web = Web { base: format!("http://127.0.0.1:{http_port}/minibot") };
    let page = web.request("GET", "/", None, None);
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html") && page.body.contains("MiniBot"), "{}", page.content_type);
    assert_eq!(web.request("GET", "/api/live", None, None).status, 401, "the page's data needs a token");

    let created = web.request("POST", "/api/campaigns/live/create", Some(&token(SECRET, "alice", "operator", 600)), None);
    assert_eq!(created.status, 200, "{}", created.body);
    let mut ami = asterisk.ami();
    let response = ami.originate("Local/bot@minibot-live/n", ("minibot-live", "callee"), "", &[]);
    assert_eq!(response.get("Response"), Some("Success"));
    let listening = |e: &support::ami::Message| e.is("MiniBotPrompt") && e.get("State") == Some("finished");
    assert!(ami.wait_event(Duration::from_secs(20), listening).is_some(), "the bot did not reach listening:\n{}", asterisk.log());
    let live = web.request("GET", "/api/live", Some(&token(SECRET, "vera", "viewer", 600)), None).json();
    assert_eq!(live["calls"][0]["campaign"], "live", "{live}");

    // The page as a browser shows it: the call, its campaign and state, rendered by the page's script.
    let page_token = token(SECRET, "vera", "viewer", 600);
    let url = format!("http://127.0.0.1:{http_port}/minibot/#token={page_token}");
    let profile = std::env::temp_dir().join(format!("minibot-chromium-{}", std::process::id()));
    let chromium = |extra: &[&str]| {
        // Bounded: a browser that hangs fails the test instead of holding it.
        let output = std::process::Command::new("timeout")
            .args(["90", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
            .args(["--window-size=1280,900", "--virtual-time-budget=5000"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium (Debian's chromium package: tests/sandbox/host-deps.sh)");
        assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let dom = chromium(&["--dump-dom"]);
    assert!(dom.contains("data-loaded=\"yes\""), "the page did not load its data:\n{dom}");
    let calls = dom.split("id=\"calls\"").nth(1).and_then(|rest| rest.split("</tbody>").next()).unwrap_or_default();
    assert!(calls.contains("<td>live</td>") && calls.contains("<td>hello</td>") && calls.contains("listening"), "the running call is not shown:\n{calls}");
    assert!(!dom.contains(&page_token), "the token left the address bar and the page");
    let campaigns = dom.split("id=\"campaigns\"").nth(1).and_then(|rest| rest.split("</tbody>").next()).unwrap_or_default();
    assert!(campaigns.contains("<td>live</td><td>created</td>"), "the campaign's progress is not shown:\n{campaigns}");
    assert!(dom.contains("answered") && dom.contains("appointment"), "the funnel is not shown:\n{dom}");
    // A screenshot, kept as the test's artifact.
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("live-page.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&[&format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
    eprintln!("live page screenshot: {}", shot.display());
    let _ = std::fs::remove_dir_all(&profile);
}
