/// One step of the schema's history, in each dialect. Shipped migrations are never edited: a
/// change is a new one, written for both. PostgreSQL stores began at version 9: its first eight
/// steps are folded into that one (`postgresql` nil: recorded, nothing to run).
struct Migration: Sendable {
    let version: Int
    let name: String
    let sql: String
    var postgresql: String? = nil

    func sql(for dialect: SQLDialect) -> String? {
        dialect == .sqlite ? sql : postgresql
    }
}

extension Migration {
    /// The schema, in order. Append only.
    static let all: [Migration] = [
        Migration(
            version: 1, name: "runs, metrics, batches, checkpoints",
            sql: """
                CREATE TABLE projects (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL
                );
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    project_id INTEGER NOT NULL REFERENCES projects(id),
                    name TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
                    config TEXT,               -- JSON object, NaN/Infinity written as Python does
                    tags TEXT NOT NULL DEFAULT '[]',
                    started_at REAL NOT NULL,
                    ended_at REAL,
                    UNIQUE (project_id, name)
                );
                CREATE TABLE metric_keys (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                -- Which keys a run has logged, in the order it first logged them.
                CREATE TABLE run_metric_keys (
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    key_id INTEGER NOT NULL REFERENCES metric_keys(id),
                    first_step INTEGER NOT NULL,
                    PRIMARY KEY (run_id, key_id)
                );
                -- value NULL means NaN (SQLite cannot hold NaN); +/-Infinity are stored as such.
                -- Clustered by run and step, so one step's metrics share a page: a synchronous log
                -- commits one or two pages, not one per metric. `attempt` counts replays of steps
                -- after a rollback; within an attempt, logging a key twice at a step keeps the last.
                CREATE TABLE metric_points (
                    run_id INTEGER NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 0,
                    step INTEGER NOT NULL,
                    key_id INTEGER NOT NULL,
                    value REAL,
                    time REAL NOT NULL,
                    PRIMARY KEY (run_id, attempt, step, key_id)
                ) WITHOUT ROWID;
                -- One validation batch at one step: its metrics (JSON object) and the samples it held.
                CREATE TABLE batches (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    step INTEGER NOT NULL,
                    batch INTEGER NOT NULL,
                    phase TEXT NOT NULL,
                    metrics TEXT NOT NULL,
                    samples TEXT NOT NULL DEFAULT '[]',
                    time REAL NOT NULL
                );
                CREATE INDEX batches_by_step ON batches (run_id, step, batch);
                CREATE TABLE checkpoints (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    step INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    metrics TEXT NOT NULL,
                    time REAL NOT NULL
                );
                CREATE INDEX checkpoints_by_run ON checkpoints (run_id, step);
                -- Filled by the monitor: what it saw and what it advised.
                CREATE TABLE anomalies (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    step INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    metric TEXT,
                    severity TEXT NOT NULL,
                    detail TEXT NOT NULL,      -- JSON object with the whole anomaly
                    time REAL NOT NULL
                );
                CREATE INDEX anomalies_by_run ON anomalies (run_id, step);
                CREATE TABLE actions (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    step INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    time REAL NOT NULL
                );
                CREATE INDEX actions_by_run ON actions (run_id, step);
                """),
        Migration(
            version: 2, name: "rollback attempts, alert deliveries",
            sql: """
                -- A rollback makes the trainer replay steps: they are stored under the next attempt.
                ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
                -- Set when a rollback is advised: steps back to here are then accepted once.
                ALTER TABLE runs ADD COLUMN rewind_to_step INTEGER;
                -- Webhook deliveries that failed or were dropped (successes are only logged).
                CREATE TABLE alert_deliveries (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    target TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('failed', 'dropped')),
                    attempts INTEGER NOT NULL,
                    error TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    time REAL NOT NULL
                );
                """),
        Migration(
            version: 3, name: "image audits",
            sql: """
                -- What reading an image found (header, OpenCV measures), keyed by path and checked
                -- against size and mtime: a re-audit reads only what changed.
                CREATE TABLE image_inspections (
                    path TEXT PRIMARY KEY,
                    size INTEGER NOT NULL,
                    mtime REAL NOT NULL,
                    content_hash INTEGER NOT NULL,
                    inspection TEXT NOT NULL,
                    inspected_at REAL NOT NULL
                );
                CREATE TABLE audits (
                    id INTEGER PRIMARY KEY,
                    roots TEXT NOT NULL,
                    dataset TEXT,
                    thresholds TEXT NOT NULL,
                    images INTEGER NOT NULL DEFAULT 0,
                    reused INTEGER NOT NULL DEFAULT 0,
                    started_at REAL NOT NULL,
                    finished_at REAL
                );
                CREATE TABLE audit_findings (
                    audit_id INTEGER NOT NULL REFERENCES audits(id),
                    path TEXT NOT NULL,
                    issue TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    score REAL,
                    threshold REAL,
                    detail TEXT NOT NULL,
                    image_group TEXT
                );
                CREATE INDEX audit_findings_by_audit ON audit_findings (audit_id, issue);
                CREATE INDEX audit_findings_by_path ON audit_findings (path);
                """),
        Migration(
            version: 4, name: "image thumbnails",
            sql: """
                -- The 24x24 thumbnail of an inspection (stretched to 0-255) and the grey levels it
                -- spanned: near-duplicate candidates read theirs back, so an audit need not hold every
                -- image's thumbnail in memory.
                ALTER TABLE image_inspections ADD COLUMN thumbnail BLOB;
                ALTER TABLE image_inspections ADD COLUMN thumbnail_range REAL;
                """),
        Migration(
            version: 5, name: "audited images",
            sql: """
                -- The images an audit covered and what its dataset-wide checks need of each (hashes,
                -- sizes, character counts): the checks read them back in order, so an audit of any
                -- size holds one group or one hash bucket in memory. Also tells `analyze` which images
                -- of a batch were audited at all. Unreadable files have no hashes (readable = 0).
                CREATE TABLE audit_images (
                    audit_id INTEGER NOT NULL REFERENCES audits(id),
                    path TEXT NOT NULL,
                    readable INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    content_hash INTEGER NOT NULL,
                    width INTEGER,
                    height INTEGER,
                    difference_hash INTEGER,
                    average_hash INTEGER,
                    text_marks INTEGER
                );
                CREATE INDEX audit_images_by_content ON audit_images (audit_id, content_hash, size, path);
                CREATE INDEX audit_images_by_path ON audit_images (path, audit_id);
                CREATE INDEX audit_findings_by_audit_path ON audit_findings (audit_id, path);
                -- Digest of what the dataset-wide checks read (DatasetFingerprint): an audit with the
                -- digest of an earlier one copies that one's dataset-wide findings.
                ALTER TABLE audits ADD COLUMN fingerprint INTEGER;
                """),
        Migration(
            version: 6, name: "imported runs",
            sql: """
                -- Where an imported run came from: importing the same source again (its format, its
                -- own run id, its path) replaces the run's points instead of adding a second run.
                CREATE TABLE run_imports (
                    run_id INTEGER PRIMARY KEY REFERENCES runs(id),
                    format TEXT NOT NULL,
                    source_path TEXT NOT NULL,
                    source_run_id TEXT NOT NULL,
                    points INTEGER NOT NULL,
                    partial TEXT,              -- what was left out of a source still being written
                    imported_at REAL NOT NULL,
                    UNIQUE (format, source_path, source_run_id)
                );
                """),
        Migration(
            version: 7, name: "batches by attempt",
            sql: """
                -- A validation batch belongs to the attempt it was logged in, as metric points do: after
                -- a rollback the abandoned attempt's batches are not part of the run's history.
                ALTER TABLE batches ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
                """),
        Migration(
            version: 8, name: "run summary",
            sql: """
                -- What a tracker kept as the run's summary (wandb's: final values and values set by
                -- hand, such as a best accuracy), as a JSON object; NULL when the source has none.
                ALTER TABLE runs ADD COLUMN summary TEXT;
                """),
        Migration(
            version: 9, name: "delivered alerts",
            sql: """
                -- Every delivery of an alert is recorded (email and webhooks), not only the failures:
                -- SQLite cannot widen a CHECK, so the table is rebuilt.
                CREATE TABLE alert_deliveries_new (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    target TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('delivered', 'failed', 'dropped')),
                    attempts INTEGER NOT NULL,
                    error TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    time REAL NOT NULL
                );
                INSERT INTO alert_deliveries_new SELECT * FROM alert_deliveries;
                DROP TABLE alert_deliveries;
                ALTER TABLE alert_deliveries_new RENAME TO alert_deliveries;
                """,
            postgresql: PostgreSQLSchema.version9),
        Migration(
            version: 10, name: "copies between stores",
            sql: """
                -- What `runclinic migrate` copied here, from which store (its file's absolute path or
                -- its redacted connection string) and under which id there: copying again replaces
                -- those rows instead of adding a second run. `kind` is 'run' or 'audit'.
                CREATE TABLE store_copies (
                    kind TEXT NOT NULL,
                    source_store TEXT NOT NULL,
                    source_id INTEGER NOT NULL,
                    target_id INTEGER NOT NULL,
                    copied_at REAL NOT NULL,
                    PRIMARY KEY (kind, source_store, source_id)
                );
                """,
            postgresql: """
                CREATE TABLE store_copies (
                    kind text NOT NULL,
                    source_store text NOT NULL,
                    source_id bigint NOT NULL,
                    target_id bigint NOT NULL,
                    copied_at double precision NOT NULL,
                    PRIMARY KEY (kind, source_store, source_id)
                );
                """),
        Migration(
            version: 11, name: "image keypoints",
            sql: """
                -- An inspection's ORB keypoints (see ImageKeypoints): they align a cropped copy with
                -- its original for the near-duplicate check. Beside the thumbnail, out of the JSON.
                ALTER TABLE image_inspections ADD COLUMN keypoints BLOB;
                """,
            postgresql: "ALTER TABLE image_inspections ADD COLUMN keypoints bytea;"),
        Migration(
            version: 12, name: "perceptual hash",
            sql: """
                -- The thumbnail's perceptual hash (see DatasetChecks.perceptualHash): it moves less than
                -- the other two when a copy is cropped, so its bands find cropped copies they miss.
                ALTER TABLE audit_images ADD COLUMN perceptual_hash INTEGER;
                """,
            postgresql: "ALTER TABLE audit_images ADD COLUMN perceptual_hash bigint;"),
    ]
}
