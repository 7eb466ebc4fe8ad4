"""Check and benchmark: the count from images equals the count from taps for the same ballots in a rehearsal hamlet
(issue 19, "Done when").

    .venv/bin/python bench/image_count.py [--scale tiny|district] [--seed 1] [--photo-share 0.4] [--keep DIR]

Seeds the demo district (`flask seed`, tiny scale by default) and rehearses election Sunday (`flask rehearsal`) in a
SQLite file, then copies the file: two databases holding the same ballots (the same serials, the same signed QR
codes). In the hamlet the rehearsal leaves counting (its step "scanning": ballots printed A4×4, households checked in,
counting started), one ballot per household checked in is marked with a known choice (marks(): names struck or kept,
ballots invalid by R-B1, a few only a person may decide), and then:
- by images, in the first database: each ballot photographed (--photo-share of them) or scanned four to an A4 page as
  printed, the pages sent as one feeder PDF, with demo/marked_ballots.py's degradations; read through the team's pages
  (POST /polls/<id>/scan/read, /scan/batches and /next: ballots.reading); the unclear ones decided by two different
  team members (/scan/reads/<id>/decide), as the ballot says;
- by taps, in the copy: the same ballots, each tapped with what it says (POST /polls/<id>/scan);
each finished into a count entry (/scan/finish). Prints the two counts and the truth, per candidate, valid and invalid,
ballots counted, and how long each part took; exit status 1 when they differ, or when the reader decided a ballot
wrongly (a wrong read is printed with its seed and sample: it must go to a person instead).

tests/test_image_count.py runs the same comparison (count_by_images, count_by_taps, same_count) on two twin hamlets set
up the way the rehearsal sets them up, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(ROOT)

import numpy as np  # noqa: E402
from flask import Flask, g  # noqa: E402

from app import create_app  # noqa: E402
from ballots.models import BallotScan, MarkRead, MarkReadState, ballot_keys  # noqa: E402
from ballots.pdf import placements  # noqa: E402
from ballots.printing import batch_payloads, candidate_list_of, real_batches, sheet_spec  # noqa: E402
from ballots.qr import decode_payload  # noqa: E402
from core.accounts import Role, User  # noqa: E402
from demo.marked_ballots import (  # noqa: E402
    DEFAULT_DEGRADE,
    NAME_KINDS,
    BallotTruth,
    Degrade,
    Design,
    MarkedBallots,
    Printed,
    Sample,
    write_feeder,
)
from demo.seed import seed_demo  # noqa: E402
from election.counting import AGREE, DISAGREE, poll_candidates  # noqa: E402
from election.models import CountEntry, CountMethod, Poll, PollStatus  # noqa: E402
from extensions import db  # noqa: E402

# Every kind of ballot at least once (in this order), then the default mix's weights (demo/marked_ballots.py).
NAME_PLAN = ("strike", "long", "double", "wavy", "partial", "scribble", "blank", "all_struck", "whole_list", "tick",
             "circle", "stray", "too_many", "cross_list")
BOX_PLAN = ("box_x", "box_tick", "box_fill", "both_boxes", "no_box", "box_circle", "box_stray", "name_strike")
BOX_WEIGHTS = {"box_x": 0.85, "box_tick": 0.08, "box_fill": 0.03, "both_boxes": 0.015, "no_box": 0.015,
               "box_circle": 0.002, "box_stray": 0.002, "name_strike": 0.002}
# What the two team members decide on a ballot only a person may decide (the generator's "person" kinds): the
# rehearsal's own reading of R-B1, the same whether the ballot was read from an image or tapped.
PERSON_DECISIONS = {
    "tick": "kept",  # a tick beside the name left standing: that name is the voter's choice
    "circle": "kept",  # the name left standing circled: likewise
    "stray": "extra_marks",  # a dot or a stroke outside every line: a mark that could identify the voter (R-B1)
    "cross_list": "no_name_kept",  # one X over the whole list: every name struck
    "box_circle": "circled",  # the label of one box circled instead of the box: that choice
    "box_stray": "extra_marks",
    "name_strike": "no_box",  # the name struck, no box marked
}
SECRET_UNUSED = b"image-count"  # the generator's own secret: never used, every ballot is one the app printed
PNG = b"\x89PNG"
RETAKES = 3  # photos of a ballot the reader did not find, before giving up


@dataclass(frozen=True)
class Decision:
    """What a ballot says, by position on the ballot (the same in twin hamlets whose candidacies differ): the kept
    name's position (several candidates) or "agree"/"disagree" (one), or invalid with R-B1's reason."""

    kept: int | None = None
    mark: str = ""
    reason: str = "valid"

    @property
    def valid(self) -> bool:
        return self.reason == "valid"

    def form(self, ids: Sequence[str]) -> tuple[str, str]:
        """(choice, reason) as the scan page and the decision form take them, for a poll's candidacy ids."""
        if not self.valid:
            return "", self.reason
        return (ids[self.kept] if self.kept is not None else self.mark), ""


