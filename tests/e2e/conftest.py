"""Browser journeys: a demo database built and served by subprocesses, driven with Chromium through HTTP.

Nothing here imports the project: the database is made with `flask db upgrade`, `flask seed` and
`flask rehearsal`, served with `flask run`, and every test talks to it through Debian's Chromium only, so the
journeys keep working while modules move.

The demo is built once per session; each viewport gets its own copy (SQLite: a file copy; PostgreSQL:
CREATE DATABASE … TEMPLATE) and its own server, so both sizes can take the same one-way steps. SQLite files live
in pytest's temporary directory; with TEST_DATABASE_URL the databases `<dbname>_e2e`, `<dbname>_e2e_phone` and
`<dbname>_e2e_desktop` stay on that server for a look after a failure, and the next run drops them.

Every page the journeys open is watched (`Browsing`): console errors, uncaught exceptions, HTTP responses
>= 500 and, on the phone viewport, horizontal overflow of each loaded page all fail the test.
"""
from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from playwright.sync_api import BrowserContext, Error as PlaywrightError, Page, expect
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]  # the checkout these tests belong to (cwd of every subprocess)
PASSWORD = "e2e-mat-khau-2022"  # every demo account (flask seed/rehearsal --password)
CHROMIUM = "/usr/bin/chromium"  # Debian's package: Playwright's own browser download is not used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
PHONE_MAX_WIDTH = 640  # the stylesheet's phone breakpoint: overflow is checked at widths up to this
TIMINGS: dict[str, float] = {}  # seconds, shown in the terminal summary

# One line per rehearsed hamlet, e.g. "  tbc.5240103   Thôn Tây Hòa, Xã Bình Hải: Đang bỏ phiếu (…)"
REHEARSAL_LINE = re.compile(r"^\s+(?P<login>\S+\.\S+)\s+(?P<hamlet>[^,]+), (?P<commune>[^:]+): (?P<step>.+)$")


def require_chromium() -> None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"The e2e tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium "
                    "(Playwright's own browser download is not used). To run the other tests only: make test-fast.",
                    pytrace=False)


# ---------------------------------------------------------------------------------------------------------
# The demo database and its servers (subprocesses only)
# ---------------------------------------------------------------------------------------------------------

DEMO_ELECTION_DAY = "2022-05-22"  # demo/seed.py's current term


def flask_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(FLASK_SQLALCHEMY_DATABASE_URI=database_url, FLASK_ENV_NAME="test",
               FLASK_SECRET_KEY="e2e-secret-key-not-for-production",
               FLASK_TODAY=DEMO_ELECTION_DAY,  # the configured clock: the demo's election Sunday (R-V4)
               PYTHONUNBUFFERED="1")
    return env


def run_flask(database_url: str, *args: str, timeout: float = 600) -> str:
    """`python -m flask --app wsgi <args>` in the project root; its stdout, or the test fails with its output."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    result = subprocess.run(command, cwd=ROOT, env=flask_env(database_url), capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` exited with {result.returncode}\n--- stdout\n{result.stdout}"
                    f"\n--- stderr\n{result.stderr}", pytrace=False)
    return result.stdout


class SqliteDatabases:
    """Demo databases as SQLite files in a temporary directory."""

    def __init__(self, directory: Path):
        self.directory = directory

    def url(self, name: str) -> str:
        return f"sqlite:///{self.directory / name}.sqlite"

    def create(self, name: str) -> str:
        (self.directory / f"{name}.sqlite").unlink(missing_ok=True)
        return self.url(name)

    def copy(self, source: str, name: str) -> str:
        with sqlite3.connect(self.directory / f"{source}.sqlite") as src, \
                sqlite3.connect(self.directory / f"{name}.sqlite") as dst:
            src.backup(dst)
        return self.url(name)


class PostgresDatabases:
    """Demo databases beside TEST_DATABASE_URL's on the same server (`<dbname>_e2e…`), so the suite's TRUNCATEs
    of that database and these journeys never meet."""

    def __init__(self, test_url: str):
        self.parts = urlsplit(test_url)
        self.base = self.parts.path.lstrip("/")
        # psycopg takes the libpq URI: the same URL without SQLAlchemy's "+psycopg" driver suffix.
        self.conninfo = urlunsplit(self.parts._replace(scheme=self.parts.scheme.split("+")[0]))

    def url(self, name: str) -> str:
        return urlunsplit(self.parts._replace(path=f"/{self.base}_{name}"))

    def _execute(self, *statements: sql.Composable) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def create(self, name: str, template: str | None = None) -> str:
        database = sql.Identifier(f"{self.base}_{name}")
        create = sql.SQL("CREATE DATABASE {}").format(database)
        if template:
            create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(f"{self.base}_{template}"))
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database), create)
        return self.url(name)

    def copy(self, source: str, name: str) -> str:
        return self.create(name, template=source)


@dataclass(frozen=True)
class RehearsedHamlet:
    """One hamlet `flask rehearsal` took to a step of election Sunday, with its polling team's login."""

    login: str
    full_name: str  # "Thôn Tây Hòa"
    commune: str  # "Xã Bình Hải"
    step: str  # "Đang bỏ phiếu (đã ghi biên bản hội nghị)"

    @property
    def name(self) -> str:
        """The name without its kind, as the commune's list shows it ("Tây Hòa")."""
        return re.sub(r"^(Thôn|Tổ dân phố|TDP)\s+", "", self.full_name)


