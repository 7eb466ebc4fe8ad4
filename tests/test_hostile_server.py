"""No hostile file can stop or slow a worker: the app is served by gunicorn (2 workers × 4 threads) under a memory
limit, every file of hostile_files is posted to the roll import page and to the roll API, and meanwhile a
background client keeps asking for a cheap page and a signed-in page; every one of its requests is answered, fast,
by the same two workers.

Like tests/e2e, nothing here imports the project: the database is made by `flask db upgrade` and `flask seed` in
subprocesses (a SQLite file in tmp_path, or with TEST_DATABASE_URL the database `<dbname>_hostile` beside it on the
same server, dropped by the next run) and the server is talked to over HTTP only.
"""
from __future__ import annotations

import html
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hostile_files import ROLL_HEADER, hostile_files, ods, ods_row
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]  # the checkout (cwd of every subprocess)
PASSWORD = "hostile-mat-khau-2022"  # every demo account (flask seed --password)
COMMUNE_LOGIN = "bcd.binhhai"  # flask seed's commune committee: may import its hamlets' rolls
MEMORY_LIMIT = 2 * 2**30  # RLIMIT_AS of the master and its workers: the old reader asked calamine for ≈ 512 GiB
WORKERS = 2
UPLOAD_SECONDS = 5.0  # each hostile file is answered within this
BACKGROUND_MAX_SECONDS = 2.0  # no background request waits longer than this
BACKGROUND_PAUSE = 0.05


# ---------------------------------------------------------------------------------------------------------
# The hostile files and what each upload answers
# ---------------------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------------------
# The database and the server (subprocesses only)
# ---------------------------------------------------------------------------------------------------------

def flask_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(FLASK_SQLALCHEMY_DATABASE_URI=database_url, FLASK_ENV_NAME="test",
               FLASK_SECRET_KEY="hostile-secret-key-not-for-production",
               PYTHONUNBUFFERED="1")
    return env


