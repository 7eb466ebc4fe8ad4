"""Benchmark: the read side at province scale (issue 18, part 4), on a database holding `flask seed --scale province`.

    .venv/bin/python bench/province_reads.py --database postgresql+psycopg://… [--repeat 5] [--seed] [--no-browser]

What it measures, each as the user who sees the most of it (the admin sees every district):
- the live board: its JSON (/board.json) and its page (/board), server time in this process (Flask's test client,
  no network), median and max of --repeat runs; then through gunicorn (one sync worker on a loopback port) in
  Debian's Chromium (as tests/e2e does): the page's first-contentful-paint and the JSON fetched by the page's own
  script (round trip on loopback). Targets: first paint < 300 ms, JSON < 150 ms.
- the targets dashboard (/chapters/dashboard) of every district (the slowest), target < 1 s (bench/dashboard.py);
- the voter roll of the largest hamlet of the province as PDF and XLSX (its roll is imported first when it has none,
  from the household register through the import's checks, as `flask rehearsal` imports one);
- every XLSX export, the widest first, with the serving process's peak RSS: each export runs in a fresh child
  process (VmHWM of /proc/self/status, reset through /proc/self/clear_refs after a warm-up request, so the figure
  is the peak while the export is built and sent). Target for the widest: < 200 MB.

--seed drops the schema and builds it (`flask seed --scale province`, then `flask rehearsal`); without it the
database must already hold the province. The demo's clock (FLASK_TODAY) is its election Sunday, 22/05/2022.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

ROOT = Path(__file__).resolve().parent.parent
ELECTION_DAY = "2022-05-22"
PASSWORD = "dantin-demo-2022"  # flask seed's default
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGETS_MS = {"board.json": 150, "first paint": 300, "dashboard": 1000}
RSS_TARGET_MB = 200


def _config(uri: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench", "ENV_NAME": "test",
            "TODAY": ELECTION_DAY}


def _app(uri: str):
    os.environ["FLASK_TODAY"] = ELECTION_DAY  # core/vietnamese.py reads the demo's clock from the environment
    from app import create_app

    return create_app(_config(uri))


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up: templates compiled, connections opened
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), max(runs)


# ----------------------------------------------------------------------------------------------------------
# The data
# ----------------------------------------------------------------------------------------------------------

def seed(uri: str) -> None:
    from demo.seed import seed_demo
    from extensions import db

    app = _app(uri)
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        seed_demo(scale="province", password=PASSWORD, progress=False)
        result = app.test_cli_runner().invoke(args=["rehearsal", "--quiet", "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        print(f"seeded and rehearsed the province in {time.perf_counter() - start:.1f} s")
        db.session.remove()
        db.engine.dispose()


def prepare(uri: str) -> dict:
    """The figures of the data, the largest hamlet (its roll imported when it has none) and the users."""
    import sqlalchemy as sa

    from core.accounts import Role, User
    from core.models import Commune, District, Hamlet, Household, term_for
    from demo.rehearsal import _import_roll
    from demo.seed import refresh_statistics
    from election.models import VoterRoll
    from election.service import roll_for
    from extensions import db

    app = _app(uri)
    with app.app_context(), app.test_request_context():
        hamlets = db.session.scalar(sa.select(sa.func.count(Hamlet.id)))
        if hamlets < 1000:
            sys.exit(f"{hamlets} hamlets: not a province (run with --seed, or `flask seed --scale province`)")
        largest_id, households = db.session.execute(
            sa.select(Household.hamlet_id, sa.func.count(Household.id)).group_by(Household.hamlet_id)
            .order_by(sa.func.count(Household.id).desc(), Household.hamlet_id).limit(1)).one()
        largest = db.session.get(Hamlet, largest_id)
        term = term_for(largest)
        if roll_for(term, largest) is None:
            committee = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).limit(1))
            start = time.perf_counter()
            _import_roll(term, SimpleNamespace(hamlet=largest, committee=committee))  # type: ignore[arg-type]
            db.session.commit()
            refresh_statistics()
            print(f"imported the roll of {largest.full_name} in {time.perf_counter() - start:.1f} s")
        figures = {
            "districts": db.session.scalar(sa.select(sa.func.count(District.id))),
            "communes": db.session.scalar(sa.select(sa.func.count(Commune.id))),
            "hamlets": hamlets,
            "households": db.session.scalar(sa.select(sa.func.count(Household.id))),
            "largest": {"id": largest.id, "name": f"{largest.full_name}, {largest.commune.full_name}",
                        "households": households,
                        "roll": db.session.scalar(sa.select(VoterRoll.entry_count).where(
                            VoterRoll.hamlet_id == largest.id, VoterRoll.term_id == term.id))},
            "district_ids": db.session.scalars(sa.select(District.id).order_by(District.id)).all(),
        }
        db.session.remove()
        db.engine.dispose()
    return figures


# ----------------------------------------------------------------------------------------------------------
# Server time in this process
# ----------------------------------------------------------------------------------------------------------

def _client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"login failed for {username}"
    return client


def in_process(uri: str, figures: dict, repeat: int) -> list[tuple[str, float, float, str]]:
    app = _app(uri)
    rows: list[tuple[str, float, float, str]] = []
    largest = figures["largest"]["id"]
    with app.app_context():
        for username in ("admin", "tcnv.binhson"):
            client = _client(app, username)
            hamlets = len(client.get("/board.json").get_json()["rows"])

            def get(url: str, client=client):
                def run() -> None:
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
                return run

            for url in ("/board.json", "/board"):
                median, worst = _time(get(url), repeat)
                rows.append((f"{username}: GET {url} ({hamlets} hamlets)", median, worst,
                             f"< {TARGETS_MS['board.json']} ms" if url.endswith(".json") else ""))
        client = _client(app, "admin")
        slowest = (0.0, 0.0, "")
        for district_id in figures["district_ids"]:
            median, worst = _time(lambda d=district_id: client.get(f"/chapters/dashboard?district_id={d}"),
                                  max(1, repeat // 2))
            if median > slowest[0]:
                slowest = (median, worst, str(district_id))
        rows.append((f"admin: GET /chapters/dashboard, slowest of {len(figures['district_ids'])} districts "
                     f"(district id {slowest[2]})", slowest[0], slowest[1], f"< {TARGETS_MS['dashboard']} ms"))
        client = _client(app, "tcnv.binhson")
        median, worst = _time(lambda: client.get("/chapters/dashboard"), repeat)
        rows.append(("tcnv.binhson: GET /chapters/dashboard (Bình Sơn)", median, worst,
                     f"< {TARGETS_MS['dashboard']} ms"))
        client = _client(app, "admin")
        for url in (f"/hamlets/{largest}/roll.pdf", f"/hamlets/{largest}/roll.xlsx"):
            sizes = []

            def fetch(url=url, sizes=sizes) -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                sizes.append(len(response.get_data()))

            median, worst = _time(fetch, repeat)
            rows.append((f"admin: GET {url} (largest hamlet, {figures['largest']['roll']} households, "
                         f"{sizes[-1] / 1024:.0f} KiB)", median, worst, ""))
    return rows


# ----------------------------------------------------------------------------------------------------------
# Peak RSS of an export, in a child process
# ----------------------------------------------------------------------------------------------------------

def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child_rss(uri: str, username: str, url: str) -> None:
    """In the child: sign in, warm up on the board page, reset the peak, GET `url`; print the figures as JSON."""
    app = _app(uri)
    with app.app_context():
        client = _client(app, username)
        assert client.get("/board").status_code == 200
        before = _status_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux ≥ 4.0)
        start = time.perf_counter()
        response = client.get(url)
        size = len(response.get_data())
        elapsed = time.perf_counter() - start
        print(json.dumps({"status": response.status_code, "bytes": size, "seconds": elapsed,
                          "rss_before_mb": before / 1024, "peak_mb": _status_kib("VmHWM") / 1024}))


def rss(uri: str, username: str, url: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--database", uri, "--child-rss", username, url],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def exports(uri: str, figures: dict) -> list[tuple[str, dict]]:
    largest = figures["largest"]["id"]
    first = figures["district_ids"][0]
    return [(f"{username}: GET {url}", rss(uri, username, url)) for username, url in (
        ("admin", "/board.xlsx"), ("admin", "/board.csv"),
        ("admin", f"/chapters/dashboard.xlsx?district_id={first}"),
        ("admin", f"/chapters/review.xlsx?district_id={first}"),
        ("admin", "/training/coverage.xlsx"),
        ("admin", f"/hamlets/{largest}/roll.xlsx"))]


# ----------------------------------------------------------------------------------------------------------
# First paint in Chromium, through gunicorn
# ----------------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(uri: str, repeat: int) -> list[tuple[str, float, float, str]]:
    import urllib.request

    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(FLASK_SQLALCHEMY_DATABASE_URI=uri, FLASK_ENV_NAME="test", FLASK_SECRET_KEY="bench-secret-key-reads",
               FLASK_TODAY=ELECTION_DAY)
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    rows: list[tuple[str, float, float, str]] = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for username in ("admin", "tcnv.binhson"):
                page = chromium.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base + "/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit], input[type=submit]")
                page.wait_for_load_state("load")
                assert "/login" not in page.url, f"login failed for {username}"
                paints, servers, fetches, tables = [], [], [], []
                for i in range(repeat + 1):  # the first load warms the caches (static files, fonts, templates)
                    page.goto(base + "/board", wait_until="load")
                    # The paint entries are recorded once the frame is presented, after the load event at times.
                    page.wait_for_function("performance.getEntriesByType('paint')"
                                           ".some(e => e.name === 'first-contentful-paint')")
                    # The rows come from board.json, fetched by the page's script: when the table is drawn.
                    drawn = page.wait_for_function("""() => {
                        const rows = document.querySelectorAll('#rows tr');
                        return rows.length > 1 ? performance.now() : false; }""", polling=10).json_value()
                    timing = page.evaluate("""() => {
                        const paint = performance.getEntriesByType('paint')
                            .find(e => e.name === 'first-contentful-paint');
                        const nav = performance.getEntriesByType('navigation')[0];
                        return {fcp: paint ? paint.startTime : null, server: nav.responseStart - nav.requestStart,
                                rows: document.querySelectorAll('#rows tr').length};
                    }""")
                    fetched = page.evaluate("""async (url) => {
                        const start = performance.now();
                        const response = await fetch(url, {headers: {Accept: 'application/json'}});
                        const data = await response.json();
                        return {ms: performance.now() - start, rows: data.rows.length};
                    }""", base + "/board.json")
                    if i:
                        paints.append(timing["fcp"])
                        tables.append(drawn)
                        servers.append(timing["server"])
                        fetches.append(fetched["ms"])
                hamlets = fetched["rows"]
                rows.append((f"{username}: /board first-contentful-paint ({hamlets} hamlets)", statistics.median(paints) / 1000, max(paints) / 1000,
                             f"< {TARGETS_MS['first paint']} ms"))
                rows.append((f"{username}: /board, its rows drawn (board.json fetched by the page's script, "
                             "polled every 10 ms)", statistics.median(tables) / 1000, max(tables) / 1000, ""))
                rows.append((f"{username}: /board HTML, request to first byte", statistics.median(servers) / 1000,
                             max(servers) / 1000, ""))
                rows.append((f"{username}: /board.json fetched by the page (loopback)",
                             statistics.median(fetches) / 1000, max(fetches) / 1000,
                             f"< {TARGETS_MS['board.json']} ms"))
                page.close()
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="the database URL (PostgreSQL for the published figures)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", action="store_true", help="drop the schema and seed the province first")
    parser.add_argument("--no-browser", action="store_true", help="skip the first-paint measure (no Chromium)")
    parser.add_argument("--child-rss", nargs=2, metavar=("USER", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_rss:
        child_rss(args.database, *args.child_rss)
        return
    if args.seed:
        seed(args.database)
    figures = prepare(args.database)
    print(f"{figures['districts']} districts, {figures['communes']} communes, {figures['hamlets']} hamlets, "
          f"{figures['households']:,} households; largest hamlet {figures['largest']['name']} "
          f"({figures['largest']['households']} households, its roll {figures['largest']['roll']})")
    timed = in_process(args.database, figures, args.repeat)
    if not args.no_browser:
        timed += browser(args.database, args.repeat)
    for label, median, worst, target in timed:
        print(f"{label:96s} median {median * 1000:8.1f} ms   max {worst * 1000:8.1f} ms  {target}")
    for label, figures_of in exports(args.database, figures):
        verdict = "ok" if figures_of["peak_mb"] < RSS_TARGET_MB else "OVER"
        print(f"{label:60s} {figures_of['status']} {figures_of['bytes'] / 1024:8.0f} KiB "
              f"{figures_of['seconds'] * 1000:8.1f} ms  RSS before {figures_of['rss_before_mb']:6.1f} MB, "
              f"peak {figures_of['peak_mb']:6.1f} MB (< {RSS_TARGET_MB} MB: {verdict})")


if __name__ == "__main__":
    main()
