"""Benchmark: per-ballot scans with the clients spread over 1 commune and over many, beside the bare floor route.

    .venv/bin/python bench/communes.py --database postgresql+psycopg://… [--communes 50] [--clients 8]
                                       [--workers 4] [--requests 600] [--seconds 30] [--rounds 3]

Issue 18: every audited write once took the installation's one audit head, so all communes' scans queued on
one lock through each commit's WAL flush. Each commune now has its own chain (core/audit.py). One gunicorn
(`bench.scan_floor:floor_app()`: the app plus the bare floor route) serves one seeded database; the rounds
alternate four phases, so load from elsewhere on the machine hits them alike, and each keeps its best round:
- trivial:   GET /api/v1/health;
- floor-N:   the floor route (bench/scan_floor.py: the scan's statements sent bare to the driver, the commune's
             chain included), request i on commune i mod N;
- scans-1:   the real scan route, every request on one hamlet of one commune (one chain: the writers queue);
- scans-N:   the real scan route, request i on commune i mod N (N chains).
Targets (issue 18): scans-N ≥ 90 % of floor-N, scans-N ≥ scans-1, p95 < 100 ms. Run it on PostgreSQL with
`synchronous_commit=on` (the default; the script prints the setting): that is where a shared lock costs a WAL
flush per writer. SQLite (one writer at a time whatever the chains) is run only when no --database is given.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(ROOT)

from bench.scans import arguments, drive, free_port, seed, server_pids, start_gunicorn  # noqa: E402

FLOOR_APP = "bench.scan_floor:floor_app()"


def setting(uri: str, name: str) -> str:
    if not uri.startswith("postgresql"):
        return "(SQLite)"
    import sqlalchemy as sa

    engine = sa.create_engine(uri)
    with engine.connect() as connection:
        value = connection.exec_driver_sql(f"SHOW {name}").scalar()
    engine.dispose()
    return str(value)


def run(uri: str, label: str, args: argparse.Namespace) -> dict:
    n = args.communes
    per_commune = (2 * args.rounds * args.requests) // n + 60  # floor-N and scans-N each draw one in N
    info = seed(uri, args.rounds * args.requests + 50, communes=n, spread_ballots=per_commune)
    spread = info["spread"]
    port = free_port()
    server = start_gunicorn(uri, port, args.workers, FLOOR_APP)
    single = iter(range(len(info["texts"])))
    used = [iter(range(len(c["texts"]))) for c in spread]

    def scan_request(target: dict, i: int, path: str, key: str):
        body = json.dumps({"text": target["texts"][i], "choice": target["candidates"][i % 2]})
        return "POST", path.format(target["poll_id"]), body, {
            "Content-Type": "application/json", "Authorization": f"Bearer {target['team_token']}",
            "Idempotency-Key": key}

    def spread_request(path: str, prefix: str):
        def make(i: int):
            commune = i % n
            ballot = next(used[commune])  # a new genuine ballot of that commune each time, across phases
            return scan_request(spread[commune], ballot, path, f"{prefix}-{commune}-{ballot}")
        return make

    phases = {
        "trivial": lambda _i: ("GET", "/api/v1/health", None, {}),
        f"floor-{n}": spread_request("/bench/floor-scans/{}", "floor"),
        "scans-1": lambda _i: scan_request(info, (b := next(single)), "/api/v1/polls/{}/scans", f"one-{b}"),
        f"scans-{n}": spread_request("/api/v1/polls/{}/scans", "spread"),
    }
    try:
        drive(port, args.clients, 50, 10, phases["trivial"])  # warm the workers up
        drive(port, args.clients, 50, 10, lambda _i: ("GET", "/api/v1/board", None,
                                                       {"Authorization": f"Bearer {info['office_token']}"}))
        pids = server_pids(server)
        results: dict[str, dict] = {}
        for _ in range(args.rounds):
            for name, make in phases.items():
                r = drive(port, args.clients, args.requests, args.seconds, make, pids)
                if name not in results or r["rate"] > results[name]["rate"]:
                    results[name] = r
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"\n{label}: {args.clients} clients, {args.workers} gunicorn workers, {n} communes, best of {args.rounds} "
          f"rounds; synchronous_commit = {setting(uri, 'synchronous_commit')}, fsync = {setting(uri, 'fsync')}")
    for name, r in results.items():
        print(f"  {name:10s} {r['requests']:6d} req  {r['rate']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
              f"p95 {r['p95_ms']:6.1f} ms  server CPU {r['cpu_ms']:.2f} ms/req (app {r['app_cpu_ms']:.2f} + database "
              f"{r['db_cpu_ms']:.2f})  machine busy {r['busy']:.0%}  statuses {r['statuses']}")
    floor, one, many = results[f"floor-{n}"], results["scans-1"], results[f"scans-{n}"]
    share = many["rate"] / (floor["rate"] or 1.0)
    print(f"  scans-{n} / floor-{n}: {share:.1%} (target ≥ 90 %); scans-{n} / scans-1: "
          f"{many['rate'] / (one['rate'] or 1.0):.2f} (target ≥ 1); p95 scans-{n} {many['p95_ms']:.1f} ms "
          f"(target < 100)")
    return results


def main() -> None:
    args = arguments(__doc__, lambda parser: parser.add_argument("--communes", type=int, default=50))
    if not args.database:
        with tempfile.TemporaryDirectory() as directory:
            run("sqlite:///" + os.path.join(directory, "bench.sqlite"), "SQLite", args)
    for uri in args.database:
        run(uri, "PostgreSQL", args)


if __name__ == "__main__":
    main()