def decision_of(truth: BallotTruth) -> Decision:
    """What a careful teller records for the ballot: R-B1's verdict, or the team's decision (PERSON_DECISIONS)."""
    ids = truth.design.candidate_ids
    if truth.verdict is not None:
        if not truth.verdict.valid:
            return Decision(reason=truth.verdict.reason)
        if truth.verdict.choice in (AGREE, DISAGREE):
            return Decision(mark=truth.verdict.choice)
        return Decision(kept=ids.index(truth.verdict.choice))
    decided = PERSON_DECISIONS[truth.kind]
    if decided == "kept":
        return Decision(kept=next(line.index for line in truth.lines if line.intended == "kept"))
    if decided == "circled":
        circled = next(line.index for line in truth.lines if line.style == "circle")
        return Decision(mark=(AGREE, DISAGREE)[circled])
    return Decision(reason=decided)


def marks(count: int, candidates: int, seed: int) -> list[str]:
    """The kinds of marks on `count` ballots: every kind once (NAME_PLAN or BOX_PLAN), then drawn by the generator's
    default weights; shuffled (seeded), so photos and scanner pages both get some of each."""
    plan, weights = (BOX_PLAN, BOX_WEIGHTS) if candidates == 1 else (NAME_PLAN, NAME_KINDS)
    if candidates == 2:  # three names are needed for "too many kept" after one strike
        plan = tuple(kind for kind in plan if kind != "too_many")
        weights = {kind: w for kind, w in weights.items() if kind != "too_many"}
    rng = np.random.default_rng(seed)
    kinds = list(plan[:count])
    names = list(weights)
    p = np.array([weights[k] for k in names])
    kinds += [names[int(i)] for i in rng.choice(len(names), size=max(0, count - len(kinds)), p=p / p.sum())]
    rng.shuffle(kinds)
    return kinds


def printed_ballots(poll: Poll, kinds: Sequence[str], seed: int) -> list[Printed]:
    """The first len(kinds) ballots of the poll's real batch (serial order: not the order of the paper), as printed
    (ballots.printing.sheet_spec of the batch's layout and geometry), each to be marked with its kind, its marks
    seeded by (seed, its index): every photo of a ballot shows the same marks."""
    batch = real_batches(poll)[0]
    texts = batch_payloads(batch)
    if len(texts) < len(kinds):
        raise ValueError(f"{len(kinds)} ballots to mark, {len(texts)} printed")
    spec = sheet_spec(poll, candidate_list_of(poll), batch.layout, batch.test, batch.geometry_version)
    design = Design(spec, tuple(str(c.id) for c in poll_candidates(poll)), poll.hamlet_id, batch.election_hash)
    return [Printed(design, text, kind, (seed, index)) for index, (text, kind) in enumerate(zip(texts, kinds))]


