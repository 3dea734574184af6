#!/usr/bin/env python3
"""A CDC-style producer: change events of a SQLite table, captured by triggers into a
change log table, sent to a Fluvio topic keyed by primary key (one row's changes stay in
order on one partition), at least once.

    python examples/cdc_producer.py [--db app.db] [--simulate 100] [--follow]
                                    [--endpoint 127.0.0.1:9003] [--topic cdc-events]
                                    [--partitions 2]

The database gets a `users` table (if missing), triggers that append every insert, update
and delete to `cdc_log`, and a `cdc_position` row holding the last log id sent. Each poll
sends the new log rows with one `send_all`, flushes, and only then moves the position:
after a crash the unsent (or unacknowledged) events are sent again. --simulate N applies N
random changes to `users` first; --follow keeps polling for new changes.

Events look like Debezium's: {"op": "c"|"u"|"d", "before", "after", "source", "ts_ms"}.
"""

import argparse
import json
import random
import sqlite3
import sys
import time

import flv
from flv import Fluvio, FluvioAdmin, FluvioConfig, TopicSpec

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT NOT NULL,
    visits INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cdc_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL,
    row_id INTEGER NOT NULL, before TEXT, after TEXT,
    ts_ms INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
);
CREATE TABLE IF NOT EXISTS cdc_position (id INTEGER PRIMARY KEY CHECK (id = 1), last_sent INTEGER NOT NULL);
INSERT OR IGNORE INTO cdc_position (id, last_sent) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS users_insert AFTER INSERT ON users BEGIN
    INSERT INTO cdc_log (tbl, op, row_id, after) VALUES ('users', 'c', NEW.id,
        json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email, 'visits', NEW.visits));
END;
CREATE TRIGGER IF NOT EXISTS users_update AFTER UPDATE ON users BEGIN
    INSERT INTO cdc_log (tbl, op, row_id, before, after) VALUES ('users', 'u', NEW.id,
        json_object('id', OLD.id, 'name', OLD.name, 'email', OLD.email, 'visits', OLD.visits),
        json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email, 'visits', NEW.visits));
END;
CREATE TRIGGER IF NOT EXISTS users_delete AFTER DELETE ON users BEGIN
    INSERT INTO cdc_log (tbl, op, row_id, before) VALUES ('users', 'd', OLD.id,
        json_object('id', OLD.id, 'name', OLD.name, 'email', OLD.email, 'visits', OLD.visits));
END;
"""

NAMES = ["ada", "alan", "barbara", "dennis", "edsger", "grace", "ken", "linus", "margaret"]


def simulate(db: sqlite3.Connection, count: int, seed: int) -> None:
    """Applies `count` random inserts, updates and deletes to `users`."""
    rand = random.Random(seed)
    for _ in range(count):
        ids = [r[0] for r in db.execute("SELECT id FROM users")]
        roll = rand.randrange(10)
        if not ids or roll < 5:
            name = rand.choice(NAMES)
            cur = db.execute("INSERT INTO users (name, email, visits) VALUES (?, '', 0)", (name,))
            db.execute("UPDATE users SET email = ? WHERE id = ?", (f"{name}{cur.lastrowid}@example.com", cur.lastrowid))
        elif roll < 9:
            db.execute("UPDATE users SET visits = visits + 1 WHERE id = ?", (rand.choice(ids),))
        else:
            db.execute("DELETE FROM users WHERE id = ?", (rand.choice(ids),))
    db.commit()


def pending(db: sqlite3.Connection, limit: int = 10_000):
    """Change log rows after the last position sent, as (log id, key, event JSON)."""
    (last,) = db.execute("SELECT last_sent FROM cdc_position WHERE id = 1").fetchone()
    rows = db.execute(
        "SELECT id, tbl, op, row_id, before, after, ts_ms FROM cdc_log WHERE id > ? ORDER BY id LIMIT ?",
        (last, limit),
    ).fetchall()
    out = []
    for log_id, tbl, op, row_id, before, after, ts_ms in rows:
        event = {
            "op": op,
            "before": json.loads(before) if before else None,
            "after": json.loads(after) if after else None,
            "source": {"db": "sqlite", "table": tbl, "log_id": log_id},
            "ts_ms": ts_ms,
        }
        out.append((log_id, f"{tbl}:{row_id}", json.dumps(event, separators=(",", ":"))))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="SQLite change events to a Fluvio topic")
    parser.add_argument("--db", default="cdc-demo.db")
    parser.add_argument("--simulate", type=int, default=0, help="apply N random changes first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--follow", action="store_true", help="keep polling for changes")
    parser.add_argument("--interval", type=float, default=0.5, help="poll interval with --follow (s)")
    parser.add_argument("--endpoint")
    parser.add_argument("--topic", default="cdc-events")
    parser.add_argument("--partitions", type=int, default=2)
    args = parser.parse_args()

    db = sqlite3.connect(args.db)
    db.executescript(SCHEMA)
    if args.simulate:
        simulate(db, args.simulate, args.seed)

    config = FluvioConfig.new(args.endpoint) if args.endpoint else FluvioConfig.load()
    admin = FluvioAdmin.connect_with_config(config)
    try:
        admin.create_topic(args.topic, TopicSpec.create().with_partitions(args.partitions))
    except flv.FluvioError as e:
        if e.code != "TOPIC_ALREADY_EXISTS":
            raise
    producer = Fluvio.connect_with_config(config).topic_producer(args.topic)

    sent = 0
    while True:
        batch = pending(db)
        if batch:
            outputs = producer.send_all([(key, event) for _, key, event in batch])
            producer.flush()
            for out in outputs:
                out.wait()  # raises if a record was not stored
            db.execute("UPDATE cdc_position SET last_sent = ? WHERE id = 1", (batch[-1][0],))
            db.commit()
            sent += len(batch)
            continue
        if not args.follow:
            break
        time.sleep(args.interval)
    print(f"cdc: sent {sent} change events to {args.topic}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except flv.FluvioError as e:
        print(f"cdc: {e.code}: {e}", file=sys.stderr)
        sys.exit(1)
