"""The to-do items of each role (home/items.py): pure functions of plain facts."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from home.items import (
    NEXT,
    WAITING,
    CandidacyFacts,
    ChapterFacts,
    HamletFacts,
    PlanFacts,
    RequestFacts,
    approver_items,
    commune_progress,
    congresses_to_prepare,
    deadlines,
    exceptions_to_file,
    hamlet_checklist,
    ordered_checklists,
    ordered_communes,
    remediation_falling_due,
)

ELECTION_DAY = date(2022, 5, 22)
EARLY = date(2022, 5, 1)  # before every R-V2 deadline
NEW = HamletFacts(hamlet_id=1, hamlet="Thôn An Phú", commune="Xã Bình Hải", election_day=ELECTION_DAY)
READY = replace(NEW, list_id=5, candidates=2, list_confirmed=True, roll_households=120, ballots_printed=True,
                team_accounts=2)
COMMITTEE = {"candidates.add_candidate", "candidates.show_list", "election.roll_import", "ballots.print_ballots",
             "core.team_accounts"}


def committee_may(endpoint: str) -> bool:
    return endpoint in COMMITTEE


def states(checklist) -> dict[str, str]:
    return {s.key: s.state for s in checklist.steps}


def test_r_v2_deadlines_of_the_checklist():
    due = deadlines(ELECTION_DAY)
    assert due.notice == date(2022, 5, 15)  # ≥ 7 days before: the candidate list posted
    assert due.team == date(2022, 5, 12)  # ≥ 10 days before: the polling team
    assert due.eve == date(2022, 5, 21)


def test_a_new_hamlet_starts_with_proposing_candidates_and_importing_the_roll():
    checklist = hamlet_checklist(NEW, EARLY, committee_may)
    assert states(checklist) == {"proposed": NEXT, "exceptions": WAITING, "confirmed": WAITING, "roll": NEXT,
                                 "ballots": WAITING, "team": NEXT}
    assert checklist.next_step.action.endpoint == "candidates.add_candidate"
    assert checklist.next_step.action.args == {"hamlet_id": 1}
    assert not checklist.overdue and not checklist.ready


def test_a_pending_exception_waits_for_the_approving_authority_and_blocks_confirmation():
    facts = replace(NEW, list_id=5, candidates=1, pending_exceptions=1, roll_households=80, team_accounts=2)
    checklist = hamlet_checklist(facts, EARLY, committee_may)
    exceptions = next(s for s in checklist.steps if s.key == "exceptions")
    assert exceptions.state == WAITING and exceptions.note_args == {"n": 1}
    assert states(checklist)["confirmed"] == WAITING
    assert checklist.next_step is None  # nothing the committee can do: it waits


def test_once_decided_the_next_action_is_confirming_the_list_then_printing():
    decided = replace(NEW, list_id=5, candidates=2, roll_households=80)
    assert hamlet_checklist(decided, EARLY, committee_may).next_step.action.endpoint == "candidates.show_list"
    confirmed = replace(decided, list_confirmed=True)
    step = hamlet_checklist(confirmed, EARLY, committee_may).next_step
    assert step.key == "ballots" and step.action.endpoint == "ballots.print_ballots"


def test_an_ineligible_candidate_must_be_replaced_first():
    facts = replace(NEW, list_id=5, candidates=1, ineligible=1)
    step = hamlet_checklist(facts, EARLY, committee_may).next_step
    assert step.key == "proposed" and step.action.endpoint == "candidates.show_list"


def test_steps_past_their_deadline_are_overdue_and_overdue_hamlets_come_first():
    late = hamlet_checklist(replace(NEW, hamlet_id=2, hamlet="Thôn Tân Hy"), date(2022, 5, 16), committee_may)
    assert late.overdue
    assert {s.key for s in late.steps if s.overdue} == {"proposed", "exceptions", "confirmed", "team"}
    on_time = hamlet_checklist(NEW, EARLY, committee_may)
    ready = hamlet_checklist(READY, date(2022, 5, 16), committee_may)
    assert ready.ready and not ready.overdue and ready.done_count == 6
    assert ordered_checklists([ready, on_time, late]) == [late, on_time, ready]


def test_team_accounts_are_the_commune_committees_step_on_its_hamlets_team_page():
    team = next(s for s in hamlet_checklist(replace(NEW, commune_id=7), EARLY, committee_may).steps if s.key == "team")
    assert team.state == NEXT and team.action.endpoint == "core.team_accounts"
    assert team.action.args == {"commune_id": 7, "hamlet_id": 1}
    observer = next(s for s in hamlet_checklist(NEW, EARLY, lambda _e: False).steps if s.key == "team")
    assert observer.state == WAITING and observer.action is None


def test_commune_progress_counts_ready_and_overdue_hamlets():
    today = date(2022, 5, 16)
    lists = [hamlet_checklist(READY, today), hamlet_checklist(NEW, today),
             hamlet_checklist(replace(NEW, hamlet_id=3, poll_started=True), today)]
    progress = commune_progress(7, "Xã Bình Hải", lists)
    assert (progress.hamlets, progress.ready, progress.overdue, progress.started) == (3, 1, 1, 1)
    assert progress.behind["proposed"] == 2 and progress.behind_schedule
    assert progress.action.endpoint == "candidates.index" and progress.action.args == {"commune_id": 7}
    only_team = commune_progress(9, "Xã Bình Hòa", [hamlet_checklist(replace(READY, team_accounts=0), today)])
    assert only_team.action.endpoint == "core.team_accounts" and only_team.action.args == {"commune_id": 9}
    calm = commune_progress(8, "Xã Bình Trị", [hamlet_checklist(READY, today)])
    assert calm.action is None
    assert ordered_communes([calm, progress]) == [progress, calm]


def test_the_approver_sees_waiting_requests_due_by_the_posting_date_overdue_first():
    requests = [RequestFacts(1, "Trần Thị Ước", "Thôn An Phú", "Xã Bình Hải", "R-E4, R-E5", date(2022, 6, 12)),
                RequestFacts(2, "Lê Văn Đức", "Thôn Tân Hy", "Xã Bình Trị", "R-E5", ELECTION_DAY)]
    items = approver_items(requests, date(2022, 5, 20))
    assert [i.action.args for i in items] == [{"request_id": 2}, {"request_id": 1}]
    assert items[0].overdue and items[0].deadline == date(2022, 5, 15)
    assert not items[1].overdue and items[1].deadline == date(2022, 6, 5)  # the re-vote's day less 7 (R-V2)
    assert items[0].action.endpoint == "candidates.show_exception"
    assert items[1].what_args == {"rules": "R-E4, R-E5", "person": "Trần Thị Ước"}


def test_the_party_committee_prepares_congresses_files_exceptions_and_follows_plans():
    chapters = [ChapterFacts(3, "Chi bộ thôn An Phú", "Thôn An Phú", "Xã Bình Hải", "Nguyễn Văn Ánh", None),
                ChapterFacts(4, "Chi bộ thôn Tân Hy", "Thôn Tân Hy", "Xã Bình Hải", "Lê Thị Hồng", "draft"),
                ChapterFacts(5, "Chi bộ thôn Gia Yên", "Thôn Gia Yên", "Xã Bình Hải", "Võ Văn Tâm", "approved")]
    congresses = congresses_to_prepare(chapters)
    assert [i.action.args["chapter_id"] for i in congresses] == [3, 4]
    assert congresses[0].action.endpoint == "chapters.congress"

    to_file = exceptions_to_file([CandidacyFacts(9, "Trần Thị Ước", "Thôn An Phú", "Xã Bình Hải", "R-E5",
                                                 ELECTION_DAY)], date(2022, 5, 1))
    assert to_file[0].action.endpoint == "candidates.file_exception" and to_file[0].action.args == {"candidacy_id": 9}

    today = date(2023, 6, 1)
    plans = [PlanFacts(1, "A", "R-E5", "Thôn An Phú", "Xã Bình Hải", 7, date(2023, 5, 1)),  # overdue
             PlanFacts(2, "B", "R-E4", "Thôn An Phú", "Xã Bình Hải", 7, date(2023, 7, 1)),  # falls due
             PlanFacts(3, "C", "R-E4", "Thôn An Phú", "Xã Bình Hải", 7, date(2025, 11, 1))]  # far off
    items = remediation_falling_due(plans, today)
    assert [(i.what_args["person"], i.overdue) for i in items] == [("A", True), ("B", False)]
    assert items[0].action.args == {"commune_id": 7, "state": "overdue"}