@dataclass
class Demo:
    databases: SqliteDatabases | PostgresDatabases
    source: str
    hamlets: list[RehearsedHamlet]

    def hamlet(self, step: str) -> RehearsedHamlet:
        """The rehearsed hamlet whose step starts with `step` (as `flask rehearsal` prints it)."""
        found = [h for h in self.hamlets if h.step.startswith(step)]
        if len(found) != 1:
            pytest.fail(f"flask rehearsal left {len(found)} hamlets at a step starting with «{step}»: "
                        f"{[(h.full_name, h.step) for h in self.hamlets]}", pytrace=False)
        return found[0]


def parse_rehearsal(output: str) -> list[RehearsedHamlet]:
    return [RehearsedHamlet(m["login"], m["hamlet"].strip(), m["commune"].strip(), m["step"].strip())
            for m in map(REHEARSAL_LINE.match, output.splitlines()) if m]


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """The demo district after `flask seed` and `flask rehearsal`, built once (not served: see `server`)."""
    require_chromium()  # before a build that is useless without it
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    databases = (PostgresDatabases(test_url) if test_url.startswith("postgresql")
                 else SqliteDatabases(tmp_path_factory.mktemp("e2e-db")))
    url = databases.create("e2e")
    for stage, args in (("upgrade", ("db", "upgrade")),
                        ("seed", ("seed", "--quiet", "--password", PASSWORD)),
                        ("rehearsal", ("rehearsal", "--quiet", "--password", PASSWORD))):
        started = time.perf_counter()
        output = run_flask(url, *args)
        TIMINGS[f"flask {stage}"] = time.perf_counter() - started
    hamlets = parse_rehearsal(output)
    if not hamlets:
        pytest.fail(f"No rehearsed hamlet found in the output of flask rehearsal:\n{output}", pytrace=False)
    return Demo(databases, "e2e", hamlets)


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int

    @property
    def checks_overflow(self) -> bool:
        return self.width <= PHONE_MAX_WIDTH


@pytest.fixture(scope="session", params=list(VIEWPORTS), ids=[f"{n}-{w}" for n, (w, _) in VIEWPORTS.items()])
def viewport(request) -> Viewport:
    width, height = VIEWPORTS[request.param]
    return Viewport(request.param, width, height)


@dataclass
class Server:
    url: str
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server's output, without the requests for static files and fonts."""
        kept = [line for line in self.log.read_text(errors="replace").splitlines()
                if not re.search(r"GET /(static|fonts)/", line)]
        return "\n".join(kept[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_copy(demo: Demo, name: str, log_dir: Path, **env: str) -> Iterator[Server]:
    """`flask run` on a free loopback port, on a copy `name` of the demo database made now; `env` adds FLASK_*
    variables (a journey that needs another day on the configured clock, say)."""
    database_url = demo.databases.copy(demo.source, name)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = log_dir / f"flask-run-{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port),
             "--no-reload", "--no-debugger"],
            cwd=ROOT, env={**flask_env(database_url), **env}, stdout=out, stderr=subprocess.STDOUT)
    served = Server(url, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"flask run exited with {process.returncode}:\n{served.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{url}/login", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"flask run did not answer {url}/login within 60 s:\n{served.log_tail()}", pytrace=False)
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server(demo: Demo, viewport: Viewport, tmp_path_factory) -> Iterator[Server]:
    """This viewport's own copy of the demo database, served."""
    started = time.perf_counter()
    with served_copy(demo, f"e2e_{viewport.name}", tmp_path_factory.mktemp("e2e-server")) as served:
        TIMINGS[f"copy database and start server ({viewport.name})"] = time.perf_counter() - started
        yield served


