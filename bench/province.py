"""A province on one machine, as a test of many: two app hosts against one PostgreSQL database on election Sunday.

    .venv/bin/python bench/province.py --database postgresql+psycopg://… [--scale province|district|tiny]
        [--communes 50] [--requests 4000] [--clients 8] [--seconds 120] [--workers 2] [--hosts 2] [--keep]

1. Seeds the database afresh (its schema dropped and made again; demo.seed.seed_demo, as `flask seed --scale …`),
   then brings every hamlet of `--communes` communes (spread over the districts) to election Sunday, through the
   models' guarded methods: a confirmed candidate list, two polling-team members and their API tokens per hamlet, a
   commune committee per commune and a district office per district (for the board), and one poll per hamlet in one
   of three states, in turn: voting with its voter roll (check-ins), counting with printed ballots (per-ballot
   scans), counting without ballots (the count entered twice, by the two members).
2. Starts `--hosts` gunicorn instances (`gunicorn wsgi:app`) on different loopback ports, each with its own instance
   folder (FLASK_INSTANCE_PATH) and the same database and secret key.
3. Plays election Sunday: N client threads take the day's work in a shuffled order (so every commune is busy at
   once), each request going to the next host in turn: check-ins (POST /api/v1/hamlets/<id>/checkins), per-ballot
   scans (POST /api/v1/polls/<id>/scans with an Idempotency-Key), the two count entries of a poll by its two members
   (POST /api/v1/polls/<id>/count-entries), the board (GET /api/v1/board, district and commune). Some requests are
   sent again to the other host (a phone retrying through another host: a scan with the same key, a check-in of the
   same household); some are sent to both hosts at the same moment: a scan with the same key, a check-in of the same
   household by the team's two phones, the two members' count entries (both accepted, one after the other; a 409
   would be a refusal to send again, never a lost write).
4. Checks: no 5xx nor any unexpected answer; every request's effect in the database exactly once and nothing else
   (per poll: the check-ins, the scans with their choices, the count entries and the result, compared with what the
   clients sent and got back); the totals per poll are those computed from what was sent (what one host would give,
   whatever the order); both hosts answer the board and each result identically; `flask audit verify` exits 0; no
   traceback in the hosts' logs.
Prints the rate and p50/p95 latency per kind of request and exits non-zero on any problem.

tests/test_two_hosts.py runs the same functions on one district (4 communes) on PostgreSQL in CI.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(ROOT)

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from ballots.models import Ballot, BallotBatch, BallotScan, BallotState, ballot_secret  # noqa: E402
from ballots.printing import poll_election_hash  # noqa: E402
from ballots.qr import BallotPayload, encode_payload, new_serial  # noqa: E402
from bench.scans import free_port, spawn_gunicorn, wait_healthy  # noqa: E402
from candidates.models import CandidateList, ProposedBy  # noqa: E402
from core.accounts import ApiToken, Role, User  # noqa: E402
from core.audit import set_actor  # noqa: E402
from core.citizen_id import make_citizen_id  # noqa: E402
from core.enums import Education, PartyMembership, PoliticalTheory, Sex  # noqa: E402
from core.models import Commune, Hamlet, Household, Person, Term  # noqa: E402
from demo.clock import on_day  # noqa: E402
from demo.seed import CURRENT_TERM, refresh_statistics, seed_demo  # noqa: E402
from election.counting import evaluate  # noqa: E402
from election.models import (  # noqa: E402
    CheckIn,
    CountEntry,
    CountResult,
    Figures,
    Poll,
    PollStatus,
    VoterEntry,
    VoterRoll,
    VotingForm,
    household_total,
)
from election.rolls import roll_fingerprint  # noqa: E402
from extensions import db  # noqa: E402

SECRET = "province-bench-secret-key-shared-by-every-host"
ELECTION_DAY: date = CURRENT_TERM.election_day
KINDS = ("scan", "checkin", "entry")  # the polls' states, given to the hamlets in turn
PRESENT_SHARE = 0.85  # households present at a scanned or entered poll's meeting
WINNER_SHARE = 0.72  # of the valid ballots, for the first candidate of an entered count
REPLAY_EVERY = 10  # every 10th scan and check-in is sent again to the other host
RACE_EVERY = 25  # every 25th scan and check-in (not replayed) is sent to both hosts at once
ENTRY_RACE_EVERY = 3  # the two members of every third entered poll send their entries at the same moment
INVALID_EVERY = 12  # every 12th scanned ballot is invalid (extra marks)
BOARD_EVERY = 20  # one board read per 20 other tasks
CITIZEN_PROVINCE = "052"  # the candidates added here: never a citizen ID the seed (051) gives


def make_app(uri: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET, "ENV_NAME": "test"})


@contextlib.contextmanager
def app_context(uri: str) -> Iterator[Any]:
    app = make_app(uri)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# 1. The province, then election Sunday in many communes
# ---------------------------------------------------------------------------------------------------------


def seed(uri: str, scale: str, random_seed: int = 59) -> float:
    """A fresh schema (PostgreSQL: the public schema dropped and made again) and the demo seed at `scale`; seconds."""
    start = time.perf_counter()
    with app_context(uri):
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            db.drop_all()
        db.create_all()
        seed_demo(scale=scale, random_seed=random_seed, progress=False)
    return time.perf_counter() - start


@dataclass
class PollPlan:
    """One poll of the day and what the clients need for it."""

    kind: str  # "checkin" | "scan" | "entry"
    poll_id: int
    hamlet_id: int
    commune_id: int
    district_id: int
    tokens: tuple[str, str]  # the team's two members
    user_ids: tuple[int, int]
    candidates: list[str]
    entries: list[int] = field(default_factory=list)  # checkin: roll entries to check in
    ballots: list[tuple[str, str]] = field(default_factory=list)  # scan: (serial, QR text)
    figures: dict[str, Any] | None = None  # entry: the count both members enter


@dataclass
class Plan:
    polls: list[PollPlan]
    boards: list[tuple[str, int | None]]  # (token, commune id or None for the district's whole board)
    communes: int
    districts: int
    hamlets: int
    seconds: float = 0.0

    def by_id(self) -> dict[int, PollPlan]:
        return {p.poll_id: p for p in self.polls}


def spread_communes(wanted: int) -> list[Commune]:
    """`wanted` communes taken from every district in turn (the first of each district first)."""
    by_district: dict[int, list[Commune]] = {}
    for commune in db.session.scalars(sa.select(Commune).where(Commune.ended_on.is_(None))
                                      .order_by(Commune.district_id, Commune.id)):
        by_district.setdefault(commune.district_id, []).append(commune)
    queues = list(by_district.values())
    chosen: list[Commune] = []
    while len(chosen) < wanted and any(queues):
        for queue in queues:
            if queue and len(chosen) < wanted:
                chosen.append(queue.pop(0))
    return chosen


def prepare(uri: str, communes: int, requests: int, random_seed: int = 18) -> Plan:
    """Election Sunday in `communes` communes, sized so that the day's work is about `requests` requests."""
    start = time.perf_counter()
    rng = random.Random(random_seed)
    password_hash = generate_password_hash("province-bench")  # hashed once: nobody signs in, the clients use tokens
    with app_context(uri):
        set_actor(db.session, None, "cli:province-bench")
        chosen = spread_communes(communes)
        hamlets = db.session.scalars(sa.select(Hamlet).where(Hamlet.commune_id.in_([c.id for c in chosen]),
                                                             Hamlet.ended_on.is_(None))
                                     .order_by(Hamlet.commune_id, Hamlet.id)).all()
        kinds = [KINDS[index % len(KINDS)] for index in range(len(hamlets))]
        # The work per poll: scans ~55 %, check-ins ~35 % of the requests, two entries per entered poll.
        scan_polls, checkin_polls = max(1, kinds.count("scan")), max(1, kinds.count("checkin"))
        ballots_each = max(4, math.ceil(requests * 0.55 / scan_polls))
        checkins_each = max(4, math.ceil(requests * 0.35 / checkin_polls))
        tails = iter(range(1, 10**6))
        plans: list[PollPlan] = []
        boards: list[tuple[str, int | None]] = []
        with on_day(ELECTION_DAY):
            terms: dict[int, Term] = {}
            for c in chosen:
                term = db.session.scalar(sa.select(Term).where(Term.district_id == c.district_id, Term.is_current))
                assert term is not None, "the seed makes the current term of every district"
                terms[c.district_id] = term
            offices = {district_id: _user(Role.DISTRICT_OFFICE, f"pb.vp.{district_id}", password_hash,
                                          district_id=district_id) for district_id in terms}
            committees = {c.id: _user(Role.COMMUNE_COMMITTEE, f"pb.bcd.{c.code}", password_hash,
                                      district_id=c.district_id, commune_id=c.id) for c in chosen}
            db.session.flush()
            tokens = _tokens([*offices.values(), *committees.values()])
            boards = [(tokens[u.id], None) for u in offices.values()] + \
                     [(tokens[u.id], u.commune_id) for u in committees.values()]
            for hamlet, kind in zip(hamlets, kinds):
                commune = hamlet.commune
                term = terms[commune.district_id]
                plans.append(_hamlet_day(hamlet, commune, term, kind, committees[commune.id], password_hash, tails,
                                         ballots_each, checkins_each, rng))
            db.session.commit()
        refresh_statistics()
        return Plan(plans, boards, len(chosen), len({c.district_id for c in chosen}), len(hamlets),
                    time.perf_counter() - start)