class Member:
    """A team member signed in on the app's pages (a test client). With an app context held open around the requests,
    Flask-Login's per-request user cache (g._login_user) would pass from one member to the next: cleared first."""

    def __init__(self, app: Flask, username: str, password: str) -> None:
        self.client = app.test_client()
        self.username = username
        response = self.post("/login", data={"username": username, "password": password})
        if response.status_code != 302:
            raise RuntimeError(f"{username} cannot sign in: {response.status_code}")

    def post(self, *args: Any, **kwargs: Any) -> Any:
        g.pop("_login_user", None)
        return self.client.post(*args, **kwargs)


@dataclass
class ImageCount:
    """What reading the images did."""

    seed: int
    photos: int = 0
    pages: int = 0
    retakes: int = 0
    by_hand: list[str] = field(default_factory=list)  # unreadable on every photo: counted by a tap, as the app says
    decided: int = 0  # counted by the reader alone
    unclear: int = 0  # decided by two members
    unclear_kinds: Counter = field(default_factory=Counter)
    wrong: dict[str, str] = field(default_factory=dict)  # serial → the reader's decision that differs from the truth
    refused: list[str] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)  # serial → which sample showed it (for a wrong read)
    images: dict[str, Sample] = field(default_factory=dict)  # serial → the last image of it sent
    seconds: dict[str, float] = field(default_factory=dict)


def serial_of(text: str) -> str:
    """The serial a ballot's signed QR text names."""
    return decode_payload(text, *ballot_keys()).serial


def _ids(poll_id: int) -> list[str]:
    """The poll's candidacy ids, in ballot order."""
    return [str(c.id) for c in poll_candidates(db.session.get(Poll, poll_id))]


def serials(printed: Sequence[Printed]) -> dict[str, Printed]:
    """The ballots by serial."""
    return {serial_of(ballot.qr_text): ballot for ballot in printed}


def count_by_images(poll_id: int, printed: Sequence[Printed], first: Member, second: Member, seed: int,
                    photo_share: float = 0.4, degrade: Degrade = DEFAULT_DEGRADE, dpi: int = 200
                    ) -> tuple[ImageCount, dict[str, BallotTruth]]:
    """Mark, photograph or scan, and read every ballot through the team's pages; decide the unclear ones with two
    members. Returns what happened and each serial's truth."""
    source = MarkedBallots(SECRET_UNUSED, seed=seed, degrade=degrade)
    by_serial = serials(printed)
    report = ImageCount(seed)
    truths: dict[str, BallotTruth] = {}
    photographed = round(len(printed) * photo_share)
    per_page = len(placements(printed[0].design.spec.layout)) if printed else 1  # as printed: A4×4, four a page
    started = time.perf_counter()
    photos: list[tuple[Printed, Sample]] = []
    for ballot in printed[:photographed]:
        photos.append((ballot, source.photo(ballot)))
    pages: list[Sample] = []
    rest = list(printed[photographed:])
    for start in range(0, len(rest), per_page):
        pages.append(source.scan(dpi, rest[start:start + per_page]))
    for index, (_ballot, sample) in enumerate(photos):
        truths[serial_of(sample.truths[0].qr_text)] = sample.truths[0]
        report.samples[serial_of(sample.truths[0].qr_text)] = f"seed {seed}, photo {index + 1}"
    for index, sample in enumerate(pages):
        for truth in sample.truths:
            truths[serial_of(truth.qr_text)] = truth
            report.samples[serial_of(truth.qr_text)] = f"seed {seed}, scanner page {index + 1}"
    report.seconds["marking and degrading"] = time.perf_counter() - started

    started = time.perf_counter()
    missing: list[str] = []
    for _ballot, sample in photos:
        missing += _send_photo(first, poll_id, sample, report)
    if pages:
        missing += _send_feeder(first, poll_id, pages, report)
    for serial in missing:  # not found or not located on its image: the team takes another photo of it
        for _retake in range(RETAKES):
            report.retakes += 1
            sample = source.photo(by_serial[serial])  # the same marks (the ballot's own seed), another photo
            report.samples[serial] = f"seed {seed}, retake {report.retakes}"
            if not _send_photo(first, poll_id, sample, report):
                break
        else:  # "kiểm phiếu này bằng tay": a tap
            report.by_hand.append(serial)
            choice, reason = decision_of(truths[serial]).form(_ids(poll_id))
            response = first.post(f"/polls/{poll_id}/scan", json={
                "text": by_serial[serial].qr_text, "choice": choice, "reason": reason,
                "idempotency_key": f"by-hand-{poll_id}-{serial}"})
            if response.status_code != 201:
                report.refused.append(f"{serial}: tapped by hand, {response.status_code} {response.get_json()}")
    report.seconds["reading"] = time.perf_counter() - started

    started = time.perf_counter()
    _decide_waiting(poll_id, truths, first, second, report)
    report.seconds["deciding the unclear"] = time.perf_counter() - started
    _check_decided(poll_id, truths, report)
    return report, truths


