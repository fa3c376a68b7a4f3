//! The sandbox PostgreSQL (`make pg`, tests/sandbox/postgres.sh): a fresh database per test.

use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const SERVER: &str = "host=127.0.0.1 port=25432 user=minibot";
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A fresh database on `server`; returns its connection string.
pub fn fresh_database(server: &str) -> String {
    let name = format!("minibot_test_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
    let mut admin = Client::connect(&format!("{server} dbname=postgres"), NoTls).expect("sandbox PostgreSQL (make pg)");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    format!("{server} dbname={name}")
}

/// A count; 0 while the table does not exist yet (the module migrates on its own threads).
pub fn count(url: &str, sql: &str) -> i64 {
    Client::connect(url, NoTls).unwrap().query_one(sql, &[]).map(|row| row.get(0)).unwrap_or(0)
}

/// Starts or stops a cluster of its own (`name` under the cache dir, `port`) through
/// tests/sandbox/postgres.sh, for tests that take their database down or need TLS without
/// disturbing the shared one. Safe to call from several tests at once (the script locks).
pub fn cluster(name: &str, port: u16, action: &str) {
    let dir = super::cache_dir().join(name);
    let status = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sandbox/postgres.sh"))
        .arg(action)
        .env("MINIBOT_PG_DIR", &dir)
        .env("MINIBOT_PG_PORT", port.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "postgres.sh {action} ({}, port {port})", dir.display());
}
