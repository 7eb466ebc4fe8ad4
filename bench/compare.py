"""Benchmark: bench/scans.py's ballot scans for two or three checkouts in one run, rounds alternating.

    .venv/bin/python bench/compare.py old=/work/scanpath-old base=/work/scanpath-base new=.
        [--database 'postgresql+psycopg://postgres@/dantin_bench_{name}?host=/tmp&port=55441'] [--no-sqlite]
        [--rounds 6] [--requests 1500] [--clients 8] [--workers 4] [--seconds 30] [--json out.json]

Each checkout (label=path of a git worktree, e.g. `git worktree add --detach /work/old 6886d4d`) is seeded by its
own bench/scans.py (`seed`, run in a subprocess on that tree) into a database of its own (SQLite: a temporary file
each; PostgreSQL: the URL with {name} replaced by the label, schema dropped), and served by a gunicorn of its own
out of its own tree (this virtualenv's gunicorn, cwd and PYTHONPATH the checkout). The servers all stay up; then every
round drives each checkout in turn (A, B, C, then B, C, A…: the order rotates) with bench/scans.py's `drive`:
the trivial endpoint, then scans (one new genuine ballot each). A burst of load from elsewhere on the machine
(test suites on the other cores) so hits every checkout alike, and each round gives a paired comparison.

Reported per checkout and database: scans/s best and median over the rounds, the spread between its rounds (the
noise: (max − min) / median), p95 latency (median of the rounds), CPU per scan (app = gunicorn's workers; database =
PostgreSQL's backends of that checkout's database), the trivial endpoint's rate (median) and scans as a share of
it; and per round each checkout's scan rate relative to the first checkout's in the same round (median and range
of those ratios: the comparison with the least noise).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(ROOT)

from bench.scans import SECRET, drive, free_port  # noqa: E402

SEED = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("checkout_scans", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
with open(sys.argv[4], "w") as out:
    json.dump(module.seed(sys.argv[2], int(sys.argv[3])), out)
"""

WARM_UP_SCANS = 100


@dataclass
class Checkout:
    label: str
    path: Path
    uri: str = ""
    info: dict = field(default_factory=dict)
    server: subprocess.Popen | None = None
    port: int = 0
    ballot_numbers: itertools.count = field(default_factory=itertools.count)
    rounds: list[dict] = field(default_factory=list)


