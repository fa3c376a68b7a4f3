//! The monitoring shipped in docs/monitoring, judged by Prometheus's own promtool (Debian's
//! prometheus package, `make pytools`): the alert rules load, each alert fires on the series a
//! broken node shows (alerts.test.yml) and stays quiet otherwise, the scrape configuration is
//! valid, and every query of the Grafana dashboard parses. That the metrics they name are the
//! module's own is checked against a live scrape in tests/web.rs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const MONITORING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/monitoring");

fn promtool() -> PathBuf {
    let tool = support::cache_dir().join("prometheus/root/usr/bin/promtool");
    assert!(tool.exists(), "no promtool at {} (make pytools)", tool.display());
    tool
}

/// promtool's output; panics with it when it fails.
fn run(args: &[&str], dir: &Path) -> String {
    let output = Command::new(promtool()).args(args).current_dir(dir).output().expect("promtool runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn the_alert_rules_load_and_fire_on_a_broken_node() {
    let dir = Path::new(MONITORING);
    let checked = run(&["check", "rules", "alerts.yml"], dir);
    assert!(checked.contains("SUCCESS"), "{checked}");
    let tested = run(&["test", "rules", "alerts.test.yml"], dir);
    assert!(tested.contains("SUCCESS"), "{tested}");
    // The sample scrape configuration (its token and CA files are the operator's: syntax only).
    let config = run(&["check", "config", "--syntax-only", "prometheus.yml"], dir);
    assert!(config.contains("SUCCESS"), "{config}");
}

/// Every `expr` of the dashboard, its Grafana variables given values.
fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(format!("{MONITORING}/grafana-dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(expr) = map.get("expr").and_then(|e| e.as_str()) {
                    out.push(expr.to_string());
                }
                map.values().for_each(|v| walk(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut queries = Vec::new();
    walk(&dashboard, &mut queries);
    queries
        .into_iter()
        .map(|q| q.replace("$__rate_interval", "5m").replace("$__range", "1d").replace("$instance", "pbx1:8089").replace("$campaign", "demo"))
        .collect()
}

#[test]
fn every_query_of_the_dashboard_parses() {
    let queries = dashboard_queries();
    assert!(queries.len() >= 20, "{} queries", queries.len());
    // promtool parses queries in rule files: each one a recording rule.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, query) in queries.iter().enumerate() {
        rules += &format!("      - record: dashboard:query_{i}\n        expr: {}\n", serde_json::to_string(query).unwrap());
    }
    let dir = std::env::temp_dir().join(format!("minibot-dashboard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("dashboard.yml"), rules).unwrap();
    let checked = run(&["check", "rules", "dashboard.yml"], &dir);
    assert!(checked.contains(&format!("{} rules found", queries.len())), "{checked}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The metric names the module writes out: the `"minibot_..."` strings of the two files that
/// build the exposition (its families, and the module's own counters).
fn exported() -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for file in ["src/obs/prom.rs", "src/host/web/metrics.rs"] {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        for (at, _) in text.match_indices("\"minibot_") {
            names.insert(text[at + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
        }
    }
    names
}

#[test]
fn the_alerts_and_dashboard_read_only_metrics_the_module_exports() {
    let exported = exported();
    assert!(exported.contains("minibot_call_outcomes_total"), "{exported:?}");
    for file in ["alerts.yml", "alerts.test.yml", "grafana-dashboard.json"] {
        let text = std::fs::read_to_string(format!("{MONITORING}/{file}")).unwrap();
        for (at, _) in text.match_indices("minibot_") {
            let name: String = text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // Words of the prose that start the same way (minibot_scenarios.conf) are not metrics.
            if text[at + name.len()..].starts_with(".conf") || text[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let base = ["_bucket", "_sum", "_count"].iter().fold(name.as_str(), |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
            assert!(exported.contains(base), "docs/monitoring/{file} reads {name}, which the module does not export: {exported:?}");
        }
    }
}
