"""The election calendar (rules.md §2: R-V2, R-V4, R-V9)."""
from __future__ import annotations

from datetime import date

import pytest

from core.calendar import election_day_problem, election_timeline, milestone_state
from election.rules import add_working_days, recognition_deadline

ELECTION_DAY = date(2022, 5, 22)  # a Sunday


def test_sunday_is_a_valid_election_day() -> None:
    assert election_day_problem(ELECTION_DAY) is None


@pytest.mark.parametrize(("day", "weekday_vi"), [
    (date(2022, 5, 21), "thứ Bảy"),
    (date(2022, 5, 23), "thứ Hai"),
])
def test_weekday_election_day_is_flagged_r_v4(day: date, weekday_vi: str) -> None:
    problem = election_day_problem(day)
    assert problem is not None
    assert problem.rule == "R-V4"
    assert weekday_vi in problem.message
    assert "Sunday" in problem.message_en


def test_timeline_deadlines_count_back_from_election_day() -> None:
    deadlines = {m.key: m.deadline for m in election_timeline(ELECTION_DAY)}
    assert deadlines == {
        "decision": date(2022, 5, 2),  # 20 days before
        "team": date(2022, 5, 12),  # 10 days before
        "notice": date(2022, 5, 15),  # 7 days before
    }


def test_every_timeline_milestone_cites_r_v2() -> None:
    assert {m.rule for m in election_timeline(ELECTION_DAY)} == {"R-V2"}


@pytest.mark.parametrize(("done_on", "today", "state"), [
    (date(2022, 5, 15), date(2022, 5, 20), "done"),  # on the deadline
    (date(2022, 5, 16), date(2022, 5, 20), "late"),
    (None, date(2022, 5, 15), "pending"),  # deadline day itself is not yet overdue
    (None, date(2022, 5, 16), "overdue"),
])
def test_milestone_state(done_on: date | None, today: date, state: str) -> None:
    notice = election_timeline(ELECTION_DAY)[2]
    assert milestone_state(notice, done_on, today) == state


def test_working_days_skip_the_weekend() -> None:
    assert add_working_days(date(2024, 8, 29), 2) == date(2024, 9, 2)  # Thu → Fri, (Sat, Sun), Mon


def test_working_days_skip_the_weekend_and_holidays() -> None:
    national_day = frozenset({date(2024, 9, 2), date(2024, 9, 3)})
    assert add_working_days(date(2024, 8, 29), 2, national_day) == date(2024, 9, 4)


def test_recognition_within_five_working_days_r_v9() -> None:
    assert recognition_deadline(date(2024, 8, 29)) == date(2024, 9, 5)
    national_day = frozenset({date(2024, 9, 2), date(2024, 9, 3)})
    assert recognition_deadline(date(2024, 8, 29), national_day) == date(2024, 9, 9)


def test_minutes_received_on_a_sunday_count_from_monday() -> None:
    assert recognition_deadline(ELECTION_DAY) == date(2022, 5, 27)  # Mon 23 … Fri 27