def _send_photo(member: Member, poll_id: int, sample: Sample, report: ImageCount) -> list[str]:
    """POST the photo as the phone does; the serials not found or not located on it (to photograph again)."""
    report.photos += 1
    for truth in sample.truths:
        report.images[serial_of(truth.qr_text)] = sample
    response = member.post(f"/polls/{poll_id}/scan/read", data={"image": (io.BytesIO(sample.data), "phieu.jpg")},
                           content_type="multipart/form-data")
    body = response.get_json() or {}
    found = {result["serial"]: result for result in body.get("results", [])}
    missing = []
    for truth in sample.truths:
        serial = serial_of(truth.qr_text)
        result = found.get(serial)
        if result is None or (result["status"] == "refused" and result.get("code") == "unreadable"):
            missing.append(serial)
        elif result["status"] == "refused":
            report.refused.append(f"{serial}: {result.get('code')} {result.get('message')}")
    return missing


def _send_feeder(member: Member, poll_id: int, pages: Sequence[Sample], report: ImageCount) -> list[str]:
    """The scanner pages as one feeder PDF, uploaded and read page by page as the batch page does; the serials not
    read on any page."""
    feeder = io.BytesIO()
    report.pages += write_feeder(pages, feeder, "pdf")
    for page in pages:
        for truth in page.truths:
            report.images[serial_of(truth.qr_text)] = page
    response = member.post(f"/polls/{poll_id}/scan/batches", data={"file": (io.BytesIO(feeder.getvalue()),
                                                                             "may-quet.pdf")},
                           content_type="multipart/form-data")
    match = re.search(r"/scan/batches/(\d+)", response.headers.get("Location", ""))
    if response.status_code != 302 or match is None:
        raise RuntimeError(f"the scanner batch was refused: {response.status_code}")
    state: dict = {"done": False}
    for _page in range(len(pages) + 1):
        state = member.post(f"/polls/{poll_id}/scan/batches/{match.group(1)}/next").get_json()
        if state.get("done"):
            break
    if not state.get("done"):
        raise RuntimeError(f"the scanner batch did not finish: {state}")
    db.session.expire_all()
    seen = set(db.session.scalars(db.select(BallotScan.serial).where(BallotScan.poll_id == poll_id)))
    seen |= set(db.session.scalars(db.select(MarkRead.serial).where(MarkRead.poll_id == poll_id)))
    return [serial_of(truth.qr_text) for page in pages for truth in page.truths if serial_of(truth.qr_text) not in seen]