def _user(role: Role, username: str, password_hash: str, **scope: Any) -> User:
    user = User(username=username, full_name=f"Tài khoản thử tải {username}", role=role, **scope)
    user.password_hash = password_hash
    db.session.add(user)
    return user


def _tokens(users: list[User]) -> dict[int, str]:
    secrets: dict[int, str] = {}
    for user in users:
        token, secret = ApiToken.issue(user, "province-bench")
        db.session.add(token)
        secrets[user.id] = secret
    return secrets


def _hamlet_day(hamlet: Hamlet, commune: Commune, term: Term, kind: str, committee: User, password_hash: str,
                tails: Iterator[int], ballots_each: int, checkins_each: int, rng: random.Random) -> PollPlan:
    """One hamlet brought to its state of election Sunday (see the module)."""
    people = []
    for name in ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước"):
        person = Person(birth_date=date(1970, 3, 1), sex=Sex.MALE, hamlet_id=hamlet.id,
                        education=Education.UPPER_SECONDARY, political_theory=PoliticalTheory.ELEMENTARY,
                        party_member=PartyMembership.OFFICIAL, party_joined_on=date(2000, 1, 1),
                        party_official_on=date(2001, 1, 1),
                        citizen_id=make_citizen_id(CITIZEN_PROVINCE, date(1970, 3, 1), "male", next(tails)))
        person.set_name(name)
        db.session.add(person)
        people.append(person)
    team = [_user(Role.POLLING_TEAM, f"pb.{hamlet.code}.{n}", password_hash, district_id=commune.district_id,
                  commune_id=commune.id, hamlet_id=hamlet.id, term_id=term.id) for n in (1, 2)]
    db.session.flush()
    candidate_list = CandidateList(term=term, hamlet=hamlet, term_id=term.id, hamlet_id=hamlet.id, round_no=1)
    db.session.add(candidate_list)
    for person in people:
        candidate_list.add(person, ProposedBy.FRONT_COMMITTEE)
    candidate_list.confirm(committee.id)
    poll = Poll.get_or_create(term, hamlet, 1)
    db.session.flush()
    tokens = _tokens(team)
    plan = PollPlan(kind, poll.id, hamlet.id, commune.id, commune.district_id, (tokens[team[0].id], tokens[team[1].id]),
                    (team[0].id, team[1].id), [str(c.id) for c in candidate_list.candidacies])
    if kind == "checkin":
        roll = _roll(term, hamlet)
        poll.open(roll.entry_count, ELECTION_DAY)
        entry_ids = list(db.session.scalars(sa.select(VoterEntry.id).where(VoterEntry.roll_id == roll.id)))
        plan.entries = rng.sample(entry_ids, min(checkins_each, len(entry_ids)))
        db.session.flush()
        return plan
    total = household_total(hamlet.id, term.id).count
    poll.open(total, ELECTION_DAY)
    present = math.ceil(total * PRESENT_SHARE)
    poll.record_meeting(present, VotingForm.SECRET_BALLOT, ["Trần Văn Bình", "Lê Thị Hồng Nhung", "Phạm Đức Thắng"],
                        ["Võ Thị Mỹ Lệ", "Huỳnh Văn Ước"])
    poll.start_counting()
    db.session.flush()
    if kind == "scan":
        digest = poll_election_hash(poll)
        count = min(present, ballots_each)
        batch = BallotBatch(poll=poll, election_hash=digest, count=count, created_by_id=committee.id)
        candidate_list.ballots_printed = True  # as ballots.printing does: the list is locked for good
        db.session.add(batch)
        for _ in range(count):
            serial = new_serial()
            db.session.add(Ballot(batch=batch, poll_id=poll.id, serial=serial))
            plan.ballots.append((serial, encode_payload(BallotPayload(digest, hamlet.id, serial), ballot_secret())))
        db.session.flush()
        return plan
    invalid = max(1, present // 50)
    valid = present - invalid
    first = round(valid * WINNER_SHARE)
    figures = Figures(present, present, valid, invalid, {plan.candidates[0]: first, plan.candidates[1]: valid - first})
    outcome = evaluate(poll, figures)
    if outcome.errors:
        raise RuntimeError(f"poll {poll.id}: the planned count is inconsistent: {outcome.errors}")
    plan.figures = {"ballots_issued": present, "ballots_returned": present, "valid_ballots": valid,
                    "invalid_ballots": invalid, "votes": dict(figures.votes), "against": 0, "acknowledged": True}
    return plan


def _roll(term: Term, hamlet: Hamlet) -> VoterRoll:
    """The hamlet's voter roll: one representative per household (its head in the seed), inserted in bulk."""
    rows = db.session.execute(sa.select(Household.number, Person.full_name, Person.name_folded, Person.citizen_id,
                                        Person.birth_date, Person.sex)
                              .join(Person, Person.household_id == Household.id)
                              .where(Household.hamlet_id == hamlet.id).order_by(Household.number, Person.id)).all()
    heads = list({row.number: row for row in reversed(rows)}.values())  # each household's first person
    roll = VoterRoll(term=term, hamlet=hamlet, source_filename=f"danh-sach-cu-tri-{hamlet.code}.csv",
                     fingerprint=roll_fingerprint((r.number, r.full_name, r.citizen_id) for r in heads),
                     entry_count=len(heads))
    db.session.add(roll)
    db.session.flush()
    db.session.execute(sa.insert(VoterEntry), [
        {"roll_id": roll.id, "household_no": r.number, "full_name": r.full_name, "name_folded": r.name_folded,
         "citizen_id": r.citizen_id, "birth_date": r.birth_date, "birth_year": r.birth_date.year,
         "sex": Sex(r.sex).value, "address": hamlet.name} for r in heads])
    return roll


# ---------------------------------------------------------------------------------------------------------
# 2. The app hosts
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Host:
    name: str
    port: int
    instance: Path
    log: Path
    process: subprocess.Popen


def host_env(uri: str, instance: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, FLASK_SQLALCHEMY_DATABASE_URI=uri, FLASK_SECRET_KEY=SECRET, FLASK_ENV_NAME="test",
               FLASK_TODAY=ELECTION_DAY.isoformat(),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    if instance is not None:
        env["FLASK_INSTANCE_PATH"] = str(instance)
    return env


@contextlib.contextmanager
def hosts(uri: str, folder: Path, count: int = 2, workers: int = 2) -> Iterator[list[Host]]:
    """`count` gunicorn instances of `gunicorn wsgi:app` on loopback ports, each with its own instance folder under
    `folder`; stopped (SIGTERM, then waited for) on leaving."""
    started: list[Host] = []
    try:
        for index in range(count):
            name = "ABCDEFGH"[index]
            instance = folder / f"instance-{name}"
            instance.mkdir(parents=True, exist_ok=True)
            log = folder / f"host-{name}.log"
            port = free_port()
            with open(log, "wb") as out:
                process = spawn_gunicorn(port, workers, host_env(uri, instance), "wsgi:app",
                                         ("--graceful-timeout", "5", "--preload"), out)
            started.append(Host(name, port, instance, log, process))
        for host in started:
            wait_healthy(host.process, host.port, 60, host.log)
        yield started
    finally:
        for host in started:
            if host.process.poll() is None:
                host.process.send_signal(signal.SIGTERM)
        for host in started:
            try:
                host.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                host.process.kill()
                host.process.wait()


# ---------------------------------------------------------------------------------------------------------
# 3. Election Sunday, alternating hosts
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: Any  # the JSON, else the text


@dataclass
class Record:
    """What the clients sent and got back."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    per_host: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    # poll id -> entry id -> the `created` flag of each answer (the first send, then any replay)
    checkins: dict[int, dict[int, list[bool]]] = field(default_factory=dict)
    # poll id -> serial -> what was sent and every answer {status, id, valid, choice, reason, replayed}
    scans: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # poll id -> [(user id, slot)] of the count entries answered 201
    entries: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    elapsed: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average before and after
    tasks_done: int = 0
    tasks_planned: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())


class Client:
    """One client thread's keep-alive connections, one per host; each request goes to the next host in turn."""

    def __init__(self, hosts: list[Host], first: int, record: Record) -> None:
        self.hosts = hosts
        self.conns = [http.client.HTTPConnection("127.0.0.1", h.port, timeout=60) for h in hosts]
        self.turn = first % len(hosts)
        self.record = record

    def next_host(self) -> int:
        index = self.turn
        self.turn = (self.turn + 1) % len(self.hosts)
        return index

    def close(self) -> None:
        for conn in self.conns:
            conn.close()

    def _send(self, index: int, method: str, path: str, body: Any, token: str, key: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        self.conns[index].request(method, path, body=None if body is None else json.dumps(body), headers=headers)

    def _read(self, index: int) -> Answer:
        response = self.conns[index].getresponse()
        raw = response.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        return Answer(response.status, body)

    def call(self, kind: str, method: str, path: str, body: Any = None, *, token: str, key: str | None = None,
             host: int | None = None) -> Answer:
        index = self.next_host() if host is None else host
        start = time.perf_counter()
        try:
            self._send(index, method, path, body, token, key)
            answer = self._read(index)
        except (OSError, http.client.HTTPException) as error:
            self.conns[index].close()
            answer = Answer(0, f"{type(error).__name__}: {error}")
        self._note(kind, index, time.perf_counter() - start)
        return answer

    def race(self, kind: str, path: str, sends: list[tuple[str, Any]], key: str | None = None) -> list[Answer]:
        """POSTs sent to the hosts in turn (host i gets sends[i]: token, body) before any answer is read: the same
        request racing itself through two hosts, or two team members at the same moment."""
        start = time.perf_counter()
        answers: list[Answer] = []
        try:
            for index, (token, body) in enumerate(sends):
                self._send(index, "POST", path, body, token, key)
            for index in range(len(sends)):
                answers.append(self._read(index))
        except (OSError, http.client.HTTPException) as error:
            for conn in self.conns:
                conn.close()
            answers.append(Answer(0, f"{type(error).__name__}: {error}"))
        elapsed = time.perf_counter() - start
        for index in range(len(sends)):
            self._note(kind, index, elapsed)
        return answers

    def _note(self, kind: str, index: int, seconds: float) -> None:
        with self.record.lock:
            self.record.latencies.setdefault(kind, []).append(seconds)
            self.record.per_host[self.hosts[index].name] += 1

    def unexpected(self, what: str, answer: Answer) -> None:
        with self.record.lock:
            self.record.unexpected.append(f"{what}: {answer.status} {str(answer.body)[:300]}")


Task = Callable[[Client], None]


def _checkin_task(poll: PollPlan, entry_id: int, mode: str) -> Task:
    path = f"/api/v1/hamlets/{poll.hamlet_id}/checkins"
    body = {"entry_id": entry_id}

    def run(client: Client) -> None:
        if mode == "race":  # two phones of the team tap the same household at the same moment, through two hosts
            sends = client.race("checkin (both hosts at once)", path, [(token, body) for token in poll.tokens])
        else:
            sends = [client.call("checkin", "POST", path, body, token=poll.tokens[0])]
        if mode == "replay":  # the phone did not see the answer and tries again: the next request goes to the next host
            sends.append(client.call("checkin (again, other host)", "POST", path, body, token=poll.tokens[0]))
        flags = []
        for answer in sends:
            if answer.status != 200 or not isinstance(answer.body, dict) or "created" not in answer.body:
                client.unexpected(f"check-in poll {poll.poll_id} entry {entry_id}", answer)
                continue
            flags.append(bool(answer.body["created"]))
        with client.record.lock:
            client.record.checkins.setdefault(poll.poll_id, {})[entry_id] = flags

    return run


def _scan_task(poll: PollPlan, number: int, serial: str, text: str, mode: str) -> Task:
    path = f"/api/v1/polls/{poll.poll_id}/scans"
    invalid = number % INVALID_EVERY == INVALID_EVERY - 1
    body = {"text": text, "choice": poll.candidates[number % len(poll.candidates)]}
    if invalid:
        body = {"text": text, "reason": "extra_marks"}
    key = f"pb-{poll.poll_id}-{serial}"
    token = poll.tokens[number % 2]

    def run(client: Client) -> None:
        if mode == "race":
            answers = client.race("scan (both hosts at once)", path, [(token, body)] * len(client.hosts), key=key)
        else:
            answers = [client.call("scan", "POST", path, body, token=token, key=key)]
            if mode == "replay":
                answers.append(client.call("scan (again, other host)", "POST", path, body, token=token, key=key))
        seen = []
        for answer in answers:
            if answer.status not in (200, 201) or not isinstance(answer.body, dict):
                client.unexpected(f"scan poll {poll.poll_id} serial {serial}", answer)
                continue
            seen.append({"status": answer.status, "id": answer.body.get("id"), "valid": answer.body.get("valid"),
                         "choice": answer.body.get("choice"), "reason": answer.body.get("reason"),
                         "replayed": answer.body.get("replayed")})
        with client.record.lock:
            client.record.scans.setdefault(poll.poll_id, {})[serial] = {
                "key": key, "valid": not invalid, "choice": "" if invalid else body["choice"], "answers": seen}

    return run


def _entries_task(poll: PollPlan, race: bool) -> Task:
    """The count entered by the team's two members, one after the other through the next host each; or both at the
    same moment through two hosts (race): the poll's row lock lets one in first, then the other (a 409, a stale write
    and never a lost one, would be sent again)."""
    path = f"/api/v1/polls/{poll.poll_id}/count-entries"

    def accepted(client: Client, member: int, answer: Answer) -> bool:
        if answer.status != 201 or not isinstance(answer.body, dict):
            return False
        with client.record.lock:
            client.record.entries.setdefault(poll.poll_id, []).append(
                (poll.user_ids[member], answer.body["entry"]["slot"]))
        return True

    def run(client: Client) -> None:
        members = [0, 1]
        if race:
            answers = client.race("count entry (both members at once)", path,
                                  [(token, poll.figures) for token in poll.tokens])
            members = []
            for member, answer in enumerate(answers):  # every answer noted before any is judged
                if not accepted(client, member, answer):
                    members.append(member)
            for member in members:
                if answers[member].status != 409:
                    client.unexpected(f"count entry {member + 1} poll {poll.poll_id} (at once)", answers[member])
                    return
        for member in members:
            answer = client.call("count entry", "POST", path, poll.figures, token=poll.tokens[member])
            if not accepted(client, member, answer):
                client.unexpected(f"count entry {member + 1} poll {poll.poll_id}", answer)
                return

    return run


def _board_task(token: str, commune_id: int | None) -> Task:
    path = "/api/v1/board" + (f"?commune_id={commune_id}" if commune_id else "")

    def run(client: Client) -> None:
        answer = client.call("board", "GET", path, token=token)
        if answer.status != 200 or not isinstance(answer.body, dict) or not answer.body.get("rows"):
            client.unexpected(f"board {path}", answer)

    return run


def tasks(plan: Plan, random_seed: int = 22) -> list[Task]:
    """The day's work, shuffled so that every commune is busy at once."""
    work: list[Task] = []
    numbers = {kind: iter(range(1, 10**9)) for kind in KINDS}  # counted over all polls

    def mode(kind: str) -> str:
        number = next(numbers[kind])
        return "replay" if number % REPLAY_EVERY == 0 else "race" if number % RACE_EVERY == 1 else "once"

    for poll in plan.polls:
        if poll.kind == "checkin":
            work += [_checkin_task(poll, entry_id, mode("checkin")) for entry_id in poll.entries]
        elif poll.kind == "scan":
            work += [_scan_task(poll, n, serial, text, mode("scan")) for n, (serial, text) in enumerate(poll.ballots)]
        else:
            work.append(_entries_task(poll, next(numbers["entry"]) % ENTRY_RACE_EVERY == 1))
    rng = random.Random(random_seed)
    rng.shuffle(work)
    boards = [_board_task(*plan.boards[n % len(plan.boards)]) for n in range(max(1, len(work) // BOARD_EVERY))]
    for n, board in enumerate(boards):
        work.insert((n * BOARD_EVERY + rng.randrange(BOARD_EVERY)) % (len(work) + 1), board)
    return work


def play(plan: Plan, hosts: list[Host], clients: int, seconds: float) -> Record:
    """The day's tasks over `clients` threads, until done or `seconds` have passed."""
    record = Record()
    work = tasks(plan)
    record.tasks_planned = len(work)
    queue = iter(work)
    queue_lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    done: Counter[int] = Counter()

    def worker(number: int) -> None:
        client = Client(hosts, number, record)
        try:
            while time.perf_counter() < stop_at:
                with queue_lock:
                    task = next(queue, None)
                if task is None:
                    break
                try:
                    task(client)
                except Exception as error:  # a client bug is reported, not a hang
                    with record.lock:
                        record.unexpected.append(f"client error: {type(error).__name__}: {error}")
                with record.lock:
                    done[number] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record.elapsed = time.perf_counter() - began
    record.load = (load_before, os.getloadavg()[0])
    record.tasks_done = sum(done.values())
    return record


# ---------------------------------------------------------------------------------------------------------
# 4. The checks
# ---------------------------------------------------------------------------------------------------------


def check_answers(plan: Plan, record: Record) -> list[str]:
    """Each request answered as it should: a check-in created once (its repeat not), a scan counted once (its
    repeat or its racing twin replays the same scan), each count entry accepted."""
    problems = list(record.unexpected)
    for poll_id, entries in record.checkins.items():
        for entry_id, flags in entries.items():
            if flags.count(True) != 1:
                problems.append(f"check-in poll {poll_id} entry {entry_id}: created flags {flags}")
    for poll_id, scans in record.scans.items():
        for serial, scan in scans.items():
            answers = scan["answers"]
            counted = [a for a in answers if a["status"] == 201]
            if len(counted) != 1 or len({a["id"] for a in answers}) != 1 \
                    or any(a["replayed"] is not (a["status"] == 200) for a in answers):
                problems.append(f"scan poll {poll_id} serial {serial}: answers {answers}")
            elif counted[0]["valid"] is not scan["valid"] or (scan["valid"] and counted[0]["choice"] != scan["choice"]):
                problems.append(f"scan poll {poll_id} serial {serial}: sent {scan}, recorded {counted[0]}")
    polls = plan.by_id()
    for poll_id, entered in record.entries.items():
        if sorted(slot for _user, slot in entered) != list(range(1, len(entered) + 1)) \
                or not {user for user, _slot in entered} <= set(polls[poll_id].user_ids):
            problems.append(f"count entries poll {poll_id}: {entered}")
    return problems


def check_database(uri: str, plan: Plan, record: Record) -> list[str]:
    """The database holds every answered request's effect exactly once, and nothing else: per poll, the check-ins,
    the scans (serial, choice, key) and the ballots they counted, the count entries and the result; the per-poll
    totals equal those computed from what was sent (what one host, or any order, gives)."""
    problems: list[str] = []
    poll_ids = [p.poll_id for p in plan.polls]
    with app_context(uri):
        checkins: dict[int, set[int]] = {}
        for poll_id, entry_id in db.session.execute(sa.select(CheckIn.poll_id, CheckIn.entry_id)):
            checkins.setdefault(poll_id, set()).add(entry_id)
        scans: dict[int, dict[str, tuple]] = {}
        scan_rows = db.session.execute(sa.select(BallotScan.poll_id, BallotScan.serial, BallotScan.valid,
                                                 BallotScan.choice, BallotScan.idempotency_key, BallotScan.id)).all()
        for row in scan_rows:
            scans.setdefault(row.poll_id, {})[row.serial] = (bool(row.valid), row.choice, row.idempotency_key, row.id)
        counted = Counter(db.session.scalars(sa.select(Ballot.poll_id).where(Ballot.state == BallotState.COUNTED)))
        entries: dict[int, list[CountEntry]] = {}
        for entry in db.session.scalars(sa.select(CountEntry).order_by(CountEntry.poll_id, CountEntry.slot)):
            entries.setdefault(entry.poll_id, []).append(entry)
        results = {r.poll_id: r for r in db.session.scalars(sa.select(CountResult))}
        status = dict(db.session.execute(sa.select(Poll.id, Poll.status).where(Poll.id.in_(poll_ids))).tuples().all())
        for where, found in (("check-ins", set(checkins)), ("scans", set(scans)), ("count entries", set(entries)),
                             ("results", set(results))):
            if found - set(poll_ids):
                problems.append(f"{where} in polls the day never touched: {sorted(found - set(poll_ids))}")
        for poll in plan.polls:
            pid = poll.poll_id
            sent_checkins = {e for e, flags in record.checkins.get(pid, {}).items() if True in flags}
            if checkins.get(pid, set()) != sent_checkins:
                problems.append(f"poll {pid}: {len(checkins.get(pid, ()))} check-ins stored, {len(sent_checkins)} "
                                f"answered (differing entries: {sorted(checkins.get(pid, set()) ^ sent_checkins)[:10]})")
            sent_scans = {serial: (s["valid"], s["choice"], s["key"], next(a["id"] for a in s["answers"]))
                          for serial, s in record.scans.get(pid, {}).items() if s["answers"]}
            if scans.get(pid, {}) != sent_scans:
                stored = scans.get(pid, {})
                differing = sorted(k for k in set(stored) | set(sent_scans) if stored.get(k) != sent_scans.get(k))
                problems.append(f"poll {pid}: {len(stored)} scans stored, {len(sent_scans)} answered (differing: "
                                f"{differing[:10]})")
            if counted.get(pid, 0) != len(sent_scans):
                problems.append(f"poll {pid}: {counted.get(pid, 0)} ballots counted, {len(sent_scans)} scans")
            expected_totals = Counter((s[0], s[1]) for s in sent_scans.values())
            stored_totals = Counter((s[0], s[1]) for s in scans.get(pid, {}).values())
            if expected_totals != stored_totals:
                problems.append(f"poll {pid}: scan totals {dict(stored_totals)}, sent {dict(expected_totals)}")
            stored_entries = entries.get(pid, [])
            answered = record.entries.get(pid, [])
            if sorted((e.user_id, e.slot) for e in stored_entries) != sorted(answered):
                problems.append(f"poll {pid}: count entries {[(e.user_id, e.slot) for e in stored_entries]}, "
                                f"answered {answered}")
            if poll.kind == "entry" and len(answered) == 2:
                result = results.get(pid)
                figures = poll.figures or {}
                got = result and {"ballots_issued": result.ballots_issued, "ballots_returned": result.ballots_returned,
                                  "valid_ballots": result.valid_ballots, "invalid_ballots": result.invalid_ballots,
                                  "votes": result.votes, "against": result.against}
                wanted = {k: v for k, v in figures.items() if k != "acknowledged"}
                if got != wanted or status.get(pid) != PollStatus.SUBMITTED:
                    problems.append(f"poll {pid}: result {got} ({status.get(pid)}), both entries sent {wanted}")
            elif pid in results:
                problems.append(f"poll {pid}: a result without two entries")
            wanted_status = {"checkin": PollStatus.VOTING, "scan": PollStatus.COUNTING}.get(
                poll.kind, {0: PollStatus.COUNTING, 1: PollStatus.FIRST_ENTRY, 2: PollStatus.SUBMITTED}[len(answered)])
            if status.get(pid) != wanted_status:
                problems.append(f"poll {pid} ({poll.kind}): status {status.get(pid)}, expected {wanted_status}")
    return problems


def check_hosts_agree(plan: Plan, hosts: list[Host], record: Record) -> list[str]:
    """Once the day's work is done, every host answers each board and each poll's outcome identically, and the
    board shows the check-ins and results the clients made."""
    problems: list[str] = []
    client = Client(hosts, 0, Record())
    try:
        polls = plan.by_id()
        for token, commune_id in plan.boards:
            path = "/api/v1/board" + (f"?commune_id={commune_id}" if commune_id else "")
            answers = [client.call("board", "GET", path, token=token, host=i) for i in range(len(hosts))]
            if any(a.status != 200 for a in answers) or any(a.body != answers[0].body for a in answers):
                problems.append(f"{path}: the hosts answer differently ({[a.status for a in answers]})")
                continue
            for row in answers[0].body["rows"]:
                poll = polls.get(row["poll_id"])
                if poll is None:
                    continue
                if poll.kind == "checkin":
                    checked = sum(True in flags for flags in record.checkins.get(poll.poll_id, {}).values())
                    if (row["households_present"] or 0) != checked:
                        problems.append(f"{path}: poll {poll.poll_id} shows {row['households_present']} present, "
                                        f"{checked} checked in")
                if poll.kind == "entry" and len(record.entries.get(poll.poll_id, [])) == 2:
                    figures = poll.figures or {}
                    if row["status"] != "submitted" or row["valid_ballots"] != figures["valid_ballots"]:
                        problems.append(f"{path}: poll {poll.poll_id} shows {row['status']} "
                                        f"{row['valid_ballots']} valid ballots")
        for poll in plan.polls:
            if poll.kind != "entry":
                continue
            path = f"/api/v1/polls/{poll.poll_id}/outcome"
            answers = [client.call("outcome", "GET", path, token=poll.tokens[0], host=i) for i in range(len(hosts))]
            if any(a.status != 200 for a in answers) or any(a.body != answers[0].body for a in answers):
                problems.append(f"{path}: the hosts answer differently ({[a.status for a in answers]})")
    finally:
        client.close()
    return problems


def check_logs(hosts: list[Host]) -> list[str]:
    """No traceback nor worker failure in a host's log."""
    problems = []
    for host in hosts:
        text = host.log.read_text(errors="replace") if host.log.exists() else ""
        if any(mark in text for mark in ("Traceback", "WORKER TIMEOUT", "[ERROR]", "ERROR in ")):
            problems.append(f"host {host.name} logged errors: {text[-1500:]}")
    return problems


def audit_verify(uri: str) -> tuple[int, str]:
    """`flask audit verify` on the database, as an operator runs it: (exit code, output)."""
    done = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "audit", "verify"], cwd=ROOT,
                          env=host_env(uri), capture_output=True, text=True, timeout=600)
    return done.returncode, (done.stdout + done.stderr).strip()


def check_all(uri: str, plan: Plan, hosts: list[Host], record: Record) -> list[str]:
    problems = check_answers(plan, record)
    problems += check_database(uri, plan, record)
    problems += check_hosts_agree(plan, hosts, record)
    problems += check_logs(hosts)
    code, output = audit_verify(uri)
    if code != 0:
        problems.append(f"flask audit verify exited {code}: {output[-1500:]}")
    return problems


# ---------------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)] if ordered else float("nan")


def report(plan: Plan, record: Record, hosts: list[Host]) -> str:
    kinds = Counter(p.kind for p in plan.polls)
    lines = [f"{plan.hamlets} hamlets in {plan.communes} communes of {plan.districts} districts "
             f"(polls: {kinds['checkin']} voting, {kinds['scan']} scanning, {kinds['entry']} entering the count; "
             f"prepared in {plan.seconds:.1f} s)",
             f"{record.tasks_done}/{record.tasks_planned} tasks, {record.requests} requests in {record.elapsed:.1f} s "
             f"({record.requests / record.elapsed if record.elapsed else 0:.1f} req/s) over "
             f"{len(hosts)} hosts: " + ", ".join(f"{h.name} {record.per_host[h.name]}" for h in hosts)
             + f"; load average {record.load[0]:.1f} before, {record.load[1]:.1f} after, on {os.cpu_count()} cores"]
    lines.append("  per kind of request (a mixed load: each kind's rate is its share of the whole run):")
    for kind, values in sorted(record.latencies.items(), key=lambda item: -len(item[1])):
        lines.append(f"  {kind:36s} {len(values):6d} req {len(values) / record.elapsed:8.1f} req/s  "
                     f"p50 {statistics.median(values) * 1000:6.1f} ms  p95 {percentile(values, 0.95) * 1000:6.1f} ms")
    return "\n".join(lines)


def run(uri: str, scale: str, communes: int, requests: int, clients: int, seconds: float, workers: int = 2,
        host_count: int = 2, folder: Path | None = None, echo: Callable[[str], None] = print) -> list[str]:
    """The whole test: seed, prepare, two hosts, the day, the checks; returns the problems (none: passed)."""
    echo(f"seed ({scale}): {seed(uri, scale):.1f} s")
    plan = prepare(uri, communes, requests)
    with contextlib.ExitStack() as stack:
        base = folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="province-")))
        began = time.perf_counter()
        running = stack.enter_context(hosts(uri, base, host_count, workers))
        echo(f"{host_count} hosts up in {time.perf_counter() - began:.1f} s: "
             + ", ".join(f"{h.name} 127.0.0.1:{h.port} ({h.instance})" for h in running))
        record = play(plan, running, clients, seconds)
        echo(f"{clients} clients, {workers} gunicorn workers per host")
        echo(report(plan, record, running))
        began = time.perf_counter()
        problems = check_all(uri, plan, running, record)
        echo(f"checks (database, hosts, logs, flask audit verify) in {time.perf_counter() - began:.1f} s")
        left = sorted(str(p.relative_to(base)) for h in running for p in h.instance.rglob("*") if p.is_file())
        echo("instance folders: " + (", ".join(left) if left else "empty"))
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL (its schema is dropped)")
    parser.add_argument("--scale", default="province", choices=["tiny", "district", "province"])
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--requests", type=int, default=4000, help="about how many requests the day's work makes")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=300, help="the day stops after this, done or not")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--keep", help="a folder to keep the hosts' instance folders and logs in")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else None
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    problems = run(args.database, args.scale, args.communes, args.requests, args.clients, args.seconds, args.workers,
                   args.hosts, folder)
    for problem in problems:
        print("PROBLEM:", problem)
    print("passed: no error, no lost or double write, the hosts agree, the audit chains verify" if not problems
          else f"FAILED: {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