def run_flask(database_url: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                            env=flask_env(database_url), capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` exited with {result.returncode}\n--- stdout\n{result.stdout}"
                    f"\n--- stderr\n{result.stderr}", pytrace=False)
    return result.stdout


def empty_database(tmp_path: Path) -> str:
    """A SQLite file, or with TEST_DATABASE_URL a fresh `<dbname>_hostile` on that server (the suite's own
    database is emptied between tests, so the server gets its own)."""
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if not test_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'hostile.sqlite'}"
    parts = urlsplit(test_url)
    name = f"{parts.path.lstrip('/')}_hostile"
    with psycopg.connect(urlunsplit(parts._replace(scheme=parts.scheme.split("+")[0])), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def limit_memory() -> None:  # in the child, before gunicorn starts: the master and its workers inherit it
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)  # gunicorn's own log (--error-logfile -), line by line

    def read_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))

    def worker_pids(self) -> list[int]:
        return [int(m[1]) for line in list(self.log) if (m := re.search(r"Booting worker with pid: (\d+)", line))]

    def trouble(self) -> list[str]:
        """Log lines that mean a worker died, hung or was replaced."""
        return [line for line in list(self.log)
                if re.search(r"WORKER TIMEOUT|was sent SIG|Worker \(pid:\d+\) exited|Worker exiting|Traceback", line)]

    def alive(self, pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        return state != "Z" and int(ppid) == self.process.pid


@pytest.fixture
def server(tmp_path) -> Iterator[Gunicorn]:
    """`gunicorn wsgi:app` on a free loopback port, on a freshly seeded database, under MEMORY_LIMIT."""
    database_url = empty_database(tmp_path)
    run_flask(database_url, "db", "upgrade")
    run_flask(database_url, "seed", "--quiet", "--password", PASSWORD)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads", "4", "--timeout", "60",
         "--bind", f"127.0.0.1:{port}", "--error-logfile", "-", "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=flask_env(database_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=limit_memory)
    served = Gunicorn(f"http://127.0.0.1:{port}", process)
    reader = threading.Thread(target=served.read_log, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while len(served.worker_pids()) < WORKERS or _status(f"{served.url}/api/v1/health") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + "\n".join(served.log), pytrace=False)
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


# ---------------------------------------------------------------------------------------------------------
# A small HTTP client: a cookie jar, the CSRF token of the page's form, multipart uploads
# ---------------------------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    body: str
    seconds: float

    @property
    def text(self) -> str:
        return html.unescape(self.body)


class Client:
    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, data: bytes | None = None, content_type: str | None = None,
                timeout: float = 30) -> Answer:
        request = urllib.request.Request(self.base + path, data=data)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.read().decode(), time.perf_counter() - started)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(errors="replace"), time.perf_counter() - started)

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> Answer:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in (files or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(path, body, f"multipart/form-data; boundary={boundary}")

    def csrf(self, path: str) -> str:
        page = self.request(path)
        found = CSRF.search(page.body)
        assert page.status == 200 and found, f"no form on {path} ({page.status})"
        return found[1]

    def login(self, username: str) -> Client:
        answer = self.post("/login", {"csrf_token": self.csrf("/login"), "username": username, "password": PASSWORD})
        assert answer.status == 200 and "Đăng xuất" in answer.text, f"login as {username} failed ({answer.status})"
        return self


def api_token(pages: Client) -> str:
    """A bearer token issued through the page the app offers (shown once)."""
    answer = pages.post("/account/tokens", {"csrf_token": pages.csrf("/account/tokens"), "name": "hostile"})
    found = re.search(r"<code[^>]*>([^<]+)</code>", answer.body)
    assert answer.status == 200 and found, f"no token issued ({answer.status})"
    return found[1]


def importable_hamlet(pages: Client, api: Client) -> int:
    """The first hamlet of the commune whose roll import page offers the form (no lock)."""
    hamlets = json.loads(api.request("/api/v1/hamlets?per_page=100").body)["items"]
    for hamlet in hamlets:
        page = pages.request(f"/hamlets/{hamlet['id']}/roll/import")
        if page.status == 200 and 'name="file"' in page.body:
            return hamlet["id"]
    pytest.fail(f"No hamlet of {COMMUNE_LOGIN} offers its roll import form: {hamlets}", pytrace=False)


# ---------------------------------------------------------------------------------------------------------
# The background client
# ---------------------------------------------------------------------------------------------------------

@dataclass
class Background:
    """Asks for each path in turn every BACKGROUND_PAUSE until stopped; records every answer or failure."""

    client: Client
    paths: tuple[str, ...]
    answers: list[tuple[str, int | str, float]] = field(default_factory=list)  # path, status or error, seconds
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for path in self.paths:
                started = time.perf_counter()
                try:
                    outcome: int | str = self.client.request(path, timeout=30).status
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                    outcome = f"{type(error).__name__}: {error}"
                self.answers.append((path, outcome, time.perf_counter() - started))
            time.sleep(BACKGROUND_PAUSE)

    def summary(self) -> str:
        seconds = [s for _, _, s in self.answers] or [0.0, 0.0]
        return (f"{len(seconds)} background requests, latency p50 {statistics.median(seconds) * 1000:.0f} ms, "
                f"p95 {statistics.quantiles(seconds, n=20)[-1] * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")


def test_no_hostile_file_stops_or_slows_a_worker(server: Gunicorn):
    pages = Client(server.url).login(COMMUNE_LOGIN)
    api = Client(server.url, token=api_token(pages))
    hamlet_id = importable_hamlet(pages, api)
    workers = server.worker_pids()
    files = hostile_files()
    background = Background(Client(server.url).login(COMMUNE_LOGIN),
                            ("/api/v1/health", f"/hamlets/{hamlet_id}/roll"))
    thread = threading.Thread(target=background.run, daemon=True)
    problems, timings = [], []
    thread.start()
    try:
        time.sleep(0.5)  # a few answers before the first upload: the baseline
        page = f"/hamlets/{hamlet_id}/roll/import"
        csrf = pages.csrf(page)
        uploads = {"page": lambda upload: pages.post(page, {"csrf_token": csrf}, {"file": upload}),
                   "API": lambda upload: api.post(f"/api/v1/hamlets/{hamlet_id}/roll", {"dry_run": "1"},
                                                  {"file": upload})}
        for what, filename, data, refusal in files:
            for where, send in uploads.items():
                started = time.perf_counter()
                try:
                    answer = send((filename, data))
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                    problems.append(f"{what} ({where}): no answer after {time.perf_counter() - started:.1f} s: "
                                    f"{type(error).__name__}: {error}")
                    continue
                timings.append(f"{what} ({where}) {answer.seconds:.2f} s")
                expected = 200 if where == "page" else 422
                message = (answer.text if where == "page" else
                           json.loads(answer.body).get("errors", {}).get("file", "") if answer.status == 422 else "")
                if answer.status != expected or refusal not in message:
                    problems.append(f"{what} ({where}): {answer.status}, «{refusal}» not in {answer.text[:300]!r}")
                if answer.seconds > UPLOAD_SECONDS:
                    problems.append(f"{what} ({where}): answered after {answer.seconds:.1f} s")
        # The control: a plain ODS roll is still read in its bounded child (the limits do not refuse everything).
        plain = ods(ods_row(*ROLL_HEADER) + ods_row("1", "Nguyễn Văn An", "001085012345", "01/02/1985"))
        answer = uploads["API"](("ds.ods", plain))
        read = json.loads(answer.body) if answer.status in (200, 422) else {}
        if read.get("rows") != 1 or "file" in read.get("errors", {}):
            problems.append(f"a plain ODS roll was not read: {answer.status} {answer.text[:300]!r}")
        time.sleep(0.5)  # and a few after the last
    finally:
        background.stop.set()
        thread.join(timeout=35)

    failed = [(path, outcome) for path, outcome, _ in background.answers if outcome != 200]
    slow = [(path, round(seconds, 2)) for path, _, seconds in background.answers if seconds > BACKGROUND_MAX_SECONDS]
    summary = background.summary()
    print(f"\n{summary}\nuploads: " + ", ".join(timings))
    if len(background.answers) < 20:  # the half seconds before and after alone give ~30: no pass by not looking
        problems.append(f"only {len(background.answers)} background requests were made")
    if failed:
        problems.append(f"{len(failed)} background requests failed: {failed[:10]}")
    if slow:
        problems.append(f"{len(slow)} background requests took over {BACKGROUND_MAX_SECONDS} s: {slow[:10]}")
    if server.worker_pids() != workers or not all(server.alive(pid) for pid in workers):
        problems.append(f"the workers changed: {workers} at the start, {server.worker_pids()} booted, "
                        f"alive: {[pid for pid in workers if server.alive(pid)]}")
    if server.trouble():
        problems.append("gunicorn's log: " + " | ".join(server.trouble()))
    log = [line for line in server.log if not re.match(r"\s+(\d+: |at )", line)]  # without Rust's backtraces
    assert not problems, "\n".join([*problems, summary, "--- gunicorn's log", *log[-30:]])