def _decide_waiting(poll_id: int, truths: dict[str, BallotTruth], first: Member, second: Member,
                    report: ImageCount) -> None:
    """Each ballot the reader left unclear: decided by one member, confirmed by another (the adjudication page)."""
    db.session.expire_all()
    ids = _ids(poll_id)
    waiting = db.session.scalars(db.select(MarkRead).where(MarkRead.poll_id == poll_id,
                                                           MarkRead.state == MarkReadState.PENDING)).all()
    for read in waiting:
        truth = truths[read.serial]
        report.unclear += 1
        report.unclear_kinds[truth.kind] += 1
        choice, reason = decision_of(truth).form(ids)
        url = f"/polls/{poll_id}/scan/reads/{read.id}/decide"
        for member in (first, second):
            response = member.post(url, data={"decision": f"{choice}|{reason}"})
            if response.status_code != 302:
                raise RuntimeError(f"{member.username} could not decide {read.serial}: {response.status_code}")
    db.session.expire_all()
    left = db.session.scalar(db.select(db.func.count(MarkRead.id)).where(MarkRead.poll_id == poll_id,
                                                                         MarkRead.state == MarkReadState.PENDING))
    if left:
        raise RuntimeError(f"{left} unclear ballots still wait after two members decided them")


def _check_decided(poll_id: int, truths: dict[str, BallotTruth], report: ImageCount) -> None:
    """Every ballot the reader counted alone has the truth's verdict (else a wrong automatic decision)."""
    ids = _ids(poll_id)
    not_read = set(db.session.scalars(db.select(MarkRead.serial).where(MarkRead.poll_id == poll_id)))
    not_read |= set(report.by_hand)
    for scan in db.session.scalars(db.select(BallotScan).where(BallotScan.poll_id == poll_id)):
        if scan.serial in not_read:  # decided by two members, or tapped
            continue
        report.decided += 1
        truth = truths[scan.serial]
        choice, reason = decision_of(truth).form(ids)
        if truth.verdict is None or (scan.valid, scan.choice, scan.reason) != (not reason, choice, reason or "valid"):
            report.wrong[scan.serial] = (f"{scan.serial} ({report.samples[scan.serial]}): {truth.describe()} — read "
                                         f"as {'valid ' + scan.choice if scan.valid else 'invalid ' + scan.reason}")


def count_by_taps(poll_id: int, texts: Sequence[str], decisions: Sequence[Decision], member: Member) -> float:
    """Each ballot tapped as the scan page sends it (its QR text, the choice, a fresh idempotency key); seconds."""
    ids = _ids(poll_id)
    started = time.perf_counter()
    for index, (text, decision) in enumerate(zip(texts, decisions, strict=True)):
        choice, reason = decision.form(ids)
        response = member.post(f"/polls/{poll_id}/scan", json={"text": text, "choice": choice, "reason": reason,
                                                                "idempotency_key": f"tap-{poll_id}-{index:05d}"})
        if response.status_code != 201:
            raise RuntimeError(f"tap {index} refused: {response.status_code} {response.get_json()}")
    return time.perf_counter() - started


def finish(poll_id: int, member: Member) -> CountEntry:
    """The team ends scanning with the households checked in as the ballots issued: the scans become an entry."""
    poll = db.session.get(Poll, poll_id)
    issued = poll.checked_in()
    response = member.post(f"/polls/{poll_id}/scan/finish", data={"ballots_issued": issued, "acknowledged": "y"})
    if response.status_code != 302:
        raise RuntimeError(f"finishing the scans failed: {response.status_code}")
    db.session.expire_all()
    entry = db.session.scalar(db.select(CountEntry).where(CountEntry.poll_id == poll_id,
                                                          CountEntry.method == CountMethod.PER_BALLOT))
    if entry is None:
        raise RuntimeError("no count entry after finishing the scans")
    return entry


@dataclass(frozen=True)
class Count:
    """A count by position on the ballot: comparable between twin hamlets."""

    returned: int
    valid: int
    invalid: int
    votes: tuple[int, ...]  # per candidate, in ballot order (one candidate: its "Đồng ý")
    against: int  # one candidate: "Không đồng ý"

    def lines(self, names: Sequence[str]) -> list[str]:
        votes = ", ".join(f"{name} {n}" for name, n in zip(names, self.votes))
        return [f"ballots counted {self.returned}: valid {self.valid}, invalid {self.invalid}; {votes}"
                + (f"; against {self.against}" if len(self.votes) == 1 else "")]


