//! The database schema, as numbered migrations embedded in the module. `migrate` applies the
//! missing ones in order, each in its own transaction, under an advisory lock so that several
//! Asterisk nodes starting at once apply each migration exactly once.

/// (version, name, SQL). Never edit a released migration: add the next one.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
    1,
    "campaigns, contacts, opt-outs, call queue, calls, conversations",
    r#"
CREATE TABLE campaigns (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    scenario    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'finished')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Phone numbers are E.164: '+' then 7 to 15 digits.
CREATE TABLE contacts (
    id          BIGSERIAL PRIMARY KEY,
    phone       TEXT NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    first_name  TEXT,
    last_name   TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Never dialed again, whatever the campaign.
CREATE TABLE do_not_call (
    phone       TEXT PRIMARY KEY CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    reason      TEXT NOT NULL,
    source_call TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What a dialer on several Asterisk nodes needs: attempts, the next try, and a lease.
CREATE TABLE call_queue (
    id               BIGSERIAL PRIMARY KEY,
    campaign_id      BIGINT NOT NULL REFERENCES campaigns (id),
    contact_id       BIGINT NOT NULL REFERENCES contacts (id),
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'leased', 'done', 'failed', 'do_not_call')),
    attempts         INT NOT NULL DEFAULT 0,
    max_attempts     INT NOT NULL DEFAULT 3,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_outcome     TEXT,
    UNIQUE (campaign_id, contact_id)
);
CREATE INDEX call_queue_due ON call_queue (status, next_attempt_at);
CREATE INDEX call_queue_campaign ON call_queue (campaign_id);

-- One row per call attempt. call_key (node + channel uniqueid) makes writes idempotent.
CREATE TABLE calls (
    id            BIGSERIAL PRIMARY KEY,
    call_key      TEXT NOT NULL UNIQUE,
    uniqueid      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    campaign      TEXT NOT NULL,
    campaign_id   BIGINT REFERENCES campaigns (id),
    contact_id    BIGINT REFERENCES contacts (id),
    phone         TEXT,
    dialed_at     TIMESTAMPTZ,
    answered_at   TIMESTAMPTZ,
    ended_at      TIMESTAMPTZ NOT NULL,
    amd_verdict   TEXT,
    status        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    score         INT,
    lead_class    TEXT,
    reasons       TEXT[] NOT NULL DEFAULT '{}',
    callback_when TEXT,
    transcript    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX calls_campaign ON calls (campaign_id);
CREATE INDEX calls_campaign_name ON calls (campaign);
CREATE INDEX calls_phone ON calls (phone);
CREATE INDEX calls_outcome ON calls (outcome);

-- One row per turn.
CREATE TABLE conversations (
    id          BIGSERIAL PRIMARY KEY,
    call_key    TEXT NOT NULL REFERENCES calls (call_key) ON DELETE CASCADE,
    turn        INT NOT NULL,
    step        TEXT NOT NULL,
    speaker     TEXT NOT NULL DEFAULT 'callee',
    text        TEXT NOT NULL DEFAULT '',
    intent      TEXT,
    confidence  REAL,
    entities    TEXT[] NOT NULL DEFAULT '{}',
    sentiment   TEXT,
    tier        TEXT,
    asr_ms      REAL,
    intent_ms   REAL,
    barge_in    BOOLEAN NOT NULL DEFAULT false,
    dtmf        TEXT,
    no_input    BOOLEAN NOT NULL DEFAULT false,
    at_ms       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (call_key, turn)
);
"#,
    ),
    (
        2,
        "the question each turn answered, in the campaign's words",
        "ALTER TABLE conversations ADD COLUMN question TEXT NOT NULL DEFAULT '';",
    ),
    (
        3,
        "campaign states, contact consent and zone, dial attempts linked to their queue row",
        r#"
ALTER TABLE campaigns DROP CONSTRAINT campaigns_status_check;
UPDATE campaigns SET status = 'running' WHERE status = 'active';
ALTER TABLE campaigns ALTER COLUMN status SET DEFAULT 'created';
ALTER TABLE campaigns ADD CONSTRAINT campaigns_status_check
    CHECK (status IN ('created', 'running', 'paused', 'stopped', 'finished'));
-- Campaigns of one company share the frequency limits on a contact.
ALTER TABLE campaigns ADD COLUMN company TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- The contact's IANA zone, for calling hours.
ALTER TABLE contacts ADD COLUMN timezone TEXT;

-- Consent given to this campaign's company (from the contact file) lifts calling hours and
-- frequency limits, never an opt-out.
ALTER TABLE call_queue ADD COLUMN consent BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE call_queue ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE call_queue ADD COLUMN last_attempt_at TIMESTAMPTZ;
ALTER TABLE call_queue ADD COLUMN last_call_key TEXT;
-- Why a due row waits (outside calling hours, call limit, refusal pause).
ALTER TABLE call_queue ADD COLUMN waiting_for TEXT;
CREATE INDEX call_queue_leases ON call_queue (lease_owner) WHERE status = 'leased';

ALTER TABLE calls ADD COLUMN queue_id BIGINT REFERENCES call_queue (id);
ALTER TABLE calls ADD COLUMN attempt INT;
ALTER TABLE calls ADD COLUMN node TEXT;
CREATE INDEX calls_phone_ended ON calls (phone, ended_at);
CREATE INDEX calls_queue ON calls (queue_id);
"#,
    ),
    (
        4,
        "call recordings",
        r#"
ALTER TABLE calls ADD COLUMN recording_path TEXT;
"#,
    ),
    (
        5,
        "the contact's own fields in a campaign (its contact file's other columns)",
        r#"
-- Per campaign: two companies' files may both name an `agence` or a `crm_id`, each its own.
ALTER TABLE call_queue ADD COLUMN fields JSONB NOT NULL DEFAULT '{}'::jsonb;
"#,
    ),
];

/// Any fixed number: the lock's name among the database's advisory locks.
const MIGRATION_LOCK: i64 = 0x4d69_6e69_426f_7401;

/// Applies the missing migrations; returns the versions applied by this call.
pub fn migrate(client: &mut postgres::Client) -> Result<Vec<i32>, postgres::Error> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = apply(client);
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

/// The migrations this database has not had yet, without applying them (`minibot check`).
pub fn pending(client: &mut postgres::Client) -> Result<Vec<i32>, postgres::Error> {
    let table: Option<String> = client.query_one("SELECT to_regclass('schema_migrations')::text", &[])?.get(0);
    let applied: Vec<i32> = match table {
        Some(_) => client.query("SELECT version FROM schema_migrations", &[])?.iter().map(|row| row.get(0)).collect(),
        None => Vec::new(),
    };
    Ok(MIGRATIONS.iter().map(|(version, _, _)| *version).filter(|v| !applied.contains(v)).collect())
}

fn apply(client: &mut postgres::Client) -> Result<Vec<i32>, postgres::Error> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INT PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        let done: bool = client.query_one("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", &[version])?.get(0);
        if done {
            continue;
        }
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[version, name])?;
        tx.commit()?;
        applied.push(*version);
    }
    Ok(applied)
}
