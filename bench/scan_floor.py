"""Benchmark: the floor under bench/scans.py — the same scan statements hand-written for the driver.

    .venv/bin/python bench/scan_floor.py [--database postgresql+psycopg://…] [same options as bench/scans.py]

Runs bench/scans.py's three phases against the real app with one extra route, POST /bench/floor-scans/<poll>,
that sends a scan's 8 statements (token, poll, ballot with the totals, guarded move, insert, the audit chain's
lock, entry and head of the poll's commune) straight to a per-thread driver connection, with none of the app's checks, refusals or
helpers. Nothing here is used by the app: it says how close the real scan path (ballots/scanning.py on
core/dbapi.py) is to what this machine can do at all, and how far the issue's target (scans ≥ 50 % of the trivial
rate) is from it.
The route exists only in the gunicorn started here (`gunicorn 'bench.scan_floor:floor_app()'`).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(ROOT)

from bench.scans import arguments, run  # noqa: E402


def floor_app():
    """The app, plus the bare scan route (built only inside the benchmark's gunicorn)."""
    from flask import jsonify, request

    from app import create_app
    from ballots.models import ballot_secret
    from ballots.qr import decode_payload
    from core.access import public
    from core.vietnamese import utcnow
    from extensions import csrf

    app = create_app()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    postgres = uri.startswith("postgresql")
    local = threading.local()

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:
            if postgres:
                import psycopg

                conn = psycopg.connect(uri.replace("postgresql+psycopg://", "postgresql://"))
            else:
                import sqlite3

                conn = sqlite3.connect(uri.split("///", 1)[1], timeout=10)
                conn.execute("PRAGMA synchronous=NORMAL")
            local.conn = conn
        return conn

    def sql(text: str) -> str:
        return text.replace("?", "%s") if postgres else text

    @app.post("/bench/floor-scans/<int:poll_id>")
    @public
    def floor_scan(poll_id: int):
        conn = connection()
        cur = conn.cursor()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        user = cur.execute(sql('SELECT u.id, u.username, u.role, u.district_id, u.commune_id, u.hamlet_id, u.active, '
                               't.revoked, t.expires_at FROM "user" u JOIN api_token t ON t.user_id = u.id '
                               'WHERE t.token_hash = ?'), (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        data = request.get_json()
        poll = cur.execute(sql("SELECT p.id, p.status, h.commune_id, c.district_id FROM poll p JOIN hamlet h ON "
                               "h.id = p.hamlet_id JOIN commune c ON c.id = h.commune_id WHERE p.id = ?"),
                           (poll_id,)).fetchone()
        payload = decode_payload(data["text"], ballot_secret())
        ballot = cur.execute(sql("SELECT b.id, b.serial, (SELECT count(*) FROM ballot_scan s WHERE s.poll_id = ? "
                                 "AND s.valid = ?), (SELECT count(*) FROM ballot_scan s WHERE s.poll_id = ? AND "
                                 "s.valid = ?) FROM ballot b JOIN ballot_batch bb ON bb.id = b.batch_id WHERE "
                                 "b.serial = ?"), (poll[0], True, poll[0], False, payload.serial)).fetchone()
        cur.execute(sql("UPDATE ballot SET state = 'counted' WHERE id = ? AND state = 'printed' AND NOT EXISTS "
                        "(SELECT 1 FROM count_entry WHERE poll_id = ? AND method = 'per_ballot')"), (ballot[0], poll[0]))
        at = utcnow()
        at_value = at if postgres else at.strftime("%Y-%m-%d %H:%M:%S.%f")
        cur.execute(sql("INSERT INTO ballot_scan (poll_id, ballot_id, serial, idempotency_key, valid, choice, reason, "
                        "by_user_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                    (poll[0], ballot[0], ballot[1], request.headers["Idempotency-Key"], True, data["choice"], "valid",
                     user[0], at_value))
        scan_id = cur.fetchone()[0]
        chain = f"commune:{poll[2]}"  # the commune's own chain, as core.audit (its head exists: the poll was opened)
        seq, prev = cur.execute(sql("UPDATE audit_head SET seq = seq WHERE chain = ? RETURNING seq, hash"),
                                (chain,)).fetchone()
        after = json.dumps({"id": scan_id, "serial": ballot[1], "poll_id": poll[0]}, sort_keys=True)
        digest = hashlib.sha256((prev + after).encode()).hexdigest()
        cur.execute(sql("INSERT INTO audit_entry (chain, seq, at, user_id, actor, action, record_type, record_id, "
                        "district_id, commune_id, summary, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?, ?, ?, ?, ?)"), (chain, seq + 1, at_value, user[0], user[1], "create",
                                                        "BallotScan", str(scan_id), poll[3], poll[2], "floor", "",
                                                        after, prev, digest))
        cur.execute(sql("UPDATE audit_head SET seq = ?, hash = ? WHERE chain = ?"), (seq + 1, digest, chain))
        conn.commit()
        return jsonify({"id": scan_id, "serial": ballot[1], "totals": {"valid": ballot[2] + 1, "invalid": ballot[3]}}), 201

    csrf.exempt(floor_scan)
    return app


def main() -> None:
    args = arguments(__doc__)
    spec, path = "bench.scan_floor:floor_app()", "/bench/floor-scans/{}"  # gunicorn calls the factory
    with tempfile.TemporaryDirectory() as directory:
        run("sqlite:///" + os.path.join(directory, "bench.sqlite"), "SQLite (floor route)", args, spec, path)
    for uri in args.database:
        run(uri, "PostgreSQL (floor route)", args, spec, path)


if __name__ == "__main__":
    main()