def scans_by_serial(poll_id: int) -> dict[str, tuple[bool, str, str]]:
    """Each counted ballot's record: (valid, choice, reason)."""
    return {scan.serial: (scan.valid, scan.choice, scan.reason)
            for scan in db.session.scalars(db.select(BallotScan).where(BallotScan.poll_id == poll_id))}


def entry_count(entry: CountEntry) -> Count:
    ids = [str(c.id) for c in poll_candidates(entry.poll)]
    votes = entry.votes or {}
    return Count(entry.ballots_returned, entry.valid_ballots, entry.invalid_ballots,
                 tuple(int(votes.get(i, 0)) for i in ids), entry.against)


def truth_count(decisions: Sequence[Decision], candidates: int) -> Count:
    valid = [d for d in decisions if d.valid]
    if candidates == 1:
        votes: tuple[int, ...] = (sum(d.mark == AGREE for d in valid),)
        against = sum(d.mark == DISAGREE for d in valid)
    else:
        votes, against = tuple(sum(d.kept == i for d in valid) for i in range(candidates)), 0
    return Count(len(decisions), len(valid), len(decisions) - len(valid), votes, against)


# The bench: a rehearsal hamlet -------------------------------------------------------------------------------------

PASSWORD = "mat-khau-dien-tap"


def _config(uri: str) -> dict:
    return {"TESTING": True, "ENV_NAME": "test", "SECRET_KEY": "image-count-secret", "SQLALCHEMY_DATABASE_URI": uri,
            "WTF_CSRF_ENABLED": False, "SERVER_NAME": "localhost"}


def _rehearsed(folder: Path, scale: str) -> tuple[Path, float]:
    started = time.perf_counter()
    path = folder / "rehearsal.sqlite"
    app = create_app(_config(f"sqlite:///{path}"), instance_path=str(folder / "instance-seed"))
    with app.app_context():
        db.create_all()
        seed_demo(scale=scale, password=PASSWORD, progress=False)
        result = app.test_cli_runner().invoke(args=["rehearsal", "--quiet", "--password", PASSWORD])
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        db.session.remove()
        db.engine.dispose()
    return path, time.perf_counter() - started


