"""The facts each role's to-do list is made of, read in a few grouped queries within the reader's scope
(core.access). The hamlets are the district board's (election.board.board_data), so the home pages' counts and
the board's agree."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from candidates.access import may_decide_exception
from candidates.models import Candidacy, CandidateList, ExceptionRequest, ListState, RemediationPlan, RequestState
from chapters.models import Congress
from core.access import scope_hamlets
from core.accounts import Role, User
from core.enums import Post
from core.models import Chapter, Commune, Hamlet, Person, Position, Term
from election.board import board_data
from election.day import day_facts, day_steps, primary_action
from election.models import Poll, PollStatus, VoterRoll
from extensions import db
from home.items import CandidacyFacts, ChapterFacts, Checklist, HamletFacts, PlanFacts, RequestFacts, hamlet_checklist


@dataclass(frozen=True)
class DayState:
    """A hamlet whose poll opened: its board row and the next step of its election-day page (election.day)."""

    row: dict
    step: str | None  # the current step's label (marked), None when nothing is left
    action: str | None  # the reader's primary action's label (marked) on the poll page


def started(row: dict) -> bool:
    return row["status"] != PollStatus.NOT_STARTED.value or row["round_no"] > 1


def checklists(term: Term, rows: list[dict], today: date, allowed) -> list[Checklist]:
    """The pre-election checklist (home.items.hamlet_checklist) of every hamlet of the board's `rows`."""
    ids = [r["hamlet_id"] for r in rows]
    if not ids:
        return []
    hamlets = {h.id: h for h in db.session.scalars(db.select(Hamlet).where(Hamlet.id.in_(ids))
                                                  .options(selectinload(Hamlet.commune)))}
    lists = {cl.hamlet_id: cl for cl in db.session.scalars(
        db.select(CandidateList).where(CandidateList.term_id == term.id, CandidateList.round_no == 1,
                                       CandidateList.hamlet_id.in_(ids))
        .options(selectinload(CandidateList.candidacies).selectinload(Candidacy.person),
                 selectinload(CandidateList.candidacies).selectinload(Candidacy.exception_requests)))}
    rolls = dict(db.session.execute(db.select(VoterRoll.hamlet_id, VoterRoll.entry_count)
                                    .where(VoterRoll.term_id == term.id, VoterRoll.hamlet_id.in_(ids))).tuples().all())
    teams = dict(db.session.execute(
        db.select(User.hamlet_id, db.func.count(User.id))
        .where(User.role == Role.POLLING_TEAM, User.active.is_(True), User.hamlet_id.in_(ids),
               sa.or_(User.term_id == term.id, User.term_id.is_(None)))  # an account of another term cannot log in
        .group_by(User.hamlet_id)).tuples().all())
    result = []
    for row in rows:
        hamlet = hamlets[row["hamlet_id"]]
        candidate_list = lists.get(hamlet.id)
        candidacies = candidate_list.candidacies if candidate_list else []
        facts = HamletFacts(
            hamlet_id=hamlet.id, hamlet=hamlet.full_name, commune=hamlet.commune.full_name, commune_id=hamlet.commune_id,
            election_day=term.election_day, list_id=candidate_list.id if candidate_list else None,
            candidates=len(candidacies),
            min_candidates=candidate_list.rule_set.min_candidates_per_hamlet if candidate_list else 1,
            ineligible=sum(bool(c.chief_assessment.failed_hard) for c in candidacies),
            needing_exception=sum(c.needs_exception for c in candidacies),
            pending_exceptions=sum(c.pending_exception is not None for c in candidacies),
            list_confirmed=bool(candidate_list and candidate_list.locked),
            roll_households=rolls.get(hamlet.id) or 0,
            ballots_printed=bool(candidate_list and candidate_list.ballots_printed),
            team_accounts=teams.get(hamlet.id, 0), poll_started=started(row))
        result.append(hamlet_checklist(facts, today, allowed))
    return result


def day_states(term: Term, rows: list[dict], allowed) -> dict[int, DayState]:
    """Hamlet id -> its election-day state, for the hamlets whose poll opened (or that are past election day)."""
    states = {}
    for row in rows:
        poll = db.session.get(Poll, row["poll_id"]) if row["poll_id"] is not None else None
        if poll is None:
            continue
        steps = day_steps(day_facts(poll))
        current = next((s for s in steps if s.state == "current"), None)
        primary = primary_action(steps, allowed)
        states[row["hamlet_id"]] = DayState(row, current.label if current else None,
                                            primary[1].label if primary else None)
    return states


def board_rows(commune_id: int | None = None) -> tuple[dict, list[dict]]:
    data = board_data(commune_id)
    return data, data["rows"]


# ---------------------------------------------------------------------------------------------------------
# Approving authority and party committee
# ---------------------------------------------------------------------------------------------------------

