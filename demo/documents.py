"""Every PDF the app prints, taken from the seeded and rehearsed demo district through its real route.

`render_documents(app)` signs the test client in as the demo district office (tcnv.binhson: a reader of every
document of its district) and fetches each document kind over HTTP, as a person's browser would; the ballots'
other layouts (the demo prints A4x4 batches only) are drawn from the same poll's batch by the ballots package's own
renderer, without changing the database. `flask review-documents` (make review-documents) writes them under
review/ with one PNG each and the document check's findings (demo/document_check.py).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pypdfium2 as pdfium
import sqlalchemy as sa
from flask import Flask, current_app, url_for
from flask.testing import FlaskClient

from ballots.models import BallotBatch, BallotLayout
from ballots.pdf import LAYOUTS, render_ballots
from ballots.printing import BALLOTS_PER_PAGE, batch_payloads, candidate_list_of, sheet_spec
from candidates.models import Candidacy, CandidateList, ExceptionRequest, ListState, RequestState
from chapters.models import Congress
from core.accounts import SESSION_VERSION_KEY, Role, User
from core.models import Chapter, Commune, District, Hamlet, Term
from demo.document_check import Finding, check_document
from demo.seed import BINH_SON_NAME
from election.models import Poll, Recognition, VoterRoll
from extensions import db
from training.models import Attendance, Course, CourseSession, Enrolment

READER = "tcnv.binhson"  # the demo's district office: reads every document of Bình Sơn
# The kinds, in the order a person reviews them, with their Vietnamese names.
KINDS: dict[str, str] = {
    **{f"ballots-{layout}": f"Phiếu bầu ({layout})" for layout in LAYOUTS},
    "candidate-list": "Danh sách người ứng cử",
    "exception-request": "Tờ trình đề nghị ngoại lệ",
    "exception-decision": "Quyết định chấp thuận ngoại lệ",
    "exception-decision-rejected": "Quyết định không chấp thuận ngoại lệ",
    "roll": "Danh sách cử tri",
    "counting-minutes": "Biên bản kiểm phiếu",
    "recognition-decision": "Quyết định công nhận kết quả bầu",
    "congress-minutes": "Biên bản đại hội chi bộ",
    "targets-report": "Báo cáo thực hiện chỉ tiêu",
    "review-report": "Báo cáo sơ kết",
    "team-logins": "Danh sách tài khoản Tổ bầu cử",
    "attendance-sheet": "Danh sách học viên tham dự",
    "certificate": "Giấy chứng nhận hoàn thành khóa bồi dưỡng",
}
OPTIONAL = frozenset({"exception-decision-rejected"})  # printed when the demo has one; not missing otherwise
FINDINGS_SHOWN = 3  # per check and document in the review's table; the tests list them all
BALLOT_SAMPLE_PAGES = 2  # the other layouts: the batch's first ballots, two pages' worth


@dataclass(frozen=True)
class RenderedDocument:
    kind: str
    label: str
    url: str
    pdf: bytes
    pages: int


class MissingDocument(LookupError):
    """The demo has nothing to print for a kind (e.g. no training course yet)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def reader_client(app: Flask, username: str = READER) -> FlaskClient:
    """The app's test client with `username` signed in: the session Flask-Login and core.accounts.load_user read
    (user id, and the session version that logging out or a password change bumps), as the login form would leave
    it; no password, no login attempt recorded, and every route still checks the role and the scope."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise MissingDocument("*", f"no user {username!r}: seed the demo first (flask seed, flask rehearsal)")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[SESSION_VERSION_KEY] = user.session_version
    return client


class _Renderer:
    def __init__(self, app: Flask, client: FlaskClient, district: District) -> None:
        self.app = app
        self.client = client
        self.district = district
        self.term = db.session.scalar(sa.select(Term).where(Term.district_id == district.id, Term.is_current))

    def url(self, endpoint: str, **values: Any) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def fetch(self, kind: str, endpoint: str, **values: Any) -> RenderedDocument:
        url = self.url(endpoint, **values)
        response = self.client.get(url)
        if response.status_code != 200 or response.mimetype != "application/pdf":
            raise MissingDocument(kind, f"GET {url} answered {response.status_code} {response.mimetype}")
        return self.document(kind, url, response.get_data())

    @staticmethod
    def document(kind: str, url: str, pdf: bytes) -> RenderedDocument:
        return RenderedDocument(kind, KINDS[kind], url, pdf, page_count(pdf))

    def in_district(self, statement: sa.Select) -> sa.Select:
        return statement.join(Commune, Hamlet.commune_id == Commune.id).where(Commune.district_id == self.district.id)

    # -- the kinds -----------------------------------------------------------------------------------------
    def ballots(self) -> Iterator[RenderedDocument]:
        batch = db.session.scalar(self.in_district(
            sa.select(BallotBatch).join(Poll, BallotBatch.poll_id == Poll.id).join(Hamlet, Poll.hamlet_id == Hamlet.id))
            .where(BallotBatch.test.is_(False)).order_by(BallotBatch.id))
        if batch is None:
            raise MissingDocument("ballots-A4x4", "no ballot batch printed in the demo")
        for layout in LAYOUTS:
            kind = f"ballots-{layout}"
            if layout == batch.layout.value:
                yield self.fetch(kind, "ballots.download_batch", batch_id=batch.id)
                continue
            # The same poll's ballots in another layout, drawn by the batch download's own renderer (nothing stored).
            candidate_list = candidate_list_of(batch.poll)
            assert candidate_list is not None
            layout_enum = BallotLayout(layout)
            spec = sheet_spec(batch.poll, candidate_list, layout_enum, batch.test, batch.geometry_version)
            out = io.BytesIO()
            count = BALLOTS_PER_PAGE[layout_enum] * BALLOT_SAMPLE_PAGES
            render_ballots(spec, batch_payloads(batch)[:count], out)
            url = f"{self.url('ballots.download_batch', batch_id=batch.id)} ({layout}: ballots.pdf.render_ballots)"
            yield self.document(kind, url, out.getvalue())

    def candidate_list(self) -> Iterator[RenderedDocument]:
        # The longest confirmed list: the table most likely to overflow.
        found = db.session.execute(self.in_district(
            sa.select(CandidateList.id, sa.func.count(Candidacy.id))
            .join(Candidacy, Candidacy.list_id == CandidateList.id)
            .join(Hamlet, CandidateList.hamlet_id == Hamlet.id))
            .where(CandidateList.state == ListState.CONFIRMED)
            .group_by(CandidateList.id).order_by(sa.func.count(Candidacy.id).desc(), CandidateList.id)).first()
        if found is None:
            raise MissingDocument("candidate-list", "no confirmed candidate list in the demo")
        yield self.fetch("candidate-list", "candidates.list_pdf", list_id=found[0])

    def _requests(self, *states: RequestState) -> list[ExceptionRequest]:
        return list(db.session.scalars(self.in_district(
            sa.select(ExceptionRequest).join(Candidacy, ExceptionRequest.candidacy_id == Candidacy.id)
            .join(CandidateList, Candidacy.list_id == CandidateList.id)
            .join(Hamlet, CandidateList.hamlet_id == Hamlet.id))
            .where(ExceptionRequest.state.in_(states)).order_by(ExceptionRequest.id)))

    def exceptions(self) -> Iterator[RenderedDocument]:
        requests = self._requests(*RequestState)
        if not requests:
            raise MissingDocument("exception-request", "no exception request in the demo")
        yield self.fetch("exception-request", "candidates.request_pdf", request_id=requests[0].id)
        approved = self._requests(RequestState.APPROVED)
        rejected = self._requests(RequestState.REJECTED)
        if rejected:
            yield self.fetch("exception-decision-rejected", "candidates.decision_pdf", request_id=rejected[0].id)
        if not approved:
            raise MissingDocument("exception-decision", "no approved exception request in the demo (the rehearsal "
                                                        "leaves its request waiting for the approving authority)")
        yield self.fetch("exception-decision", "candidates.decision_pdf", request_id=approved[0].id)

    def roll(self) -> Iterator[RenderedDocument]:
        roll = db.session.scalar(self.in_district(
            sa.select(VoterRoll).join(Hamlet, VoterRoll.hamlet_id == Hamlet.id))
            .where(VoterRoll.term_id == (self.term.id if self.term else None))
            .order_by(VoterRoll.entry_count.desc(), VoterRoll.id))
        if roll is None:
            raise MissingDocument("roll", "no voter roll in the demo")
        yield self.fetch("roll", "election.roll_pdf", hamlet_id=roll.hamlet_id)

    def poll_documents(self) -> Iterator[RenderedDocument]:
        poll_id = db.session.scalar(self.in_district(
            sa.select(Poll.id).join(Recognition, Recognition.poll_id == Poll.id)
            .join(Hamlet, Poll.hamlet_id == Hamlet.id))
            .where(Recognition.superseded_at.is_(None)).order_by(Poll.id))
        if poll_id is None:
            raise MissingDocument("counting-minutes", "no recognised poll in the demo")
        yield self.fetch("counting-minutes", "election.minutes_pdf", poll_id=poll_id)
        yield self.fetch("recognition-decision", "election.recognition_pdf", poll_id=poll_id)

    def congress(self) -> Iterator[RenderedDocument]:
        congress_id = db.session.scalar(self.in_district(
            sa.select(Congress.id).join(Chapter, Congress.chapter_id == Chapter.id)
            .join(Hamlet, Chapter.hamlet_id == Hamlet.id))
            .where(Congress.official_members_convened > 0).order_by(Congress.id))
        if congress_id is None:
            raise MissingDocument("congress-minutes", "no chapter congress (with its attendance) in the demo")
        yield self.fetch("congress-minutes", "chapters.congress_minutes", congress_id=congress_id)

    def reports(self) -> Iterator[RenderedDocument]:
        year = self.term.election_day.year if self.term else None
        yield self.fetch("targets-report", "chapters.dashboard_report", period="year", year=year)
        yield self.fetch("review-report", "chapters.review_report", year=year)

    def team_logins(self) -> Iterator[RenderedDocument]:
        found = db.session.execute(self.in_district(
            sa.select(Hamlet.id, sa.func.count(User.id)).join(User, User.hamlet_id == Hamlet.id))
            .where(User.role == Role.POLLING_TEAM)
            .group_by(Hamlet.id).order_by(sa.func.count(User.id).desc(), Hamlet.id)).first()
        if found is None:
            raise MissingDocument("team-logins", "no polling-team account in the demo")
        yield self.fetch("team-logins", "core.team_logins_sheet", hamlet_id=found[0])

    def attendance_sheet(self) -> Iterator[RenderedDocument]:
        session_id = db.session.scalar(
            sa.select(CourseSession.id).join(Course, CourseSession.course_id == Course.id)
            .join(Attendance, Attendance.session_id == CourseSession.id)
            .where(Course.district_id == self.district.id).order_by(CourseSession.id).limit(1))
        if session_id is None:
            raise MissingDocument("attendance-sheet", "no training session with attendance in the demo")
        yield self.fetch("attendance-sheet", "training.attendance_sheet", session_id=session_id)

    def certificate(self) -> Iterator[RenderedDocument]:
        enrolment_ids = db.session.scalars(
            sa.select(Enrolment.id).join(Course, Enrolment.course_id == Course.id)
            .where(Course.district_id == self.district.id, Enrolment.completed_on.is_not(None))
            .order_by(Enrolment.id))
        for enrolment_id in enrolment_ids:
            try:
                yield self.fetch("certificate", "training.certificate", enrolment_id=enrolment_id)
                return
            except MissingDocument:
                continue
        raise MissingDocument("certificate", "no completed enrolment whose certificate prints in the demo")


def render_documents(app: Flask, missing: list[MissingDocument] | None = None) -> list[RenderedDocument]:
    """Every document kind of the demo district (KINDS), fetched through its route by the district office.

    A kind the demo lacks raises MissingDocument, or with `missing` given is appended to it and left out."""
    district = db.session.scalar(sa.select(District).where(District.name == BINH_SON_NAME))
    if district is None:
        raise MissingDocument("*", "no demo district: run flask seed and flask rehearsal first")
    renderer = _Renderer(app, reader_client(app), district)
    groups: list[Callable[[], Iterator[RenderedDocument]]] = [
        renderer.ballots, renderer.candidate_list, renderer.exceptions, renderer.roll, renderer.poll_documents,
        renderer.congress, renderer.reports, renderer.team_logins, renderer.attendance_sheet,
        renderer.certificate]
    documents: list[RenderedDocument] = []
    for group in groups:
        try:
            documents.extend(group())
        except MissingDocument as error:
            if missing is None:
                raise
            missing.append(error)
    order = list(KINDS)
    return sorted(documents, key=lambda d: order.index(d.kind))


# ----------------------------------------------------------------------------------------------------------
# make review-documents
# ----------------------------------------------------------------------------------------------------------

def write_review(documents: list[RenderedDocument], folder: Path, dpi: int = 100) -> dict[str, list[Finding]]:
    """Each document's PDF, its first page as <kind>.png (and the last as <kind>-last.png) under `folder`; returns
    the document check's findings per kind."""
    folder.mkdir(parents=True, exist_ok=True)
    findings: dict[str, list[Finding]] = {}
    for document in documents:
        (folder / f"{document.kind}.pdf").write_bytes(document.pdf)
        pdf = pdfium.PdfDocument(document.pdf)
        try:
            pages = [(0, f"{document.kind}.png")]
            if len(pdf) > 1:
                pages.append((len(pdf) - 1, f"{document.kind}-last.png"))
            for index, name in pages:
                image = pdf[index].render(scale=dpi / 72).to_pil()
                image.save(folder / name)
        finally:
            pdf.close()
        findings[document.kind] = check_document(document.kind, document.pdf)
    return findings