def _counting_poll() -> tuple[Poll, list[str]]:
    """The rehearsal's hamlet in counting (step "scanning") and its team's logins (a second member added when it has
    one only: two different members decide an unclear ballot)."""
    poll = db.session.scalars(db.select(Poll).where(Poll.status == PollStatus.COUNTING).order_by(Poll.id)).first()
    if poll is None:
        raise RuntimeError("the rehearsal left no hamlet counting")
    team = db.session.scalars(db.select(User).where(User.role == Role.POLLING_TEAM, User.hamlet_id == poll.hamlet_id)
                              .order_by(User.id)).all()
    if len(team) < 2:
        second = User(username=f"{team[0].username}.2", full_name=f"{team[0].full_name} (thành viên 2)",
                      role=Role.POLLING_TEAM, district_id=team[0].district_id, commune_id=team[0].commune_id,
                      hamlet_id=team[0].hamlet_id, term_id=team[0].term_id)
        second.set_password(PASSWORD)
        db.session.add(second)
        db.session.commit()
        team.append(second)
    return poll, [user.username for user in team[:2]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "district"], default="tiny", help="the demo seed's scale")
    parser.add_argument("--seed", type=int, default=1, help="the marks' and the degradations' seed")
    parser.add_argument("--photo-share", type=float, default=0.4, help="share of the ballots photographed")
    parser.add_argument("--degrade", choices=["default", "mild"], default="default")
    parser.add_argument("--keep", type=Path, help="keep the two databases in this folder")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "image-count",
                        help="where the images of wrong reads go")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="image-count-"))
    try:
        path, seconds = _rehearsed(folder, args.scale)
        print(f"seed ({args.scale}) and rehearsal: {seconds:.1f} s")
        twin = folder / "taps.sqlite"
        shutil.copyfile(path, twin)  # the same ballots, the same serials and signatures: counted by taps
        images_app = create_app(_config(f"sqlite:///{path}"), instance_path=str(folder / "instance-images"))
        taps_app = create_app(_config(f"sqlite:///{twin}"), instance_path=str(folder / "instance-taps"))
        with images_app.app_context():
            poll, logins = _counting_poll()
            poll_id, hamlet = poll.id, poll.hamlet.full_name
            names = [c.person.full_name for c in poll_candidates(poll)]
            present = poll.checked_in()
            kinds = marks(present, len(names), args.seed)
            printed = printed_ballots(poll, kinds, args.seed)
            print(f"{hamlet}: {len(names)} candidates, {present} households checked in, {len(printed)} ballots marked "
                  f"({', '.join(f'{k} {n}' for k, n in Counter(kinds).most_common())})")
            first, second = (Member(images_app, login, PASSWORD) for login in logins)
            report, truths = count_by_images(poll_id, printed, first, second, args.seed, args.photo_share,
                                             Degrade.mild() if args.degrade == "mild" else DEFAULT_DEGRADE)
            started = time.perf_counter()
            images = entry_count(finish(poll_id, first))
            report.seconds["finishing"] = time.perf_counter() - started
            by_serial = serials(printed)
            texts = [ballot.qr_text for ballot in by_serial.values()]
            decisions = [decision_of(truths[serial]) for serial in by_serial]
            read = scans_by_serial(poll_id)
        with taps_app.app_context():
            poll, logins = _counting_poll()
            tapper = Member(taps_app, logins[0], PASSWORD)
            tapped = count_by_taps(poll.id, texts, decisions, tapper)
            taps = entry_count(finish(poll.id, tapper))
            tapped_scans = scans_by_serial(poll.id)
        truth = truth_count(decisions, len(names))
        print(f"read: {report.photos} photos, {report.pages} scanner pages ({args.degrade} degradations, seed "
              f"{args.seed}), {report.retakes} photos taken again, {len(report.by_hand)} ballots unreadable on "
              f"every photo counted by a tap; {report.decided} ballots decided by the reader, {report.unclear} by two "
              f"members ({', '.join(f'{k} {n}' for k, n in report.unclear_kinds.items())})")
        for part, seconds in report.seconds.items():
            print(f"  {part}: {seconds:.1f} s")
        print(f"  taps: {tapped:.1f} s for {len(texts)} ballots")
        for label, count in (("images", images), ("taps", taps), ("truth", truth)):
            print(f"{label:>7}: {count.lines(names)[0]}")
        differ = sorted(serial for serial in set(read) | set(tapped_scans) if read.get(serial) != tapped_scans.get(serial))
        print(f"ballot by ballot (the same serials in both databases): {len(differ)} recorded differently"
              + (f": {', '.join(differ)}" if differ else ""))
        for serial, line in report.wrong.items():
            args.out.mkdir(parents=True, exist_ok=True)
            data = report.images[serial].data
            image = args.out / f"wrong-seed{args.seed}-{serial}.{'png' if data.startswith(PNG) else 'jpg'}"
            image.write_bytes(data)
            print(f"WRONG automatic decision: {line} ({image})")
        for line in report.refused:
            print(f"refused: {line}")
        same = images == taps == truth and not differ and not report.wrong and not report.refused
        print("the count from images equals the count from taps" if same else "THE COUNTS DIFFER")
        return 0 if same else 1
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("rehearsal.sqlite", "taps.sqlite"):
                if (folder / name).exists():
                    shutil.copyfile(folder / name, args.keep / name)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
