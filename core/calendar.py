"""Pure rules of the term's calendar (rules.md §2): one single Sunday for the district (R-V4) and the steps before it
(R-V2), and the order of dates any decision keeps (not before what it decides, not after its deadline, not in
the future). No Flask or database import; the term's pages, the candidate notice and the demo call them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.labels import N_

SUNDAY = 6  # date.weekday()


WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def day_with_weekday(day: date) -> str:
    """'Chủ nhật, 22/05/2022': a day as the date rules name it."""
    return f"{WEEKDAYS_VI[day.weekday()]}, {day:%d/%m/%Y}"


@dataclass(frozen=True)
class CalendarProblem:
    rule: str
    message: str
    message_en: str


def election_day_problem(day: date) -> CalendarProblem | None:
    """R-V4 (59-KH/HU II.2.3): all hamlets of the district vote on one single Sunday."""
    if day.weekday() != SUNDAY:
        weekday_vi = WEEKDAYS_VI[day.weekday()]
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


@dataclass(frozen=True)
class DateProblem:
    rule: str
    message: str  # Vietnamese, shown on the field
    field: str | None = None


def decision_date_problem(rule: str, decided_on: date, today: date, *, not_before: date | None = None,
                          not_before_what: str = "", due: date | None = None, due_what: str = "",
                          field: str = "decided_on") -> DateProblem | None:
    """A decision is dated no earlier than what it decides (`not_before`: the request filed, the poll held), no
    later than its deadline (`due`) and never after today (a decision is recorded once signed). `rule` is the
    rule whose decision it is (R-X1, R-V8, R-V9); the `*_what` words name the dates in the message."""
    if decided_on > today:
        return DateProblem(rule, f"Ngày quyết định {decided_on:%d/%m/%Y} ở tương lai (hôm nay là "
                                 f"{today:%d/%m/%Y}): chỉ ghi quyết định đã ký ({rule}).", field)
    if not_before is not None and decided_on < not_before:
        return DateProblem(rule, f"Ngày quyết định {decided_on:%d/%m/%Y} trước {not_before_what} "
                                 f"({not_before:%d/%m/%Y}) ({rule}).", field)
    if due is not None and decided_on > due:
        return DateProblem(rule, f"Ngày quyết định {decided_on:%d/%m/%Y} sau {due_what} ({due:%d/%m/%Y}, "
                                 f"{rule}).", field)
    return None