# ---------------------------------------------------------------------------------------------------------
# Chromium and the checks every journey gets
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright launches Debian's Chromium (Playwright's own download cannot work here)."""
    require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# Runs in every page: measures the layout once the page has loaded (and again once the web fonts are in) and
# reports to the test through an exposed binding, so a page left right after loading is still measured.
LAYOUT_SCRIPT = """
(() => {
  const describe = el => {
    let d = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
    if (typeof el.className === 'string' && el.className.trim()) d += '.' + el.className.trim().split(/\\s+/).join('.');
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ');
    return d + (text ? ' «' + text.slice(0, 60) + '»' : '');
  };
  const clipped = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  window.__e2eMeasure = () => {
    const width = window.innerWidth, scrollWidth = document.documentElement.scrollWidth;
    const offenders = [];
    if (scrollWidth > width + 1) {
      const wide = [...document.body.querySelectorAll('*')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > width + 1 && !clipped(el);
      });
      // The innermost elements sticking out say why (a long word, a fixed width), not their containers.
      wide.filter(el => !wide.some(o => o !== el && el.contains(o))).slice(0, 5).forEach(el =>
        offenders.push(describe(el) + ' right edge ' + Math.round(el.getBoundingClientRect().right) + 'px'));
    }
    return {url: location.href, width, scrollWidth, offenders};
  };
  window.addEventListener('load', () => {
    window.__e2eLayout(window.__e2eMeasure());
    if (document.fonts && document.fonts.status !== 'loaded') {
      document.fonts.ready.then(() => window.__e2eLayout(window.__e2eMeasure()));
    }
  });
})();
"""


@dataclass
class Watch:
    """What went wrong in one browser context: console errors, page errors, 5xx responses, overflow."""

    viewport: Viewport
    server: Server
    problems: list[str] = field(default_factory=list)
    reported: int = 0  # problems already raised by check()
    measured: list[str] = field(default_factory=list)  # every page whose layout was measured

    def attach(self, context: BrowserContext) -> None:
        context.expose_binding("__e2eLayout", lambda source, data: self.layout(data))
        context.add_init_script(LAYOUT_SCRIPT)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        page.on("console", lambda message: message.type == "error" and self.problems.append(
            f"console error on {page.url}: {message.text} (at {message.location.get('url', '?')})"))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught JavaScript error on {page.url}: {error}"))
        page.on("response", lambda response: response.status >= 500 and self.problems.append(
            f"HTTP {response.status} for {response.request.method} {response.url}"))

    def layout(self, data: dict) -> None:
        self.measured.append(data["url"])
        if self.viewport.checks_overflow and data["scrollWidth"] > data["width"] + 1:
            self.add(
                f"horizontal overflow at {data['width']} px on {data['url']}: the page is {data['scrollWidth']} px "
                f"wide; sticking out: {json.dumps(data['offenders'], ensure_ascii=False)}")

    def add(self, problem: str) -> None:
        if problem not in self.problems:  # a page measured twice (loaded, then fonts in) is reported once
            self.problems.append(problem)

    def message(self, problems: list[str]) -> str:
        text = f"{len(problems)} problem(s) in the browser ({self.viewport.name}, {self.viewport.width} px):\n- "
        text += "\n- ".join(problems)
        if any(p.startswith("HTTP 5") for p in problems):
            text += f"\n--- end of the server's log ({self.server.log}):\n{self.server.log_tail()}"
        return text

    def raise_new(self) -> None:
        new = self.problems[self.reported:]
        self.reported = len(self.problems)
        if new:
            raise AssertionError(self.message(new))


class Browsing:
    """The journeys' browser: `login(username)` opens a watched page signed in through the real login form;
    `check(page)` measures the page as it is now (after a script changed it) and raises what went wrong."""

    def __init__(self, new_context, viewport: Viewport, server: Server):
        self.new_context = new_context
        self.viewport = viewport
        self.server = server
        self.watches: dict[int, Watch] = {}
        self.pages: list[Page] = []

    def open(self) -> Page:
        context = self.new_context(viewport={"width": self.viewport.width, "height": self.viewport.height},
                                   base_url=self.server.url, locale="vi-VN")
        watch = Watch(self.viewport, self.server)
        watch.attach(context)
        page = context.new_page()
        self.watches[id(page)] = watch
        self.pages.append(page)
        return page

    def login(self, username: str, password: str = PASSWORD) -> Page:
        page = self.open()
        page.goto("/login")
        expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        page.locator("#submit").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        self.check(page)
        return page

    def check(self, page: Page) -> None:
        watch = self.watches[id(page)]
        page.wait_for_load_state("load")
        watch.layout(page.evaluate("window.__e2eMeasure()"))
        watch.raise_new()

    def expected(self, page: Page, pattern: str) -> int:
        """Takes out the problems not yet reported that match `pattern` (a regular expression), as a test that causes
        them on purpose does (e.g. a request it aborts); how many there were. Every other problem still fails."""
        watch = self.watches[id(page)]
        new = watch.problems[watch.reported:]
        kept = [p for p in new if not re.search(pattern, p)]
        watch.problems[watch.reported:] = kept
        return len(new) - len(kept)

    def finish(self) -> None:
        unreported = []
        for page in self.pages:
            watch = self.watches[id(page)]
            if not page.is_closed():
                try:
                    page.evaluate("1")  # lets pending console, response and layout reports arrive
                except PlaywrightError:
                    pass  # a page in the middle of navigating after a failed step: what was reported is kept
            unreported += watch.problems[watch.reported:]
            watch.reported = len(watch.problems)
        if unreported:
            pytest.fail(self.watches[id(self.pages[0])].message(unreported), pytrace=False)


@pytest.fixture
def browse(new_context, viewport: Viewport, server: Server) -> Iterator[Browsing]:
    browsing = Browsing(new_context, viewport, server)
    yield browsing
    browsing.finish()


def pytest_terminal_summary(terminalreporter) -> None:
    """The set-up times of a one-process run (`TEST_JOBS=0`; xdist's workers keep theirs)."""
    if TIMINGS:
        terminalreporter.write_sep("-", "e2e set-up times")
        for stage, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{stage}: {seconds:.1f} s")
