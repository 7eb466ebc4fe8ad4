"""The district's live board on election Sunday: every hamlet's status, turnout, result and overdue steps.

One JSON shape (`board_data`) feeds the page (refreshed by fetch every 15 s), the API and the exports; it
is built from a handful of grouped queries so the board stays fast with hundreds of hamlets.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from candidates.models import Candidacy
from core.access import scope_communes, scope_hamlets
from core.i18n import tr
from core.models import Commune, District, Hamlet, Person, Term
from core.vietnamese import format_date, local_date, vietnam_today
from election.calculator import rounded_share
from election.counting import OUTCOME_LABELS
from election.models import (
    CheckIn,
    CountResult,
    MinutesUpload,
    Poll,
    PollMode,
    PollStatus,
    household_totals_of,
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


def board_terms() -> dict[int, Term]:
    """The districts the board covers, each with its current term: the user's district, or for a user of no district
    (the admin) every district of the installation, the province's board (districts without a current term left
    out)."""
    stmt = db.select(Term).where(Term.is_current.is_(True)).order_by(Term.district_id, Term.id)
    if current_user.district_id is not None:
        stmt = stmt.where(Term.district_id == current_user.district_id)
    terms: dict[int, Term] = {}
    for term in db.session.scalars(stmt):
        terms.setdefault(term.district_id, term)
    return terms


def _id_url(endpoint: str, key: str):
    """url_for(endpoint, key=<id>) for many ids: built once (url_for per row is a large share of a province's board)."""
    marker = 987654321
    values: dict[str, Any] = {key: marker}
    template = url_for(endpoint, **values)
    head, tail = template.split(str(marker), 1)
    return lambda value: f"{head}{value}{tail}"


def _district_ids(terms: dict[int, Term]) -> list[int]:
    return sorted(terms) if current_user.district_id is None else [current_user.district_id]


def _commune_filter(district_ids: list[int]) -> list[dict]:
    """The communes the user may filter the board by (a province's: "Commune (District)", names recur)."""
    stmt = scope_communes(db.select(Commune.id, Commune.name, District.name.label("district"))
                          .join(District, Commune.district_id == District.id)
                          .where(Commune.ended_on.is_(None), Commune.district_id.in_(district_ids))
                          .order_by(Commune.name, District.name), Commune)
    province = len(district_ids) > 1
    return [{"id": c.id, "name": f"{c.name} ({c.district})" if province else c.name}
            for c in db.session.execute(stmt)]


def _term_fields(terms: dict[int, Term]) -> dict:
    """The term and election day the board's heading names: the districts' own, or the earliest day when they differ."""
    if not terms:
        return {"term": None, "election_day": None}
    first = terms[min(terms)]
    if all((t.name, t.election_day) == (first.name, first.election_day) for t in terms.values()):
        return {"term": first.name, "election_day": first.election_day.isoformat()}
    return {"term": ", ".join(sorted({t.name for t in terms.values()})),
            "election_day": min(t.election_day for t in terms.values()).isoformat()}


def board_shell(commune_id: int | None = None) -> dict:
    """What the board's page needs before its rows (heading, filter, refresh): the page paints at once and its script
    fetches the rows (board_data, /board.json) straight away, a province's 1,800 hamlets included."""
    terms = board_terms()
    return {**_term_fields(terms), "rows": None, "commune_filter": _commune_filter(_district_ids(terms)),
            "refresh_seconds": REFRESH_SECONDS}


def board_data(commune_id: int | None = None, today: date | None = None) -> dict:
    """The board for the current user's scope (optionally one commune): the user's district, or the whole province
    for a user of no district. Its queries do not grow with the hamlets or the districts it covers."""

    today = today or vietnam_today()
    terms = board_terms()
    district_ids = _district_ids(terms)
    # Columns, not entities: loading 1,800 hamlets and their communes as objects costs more than their queries.
    stmt = scope_hamlets(db.select(Hamlet.id, Hamlet.name, Commune.id.label("commune_id"),
                                   Commune.name.label("commune"), Commune.district_id, District.name.label("district"))
                         .join(Commune, Hamlet.commune_id == Commune.id)
                         .join(District, Commune.district_id == District.id), Hamlet, Commune)
    stmt = stmt.where(Hamlet.ended_on.is_(None), Commune.district_id.in_(district_ids))
    stmt = stmt.order_by(District.name, Commune.name, Hamlet.name) if len(district_ids) > 1 else \
        stmt.order_by(Commune.name, Hamlet.name)
    if commune_id:
        stmt = stmt.where(Commune.id == commune_id)
    hamlets = db.session.execute(stmt).all()
    commune_filter = _commune_filter(district_ids)
    if not terms:
        return {"term": None, "election_day": None, "rows": [], "summary": {}, "communes": [],
                "commune_filter": commune_filter, "refresh_seconds": REFRESH_SECONDS}

    hamlet_terms = {h.id: terms[h.district_id].id for h in hamlets if h.district_id in terms}
    # The hamlets and their polls as subqueries: a province's 1,800 ids as parameters cost more than the queries.
    hamlet_query = stmt.with_only_columns(Hamlet.id).order_by(None)
    term_ids = sorted({t.id for t in terms.values()})
    poll_query = db.select(Poll.id).where(Poll.term_id.in_(term_ids), Poll.hamlet_id.in_(hamlet_query))
    polls = {p.hamlet_id: p for p in db.session.scalars(
        db.select(Poll).where(Poll.term_id.in_(term_ids), Poll.hamlet_id.in_(hamlet_query)).order_by(Poll.round_no))
        if hamlet_terms.get(p.hamlet_id) == p.term_id}
    # The one total of each hamlet (R-V5/R-V7 denominator): frozen by its poll once open, else roll or register.
    households = household_totals_of(hamlet_terms, polls, hamlet_query)
    checked_in = dict(db.session.execute(db.select(CheckIn.poll_id, db.func.count(CheckIn.id))
                                         .where(CheckIn.poll_id.in_(poll_query)).group_by(CheckIn.poll_id))
                      .tuples().all())
    results = {r.poll_id: r for r in db.session.scalars(db.select(CountResult).where(CountResult.poll_id.in_(
        poll_query)))}
    received = dict(db.session.execute(db.select(MinutesUpload.poll_id, db.func.min(MinutesUpload.uploaded_at))
                                       .where(MinutesUpload.poll_id.in_(poll_query))
                                       .group_by(MinutesUpload.poll_id)).tuples().all())
    winner_ids = [r.winner_candidacy_id for r in results.values() if r.winner_candidacy_id]
    winners = dict(db.session.execute(db.select(Candidacy.id, Person.full_name).join(Person)
                                      .where(Candidacy.id.in_(winner_ids))).tuples().all()) if winner_ids else {}

    # The same few labels and links for every row: translated and built once, not per hamlet.
    status_labels = {s: tr(s.label) for s in PollStatus}
    mode_labels = {m: tr(m.label) for m in PollMode}
    outcome_labels = {key: tr(label) for key, label in OUTCOME_LABELS.items()}
    source_labels: dict[str, str] = {}
    not_held = _("Chưa bỏ phiếu sau ngày bầu cử")
    single_member_text = _("một người nhập")
    poll_url = _id_url("election.show_poll", "poll_id")
    hamlet_url = _id_url("election.hamlet_election", "hamlet_id")
    province = len(district_ids) > 1
    rows = []
    quorum: dict[int, int] = {}  # total households -> households needed (R-V5), once per distinct total
    for hamlet in hamlets:
        term = terms.get(hamlet.district_id)
        if term is None:
            continue
        poll = polls.get(hamlet.id)
        status = poll.status if poll else PollStatus.NOT_STARTED
        total_of = households[hamlet.id]
        total = total_of.count
        if total_of.source not in source_labels:
            source_labels[total_of.source] = total_of.source_label
        present = None
        if poll is not None:
            present = poll.households_present_typed if poll.households_present_typed is not None else (
                checked_in.get(poll.id) or None)
        result = results.get(poll.id) if poll else None
        if result is not None and result.households_present is not None:
            present = result.households_present
        if total and total not in quorum:
            quorum[total] = households_for_quorum(total)
        quorum_needed = quorum[total] if total else None
        overdue: list[str] = []
        if status == PollStatus.NOT_STARTED and today > term.election_day:
            overdue.append(not_held)
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
        row = {
            "commune_id": hamlet.commune_id, "commune": hamlet.commune, "hamlet_id": hamlet.id, "hamlet": hamlet.name,
            "poll_id": poll.id if poll else None, "round_no": poll.round_no if poll else 1,
            "status": status.value, "status_label": status_labels[status],
            "mode": poll.mode.value if poll else "meeting", "mode_label": mode_labels[poll.mode] if poll else "",
            "total_households": total, "total_source": total_of.source,
            "total_source_label": source_labels[total_of.source],
            "total_source_text": total_of.source_text, "households_present": present, "quorum_needed": quorum_needed,
            "turnout": _ratio(present, total),
            "quorum_met": quorum_met(total, present) if present is not None and total else None,
            "ballots_returned": result.ballots_returned if result else None,
            "valid_ballots": result.valid_ballots if result else None,
            "outcome": result.outcome if result else None,
            "outcome_label": outcome_labels.get(result.outcome, "") if result else "",
            "winner": winners.get(result.winner_candidacy_id, "") if result else "",
            "winner_votes": winner_votes, "winner_share_of_total": _ratio(winner_votes, result.total_households)
            if result and winner_votes is not None else None,
            "overdue": overdue, "overdue_text": "; ".join(overdue),
            # R-C7 yields for a one-person team: the same account entered and decided (flagged on the board).
            "single_member": bool(poll and poll.single_member),
            "single_member_reason": poll.single_member_reason if poll and poll.single_member else "",
            "single_member_text": single_member_text if poll and poll.single_member else "",
            "url": poll_url(poll.id) if poll else hamlet_url(hamlet.id),
        }
        if province:
            row["district_id"], row["district"] = hamlet.district_id, hamlet.district
        rows.append(row)

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
    return {**_term_fields(terms), "rows": rows, "summary": summary, "communes": list(per_commune.values()),
            "commune_filter": commune_filter, "refresh_seconds": REFRESH_SECONDS}


def _export_rows(data: dict) -> list[list]:
    rows = []
    for r in data["rows"]:
        rows.append([r.get(key) for key, _header in EXPORT_COLUMNS])  # None: an empty cell
    return rows


def export_scope(commune_id: int | None) -> str:
    """The code that names a board export: the hamlet's or commune's the export covers, else the district's ("tat-ca"
    for the province's board of a user of no district); "loc" (filtered) when the filter names no commune the user
    sees."""
    if current_user.hamlet_id is not None:
        return db.session.scalar(db.select(Hamlet.code).where(Hamlet.id == current_user.hamlet_id)) or "loc"
    commune_id = commune_id or current_user.commune_id
    if commune_id:
        return db.session.scalar(scope_communes(db.select(Commune.code).where(Commune.id == commune_id), Commune)) \
            or "loc"
    if current_user.district_id is None:  # the province's board: every district
        return "tat-ca"
    return db.session.scalar(db.select(District.code).where(District.id == current_user.district_id)) or "tat-ca"
