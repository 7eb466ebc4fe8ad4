"""The district's live board on election Sunday: every hamlet's status, turnout, result and overdue steps.

One JSON shape (`board_data`) feeds the page (refreshed by fetch every 15 s), the API and the exports; it
is built from a handful of grouped queries so the board stays fast with hundreds of hamlets.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from candidates.models import Candidacy
from core.access import scope_communes, scope_hamlets, user_district_id
from core.i18n import tr
from core.models import Commune, District, Hamlet, Person, current_term
from core.vietnamese import format_date, local_date, vietnam_today
from election.calculator import rounded_share
from election.counting import OUTCOME_LABELS
from election.models import (
    CheckIn,
    CountResult,
    MinutesUpload,
    Poll,
    PollStatus,
    household_totals,
    households_for_quorum,
)
from election.recognition import revote_due
from election.rules import quorum_met, recognition_deadline
from extensions import db

REFRESH_SECONDS = 15
EXPORT_COLUMNS = [  # (key, Vietnamese header)
    ("commune", "Xã"), ("hamlet", "Thôn, TDP"), ("round_no", "Vòng"), ("status_label", "Trạng thái"),
    ("mode_label", "Hình thức"), ("total_households", "Tổng số hộ"),
    ("total_source_text", "Nguồn tổng số hộ"), ("households_present", "Số hộ có mặt"),
    ("quorum_needed", "Số hộ cần để đủ"), ("turnout", "Tỷ lệ có mặt"), ("ballots_returned", "Phiếu thu vào"),
    ("valid_ballots", "Phiếu hợp lệ"), ("outcome_label", "Kết quả"), ("winner", "Người trúng cử"),
    ("winner_votes", "Số phiếu"), ("winner_share_of_total", "Tỷ lệ/tổng số hộ"), ("overdue_text", "Quá hạn"),
    ("single_member_text", "Kiểm soát hai người"),
]

PERCENT_COLUMNS = tuple(i for i, (key, _header) in enumerate(EXPORT_COLUMNS)
                        if key in ("turnout", "winner_share_of_total"))


def _ratio(part: int | None, whole: int | None) -> float | None:
    from fractions import Fraction

    return rounded_share(Fraction(part, whole)) if part is not None and whole else None


def board_data(commune_id: int | None = None, today: date | None = None) -> dict:
    """The board for the current user's scope (optionally one commune)."""

    today = today or vietnam_today()
    district_id = user_district_id()
    term = current_term(district_id) if district_id else None
    stmt = scope_hamlets(db.select(Hamlet, Commune).join(Commune, Hamlet.commune_id == Commune.id), Hamlet, Commune)
    stmt = stmt.where(Hamlet.ended_on.is_(None)).order_by(Commune.name, Hamlet.name)
    if district_id is not None:
        stmt = stmt.where(Commune.district_id == district_id)
    if commune_id:
        stmt = stmt.where(Commune.id == commune_id)
    hamlets = db.session.execute(stmt).all()
    commune_stmt = scope_communes(db.select(Commune).where(Commune.ended_on.is_(None)).order_by(Commune.name), Commune)
    if district_id is not None:
        commune_stmt = commune_stmt.where(Commune.district_id == district_id)
    communes = db.session.scalars(commune_stmt).all()
    if term is None:
        return {"term": None, "election_day": None, "rows": [], "summary": {}, "communes": [],
                "commune_filter": [{"id": c.id, "name": c.name} for c in communes], "refresh_seconds": REFRESH_SECONDS}

    hamlet_ids = [h.id for h, _ in hamlets]
    polls = {p.hamlet_id: p for p in db.session.scalars(
        db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id.in_(hamlet_ids)).order_by(Poll.round_no))}
    poll_ids = [p.id for p in polls.values()]
    # The one total of each hamlet (R-V5/R-V7 denominator): frozen by its poll once open, else roll or register.
    households = household_totals(term.id, hamlet_ids, polls)
    checked_in = dict(db.session.execute(db.select(CheckIn.poll_id, db.func.count(CheckIn.id))
                                         .where(CheckIn.poll_id.in_(poll_ids)).group_by(CheckIn.poll_id)).tuples().all())
    results = {r.poll_id: r for r in db.session.scalars(db.select(CountResult).where(CountResult.poll_id.in_(poll_ids)))}
    received = dict(db.session.execute(db.select(MinutesUpload.poll_id, db.func.min(MinutesUpload.uploaded_at))
                                       .where(MinutesUpload.poll_id.in_(poll_ids)).group_by(MinutesUpload.poll_id)).tuples().all())
    winner_ids = [r.winner_candidacy_id for r in results.values() if r.winner_candidacy_id]
    winners = dict(db.session.execute(db.select(Candidacy.id, Person.full_name).join(Person)
                                      .where(Candidacy.id.in_(winner_ids))).tuples().all()) if winner_ids else {}

    rows = []
    for hamlet, commune in hamlets:
        poll = polls.get(hamlet.id)
        status = poll.status if poll else PollStatus.NOT_STARTED
        total_of = households[hamlet.id]
        total = total_of.count
        present = None
        if poll is not None:
            present = poll.households_present_typed if poll.households_present_typed is not None else (
                checked_in.get(poll.id) or None)
        result = results.get(poll.id) if poll else None
        if result is not None and result.households_present is not None:
            present = result.households_present
        quorum_needed = households_for_quorum(total) if total else None
        overdue: list[str] = []
        if status == PollStatus.NOT_STARTED and today > term.election_day:
            overdue.append(_("Chưa bỏ phiếu sau ngày bầu cử"))
        if result is not None and result.outcome == "elected" and status in (PollStatus.SUBMITTED,
                                                                              PollStatus.VALIDATED):
            start = received.get(poll.id) or poll.submitted_at
            due = recognition_deadline(local_date(start)) if start else None
            if due and today > due:
                overdue.append(_("Quá hạn công nhận (R-V9, hạn %(d)s)", d=format_date(due)))
        if poll is not None and poll.round_no > 1 and status in (PollStatus.NOT_STARTED, PollStatus.VOTING,
                                                                PollStatus.COUNTING):
            due = revote_due(poll)
            if due and today > due:
                overdue.append(_("Quá hạn bầu lại (R-V8, hạn %(d)s)", d=format_date(due)))
        winner_votes = None
        if result is not None and result.winner_candidacy_id:
            winner_votes = int((result.votes or {}).get(str(result.winner_candidacy_id), 0))
        rows.append({
            "commune_id": commune.id, "commune": commune.name, "hamlet_id": hamlet.id, "hamlet": hamlet.name,
            "poll_id": poll.id if poll else None, "round_no": poll.round_no if poll else 1,
            "status": status.value, "status_label": tr(status.label),
            "mode": poll.mode.value if poll else "meeting", "mode_label": tr(poll.mode.label) if poll else "",
            "total_households": total, "total_source": total_of.source, "total_source_label": total_of.source_label,
            "total_source_text": total_of.source_text, "households_present": present, "quorum_needed": quorum_needed,
            "turnout": _ratio(present, total),
            "quorum_met": quorum_met(total, present) if present is not None and total else None,
            "ballots_returned": result.ballots_returned if result else None,
            "valid_ballots": result.valid_ballots if result else None,
            "outcome": result.outcome if result else None,
            "outcome_label": tr(OUTCOME_LABELS.get(result.outcome, "")) if result else "",
            "winner": winners.get(result.winner_candidacy_id, "") if result else "",
            "winner_votes": winner_votes, "winner_share_of_total": _ratio(winner_votes, result.total_households)
            if result and winner_votes is not None else None,
            "overdue": overdue, "overdue_text": "; ".join(overdue),
            # R-C7 yields for a one-person team: the same account entered and decided (flagged on the board).
            "single_member": bool(poll and poll.single_member),
            "single_member_reason": poll.single_member_reason if poll and poll.single_member else "",
            "single_member_text": _("một người nhập") if poll and poll.single_member else "",
            "url": url_for("election.show_poll", poll_id=poll.id) if poll else
            url_for("election.hamlet_election", hamlet_id=hamlet.id),
        })

    by_status = Counter(r["status"] for r in rows)
    per_commune: dict[int, dict] = {}
    for r in rows:
        c = per_commune.setdefault(r["commune_id"], {"id": r["commune_id"], "name": r["commune"], "hamlets": 0,
                                                     "present": 0, "total": 0, "done": 0, "elected": 0, "overdue": 0})
        c["hamlets"] += 1
        c["total"] += r["total_households"] or 0
        c["present"] += r["households_present"] or 0
        c["done"] += r["status"] in ("submitted", "validated", "recognised", "acting_chief")
        c["elected"] += r["outcome"] == "elected"
        c["overdue"] += bool(r["overdue"])
    for c in per_commune.values():
        c["turnout"] = _ratio(c["present"], c["total"])
    summary = {
        "hamlets": len(rows), "by_status": [{"status": s.value, "label": tr(s.label), "count": by_status.get(s.value, 0)}
                                            for s in PollStatus],
        "elected": sum(r["outcome"] == "elected" for r in rows), "overdue": sum(bool(r["overdue"]) for r in rows),
        "households": sum(r["total_households"] or 0 for r in rows),
        "present": sum(r["households_present"] or 0 for r in rows),
    }
    summary["turnout"] = _ratio(summary["present"], summary["households"])
    return {"term": term.name, "election_day": term.election_day.isoformat(), "rows": rows, "summary": summary,
            "communes": list(per_commune.values()),
            "commune_filter": [{"id": c.id, "name": c.name} for c in communes], "refresh_seconds": REFRESH_SECONDS}


def _export_rows(data: dict) -> list[list]:
    rows = []
    for r in data["rows"]:
        rows.append([r.get(key) for key, _header in EXPORT_COLUMNS])  # None: an empty cell
    return rows


def export_scope(commune_id: int | None) -> str:
    """The code that names a board export: the hamlet's or commune's the export covers, else the district's; "loc"
    (filtered) when the filter names no commune the user sees."""
    if current_user.hamlet_id is not None:
        return db.session.scalar(db.select(Hamlet.code).where(Hamlet.id == current_user.hamlet_id)) or "loc"
    commune_id = commune_id or current_user.commune_id
    if commune_id:
        return db.session.scalar(scope_communes(db.select(Commune.code).where(Commune.id == commune_id), Commune)) \
            or "loc"
    district_id = user_district_id()
    return (db.session.scalar(db.select(District.code).where(District.id == district_id)) if district_id else None) \
        or "tat-ca"