def seed(checkout: Checkout, ballots: int) -> None:
    """The checkout's own bench/scans.py seeds its database (its models, its schema)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, "-c", SEED, str(checkout.path / "bench/scans.py"), checkout.uri, str(ballots),
                        out.name], cwd=checkout.path, check=True,
                       env=dict(os.environ, PYTHONPATH=str(checkout.path)))
        checkout.info = json.loads(Path(out.name).read_text())


def start(checkout: Checkout, workers: int) -> None:
    checkout.port = free_port()
    env = dict(os.environ, FLASK_SQLALCHEMY_DATABASE_URI=checkout.uri, FLASK_SECRET_KEY=SECRET, FLASK_ENV_NAME="test",
               PYTHONPATH=str(checkout.path))
    checkout.server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{checkout.port}",
         "--log-level", "warning", "wsgi:app"], cwd=checkout.path, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", checkout.port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start for {checkout.label}")


def stop(checkout: Checkout) -> None:
    if checkout.server is not None and checkout.server.poll() is None:
        checkout.server.send_signal(signal.SIGTERM)
        checkout.server.wait(timeout=30)


def pids(checkout: Checkout) -> tuple[list[int], list[int]]:
    """(the checkout's gunicorn workers, PostgreSQL's backends serving its database), from Linux /proc."""
    database = make_url(checkout.uri).database if checkout.uri.startswith("postgresql") else None
    app_pids: list[int] = []
    db_pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if checkout.server is not None and ppid == checkout.server.pid:
            app_pids.append(int(entry.name))
        elif database and command.startswith("postgres: ") and f" {database} " in command:
            db_pids.append(int(entry.name))
    return app_pids, db_pids


def requests_for(checkout: Checkout):
    info = checkout.info

    def trivial(_i: int):
        return "GET", "/api/v1/health", None, {}

    def scan(_i: int):
        i = next(checkout.ballot_numbers)  # a new genuine ballot each time, across rounds (atomic)
        body = json.dumps({"text": info["texts"][i], "choice": info["candidates"][i % 2]})
        return "POST", f"/api/v1/polls/{info['poll_id']}/scans", body, {
            "Content-Type": "application/json", "Authorization": f"Bearer {info['team_token']}",
            "Idempotency-Key": f"bench-{i}"}

    def board(_i: int):
        return "GET", "/api/v1/board", None, {"Authorization": f"Bearer {info['office_token']}"}

    return trivial, scan, board


def compare(database: str, checkouts: list[Checkout], args: argparse.Namespace) -> dict:
    ballots = WARM_UP_SCANS + args.rounds * args.requests + 50
    try:
        for checkout in checkouts:
            began = time.perf_counter()
            seed(checkout, ballots)
            start(checkout, args.workers)
            trivial, scan, board = requests_for(checkout)
            drive(checkout.port, args.clients, 100, 10, trivial)  # warm the workers up
            drive(checkout.port, args.clients, 50, 10, board)  # open each worker's database connection
            drive(checkout.port, args.clients, WARM_UP_SCANS, 10, scan)  # and compile the scan's statements
            print(f"{database} {checkout.label}: seeded {ballots} ballots and started in "
                  f"{time.perf_counter() - began:.0f} s", flush=True)
        for n in range(args.rounds):
            order = checkouts[n % len(checkouts):] + checkouts[:n % len(checkouts)]
            for checkout in order:
                trivial, scan, _board = requests_for(checkout)
                watched = pids(checkout)
                t = drive(checkout.port, args.clients, args.requests, args.seconds, trivial, watched)
                s = drive(checkout.port, args.clients, args.requests, args.seconds, scan, watched)
                bad = {code: k for code, k in s["statuses"].items() if code != 201}
                checkout.rounds.append({"trivial": t, "scans": s})
                print(f"{database} round {n + 1} {checkout.label:8s} scans {s['rate']:7.1f}/s p95 {s['p95_ms']:5.1f} ms "
                      f"CPU {s['cpu_ms']:.2f} ms (app {s['app_cpu_ms']:.2f} + db {s['db_cpu_ms']:.2f})  "
                      f"trivial {t['rate']:7.1f}/s  busy {s['busy']:.0%}{f'  NOT 201: {bad}' if bad else ''}",
                      flush=True)
    finally:
        for checkout in checkouts:
            stop(checkout)
    return summarise(database, checkouts)


def summarise(database: str, checkouts: list[Checkout]) -> dict:
    reference = checkouts[0]
    summary = {}
    print(f"\n{database}: {len(reference.rounds)} alternating rounds of {reference.rounds[0]['scans']['requests']} "
          f"scans per checkout")
    print(f"  {'checkout':10s} {'scans/s best':>12s} {'median':>7s} {'spread':>7s} {'p95 ms':>7s} "
          f"{'CPU ms/scan (app + db) [min–max]':>34s} {'trivial/s':>9s} {'of trivial':>10s}  vs {reference.label} (paired)")
    for checkout in checkouts:
        rates = [r["scans"]["rate"] for r in checkout.rounds]
        median = statistics.median(rates)
        trivial = statistics.median(r["trivial"]["rate"] for r in checkout.rounds)
        ratios = [mine["scans"]["rate"] / ref["scans"]["rate"] for mine, ref in zip(checkout.rounds, reference.rounds)]
        row = {"rounds": len(rates), "best": max(rates), "median": median, "worst": min(rates),
               "spread": (max(rates) - min(rates)) / median,
               "p95_ms": statistics.median(r["scans"]["p95_ms"] for r in checkout.rounds),
               "cpu_ms": statistics.median(r["scans"]["cpu_ms"] for r in checkout.rounds),
               "cpu_min": min(r["scans"]["cpu_ms"] for r in checkout.rounds),
               "cpu_max": max(r["scans"]["cpu_ms"] for r in checkout.rounds),
               "app_cpu_ms": statistics.median(r["scans"]["app_cpu_ms"] for r in checkout.rounds),
               "db_cpu_ms": statistics.median(r["scans"]["db_cpu_ms"] for r in checkout.rounds),
               "trivial_median": trivial, "trivial_best": max(r["trivial"]["rate"] for r in checkout.rounds),
               "of_trivial": median / trivial, "paired_median": statistics.median(ratios),
               "paired_min": min(ratios), "paired_max": max(ratios), "rates": rates,
               "trivial_rates": [r["trivial"]["rate"] for r in checkout.rounds]}
        summary[checkout.label] = row
        print(f"  {checkout.label:10s} {row['best']:12.1f} {median:7.1f} {row['spread']:7.1%} {row['p95_ms']:7.1f} "
              f"{row['cpu_ms']:8.2f} ({row['app_cpu_ms']:.2f} + {row['db_cpu_ms']:.2f}) "
              f"[{row['cpu_min']:.2f}–{row['cpu_max']:.2f}] {trivial:9.1f} "
              f"{row['of_trivial']:10.1%}  {row['paired_median']:.3f} ({row['paired_min']:.3f}–{row['paired_max']:.3f})")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs="+", help="label=path of a checkout (the first is the reference)")
    parser.add_argument("--database", action="append", default=[],
                        help="a PostgreSQL URL with {name} for the checkout's label (repeatable)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite (run by default)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1500, help="per phase and round")
    parser.add_argument("--seconds", type=float, default=30, help="at most, per phase and round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", help="write every round's figures here")
    args = parser.parse_args()

    def checkouts() -> list[Checkout]:
        result = []
        for spec in args.checkouts:
            label, _, path = spec.partition("=")
            if not path or not (Path(path) / "bench/scans.py").exists():
                parser.error(f"{spec}: expected label=path of a checkout with bench/scans.py")
            result.append(Checkout(label, Path(path).resolve()))
        return result

    results = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            run = checkouts()
            for checkout in run:
                checkout.uri = "sqlite:///" + os.path.join(directory, f"{checkout.label}.sqlite")
            results["SQLite"] = compare("SQLite", run, args)
    for template in args.database:
        run = checkouts()
        for checkout in run:
            checkout.uri = template.replace("{name}", checkout.label)
        results["PostgreSQL"] = compare("PostgreSQL", run, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"arguments": vars(args), "results": results}, indent=1))


if __name__ == "__main__":
    main()