@click.command("review-documents")
@click.option("--out", "out", default="review", show_default=True, type=click.Path(file_okay=False),
              help="Thư mục ghi các tệp PDF và PNG.")
def review_documents(out: str) -> None:
    """Every PDF of the demo district under review/ (a PNG of each), with the document check's findings."""
    missing: list[MissingDocument] = []
    documents = render_documents(current_app._get_current_object(), missing)  # type: ignore[attr-defined]  # the running app
    findings = write_review(documents, Path(out))
    width = max(len(kind) for kind in KINDS)
    click.echo(f"{'kind':<{width}}  pages  label / findings")
    for document in documents:
        found = findings[document.kind]
        click.echo(f"{document.kind:<{width}}  {document.pages:>5}  {document.label}"
                   f"{'' if found else '  ✓'}")
        shown: dict[str, int] = {}
        for finding in found:
            shown[finding.check] = shown.get(finding.check, 0) + 1
            if shown[finding.check] <= FINDINGS_SHOWN:
                click.echo(f"{'':<{width}}         ✗ {finding}")
        for check, count in shown.items():
            if count > FINDINGS_SHOWN:
                click.echo(f"{'':<{width}}         ✗ {check}: {count - FINDINGS_SHOWN} more")
    for error in missing:
        click.echo(f"{error.kind:<{width}}      -  THIẾU: {error.reason}")
    click.echo(f"\n{len(documents)} documents written to {out}/ "
               f"({sum(1 for f in findings.values() if f)} with findings, {len(missing)} missing).")