def _scoped_requests(stmt):
    return scope_hamlets(stmt.join(Candidacy, ExceptionRequest.candidacy_id == Candidacy.id)
                         .join(CandidateList, Candidacy.list_id == CandidateList.id)
                         .join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune), Hamlet, Commune)


def _voting_day(term: Term, hamlet_id: int, round_no: int) -> date:
    """The day the list's round votes: the term's election day, or the re-vote's ordered day (R-V8)."""
    if round_no == 1:
        return term.election_day
    poll = db.session.scalar(db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet_id,
                                                   Poll.round_no == round_no))
    return poll.voting_day if poll is not None and poll.voting_day else term.election_day


def waiting_requests(user: User, term: Term) -> list[RequestFacts]:
    """R-X1: the pending requests of the term in the reader's scope that the reader may decide."""
    requests = db.session.scalars(_scoped_requests(db.select(ExceptionRequest))
                                  .where(ExceptionRequest.state == RequestState.PENDING,
                                         CandidateList.term_id == term.id).order_by(ExceptionRequest.id)).all()
    found = []
    for r in requests:
        candidate_list = r.candidacy.candidate_list
        if not may_decide_exception(user, r.commune):
            continue
        found.append(RequestFacts(r.id, r.candidacy.person.full_name, candidate_list.hamlet.full_name,
                                  r.commune.full_name, ", ".join(r.rule_ids),
                                  _voting_day(term, candidate_list.hamlet_id, candidate_list.round_no)))
    return found


def candidacies_needing_exception(term: Term) -> list[CandidacyFacts]:
    """Candidates on open lists of the term in scope who fail exceptionable standards only, without a request."""
    lists = db.session.scalars(
        scope_hamlets(db.select(CandidateList).join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune),
                      Hamlet, Commune)
        .where(CandidateList.term_id == term.id, CandidateList.state != ListState.CONFIRMED, Hamlet.ended_on.is_(None))
        .options(selectinload(CandidateList.candidacies))).all()
    return [CandidacyFacts(c.id, c.person.full_name, cl.hamlet.full_name, cl.hamlet.commune.full_name,
                           ", ".join(c.rules_to_except()), _voting_day(term, cl.hamlet_id, cl.round_no))
            for cl in lists for c in cl.candidacies if c.needs_exception]


def chapters_with_chief(term: Term) -> list[ChapterFacts]:
    """Chapters in scope whose hamlet's winner the commune recognised in the term (R-V9), with their congress's
    state and the chief now in office (recognition creates the position)."""
    recognised = (db.select(Poll.hamlet_id).where(Poll.term_id == term.id, Poll.status == PollStatus.RECOGNISED)
                  .scalar_subquery())
    rows = db.session.execute(
        scope_hamlets(db.select(Chapter, Hamlet, Commune, Person.full_name, Congress.state)
                      .join(Hamlet, Chapter.hamlet_id == Hamlet.id).join(Commune, Hamlet.commune_id == Commune.id)
                      .outerjoin(Position, (Position.hamlet_id == Hamlet.id) & (Position.term_id == term.id)
                                 & (Position.post == Post.HAMLET_CHIEF) & Position.ended_on.is_(None))
                      .outerjoin(Person, Person.id == Position.person_id)
                      .outerjoin(Congress, (Congress.chapter_id == Chapter.id) & (Congress.term_id == term.id)),
                      Hamlet, Commune)
        .where(Hamlet.ended_on.is_(None), Hamlet.id.in_(recognised)).order_by(Commune.name, Hamlet.name)).all()
    seen: dict[int, ChapterFacts] = {}
    for chapter, hamlet, commune, chief, state in rows:
        seen.setdefault(chapter.id, ChapterFacts(chapter.id, chapter.name, hamlet.full_name, commune.full_name,
                                                 chief or "—", state.value if state is not None else None))
    return list(seen.values())


def unmet_plans() -> list[PlanFacts]:
    """R-T5: the remediation plans in scope not met yet."""
    stmt = scope_hamlets(db.select(RemediationPlan, Hamlet, Commune)
                         .join(ExceptionRequest, RemediationPlan.exception_request_id == ExceptionRequest.id)
                         .join(Candidacy, ExceptionRequest.candidacy_id == Candidacy.id)
                         .join(CandidateList, Candidacy.list_id == CandidateList.id)
                         .join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune), Hamlet, Commune)
    return [PlanFacts(plan.id, plan.person.full_name, plan.rule, hamlet.full_name, commune.full_name, commune.id,
                      plan.deadline)
            for plan, hamlet, commune in db.session.execute(stmt.where(RemediationPlan.met_on.is_(None))).all()]


def by_commune(checklists: list[Checklist], rows: list[dict]) -> dict[int, list[Checklist]]:
    commune_of = {r["hamlet_id"]: r["commune_id"] for r in rows}
    grouped: dict[int, list[Checklist]] = defaultdict(list)
    for checklist in checklists:
        grouped[commune_of[checklist.facts.hamlet_id]].append(checklist)
    return grouped
