"""Pure rules of the term's calendar (rules.md §2): one single Sunday for the district (R-V4) and the steps before it
(R-V2). No Flask or database import; the term's pages, the candidate notice and the demo call them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.labels import N_

SUNDAY = 6  # date.weekday()


@dataclass(frozen=True)
class CalendarProblem:
    rule: str
    message: str
    message_en: str


def election_day_problem(day: date) -> CalendarProblem | None:
    """R-V4 (59-KH/HU II.2.3): all hamlets of the district vote on one single Sunday."""
    if day.weekday() != SUNDAY:
        weekday_vi = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")[day.weekday()]
        return CalendarProblem(
            "R-V4",
            f"Ngày bầu cử {day:%d/%m/%Y} là {weekday_vi}; ngày bầu cử phải là Chủ nhật (R-V4).",
            f"Election day {day:%d/%m/%Y} is a {day:%A}; it must be a Sunday (R-V4).",
        )
    return None


@dataclass(frozen=True)
class Milestone:
    rule: str
    key: str
    label: str  # Vietnamese, marked for the catalogue (core/labels.py)
    deadline: date  # the step must be done on or before this date


# R-V2 (Decree 59/2023/NĐ-CP art. 7): minimum lead times before election day, in days.
DECISION_LEAD_DAYS = 20  # commune chairman's decision and plan
TEAM_LEAD_DAYS = 10  # election (polling) team set up
NOTICE_LEAD_DAYS = 7  # public notice of day, place, candidate list


def election_timeline(election_day: date) -> list[Milestone]:
    """R-V2: the latest date for each preparatory step before `election_day`."""
    return [
        Milestone("R-V2", "decision", N_("Quyết định và kế hoạch của Chủ tịch UBND xã"),
                  election_day - timedelta(days=DECISION_LEAD_DAYS)),
        Milestone("R-V2", "team", N_("Thành lập Tổ bầu cử"), election_day - timedelta(days=TEAM_LEAD_DAYS)),
        Milestone("R-V2", "notice", N_("Niêm yết thông báo ngày bầu cử và danh sách người ứng cử"),
                  election_day - timedelta(days=NOTICE_LEAD_DAYS)),
    ]


def milestone_state(milestone: Milestone, done_on: date | None, today: date) -> str:
    """'done', 'late' (done after the deadline), 'overdue' (not done, deadline passed) or 'pending'."""
    if done_on is not None:
        return "done" if done_on <= milestone.deadline else "late"
    return "overdue" if today > milestone.deadline else "pending"
