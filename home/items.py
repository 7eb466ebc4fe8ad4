"""The to-do items of each role, as pure functions of plain facts (no Flask, no database): home.service reads the
facts, home.views renders the items. An item says what, where, by when, whether it is overdue, and the one action
that does it (an endpoint and its arguments, as election.day's actions)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.calendar import election_timeline
from core.labels import N_
from election.day import Action

DONE, NEXT, WAITING = "done", "next", "waiting"
STEP_STATES = {DONE: N_("Đã xong"), NEXT: N_("Việc tiếp theo"), WAITING: N_("Đang chờ")}
# Unmet remediation plans whose deadline falls within this many days are shown as falling due (R-T5).
REMEDIATION_NOTICE_DAYS = 90


@dataclass(frozen=True)
class Item:
    """One thing a role has to do."""

    what: str  # Vietnamese, marked for the catalogue (rendered |tr with what_args)
    where: str  # the hamlet and commune, as names
    deadline: date | None
    overdue: bool
    action: Action | None
    what_args: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def ordered(items: Iterable[Item]) -> list[Item]:
    """Overdue first, then by deadline (none last), then by place."""
    return sorted(items, key=lambda i: (not i.overdue, i.deadline or date.max, i.where))


def is_overdue(deadline: date | None, today: date) -> bool:
    """Overdue from the day after the deadline (as R-T5 and the timeline's milestones)."""
    return deadline is not None and today > deadline


# ---------------------------------------------------------------------------------------------------------
# Deadlines (R-V2)
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadlines:
    """The pre-election deadlines of a round voting on `election_day`."""

    notice: date  # R-V2: the candidate list posted ≥ 7 days before: proposals, exceptions, confirmation by then
    team: date  # R-V2: the polling team set up ≥ 10 days before: its accounts by then
    eve: date  # the roll and the ballots are needed on the day: the day before at the latest (no rule of its own)


def deadlines(election_day: date) -> Deadlines:
    milestones = {m.key: m.deadline for m in election_timeline(election_day)}
    return Deadlines(notice=milestones["notice"], team=milestones["team"], eve=election_day - timedelta(days=1))


def exception_deadline(election_day: date) -> date:
    """R-X1 sets no deadline for the approving authority's decision; the candidate list it lets stand must be posted
    by the R-V2 notice date, so the decision is due by then."""
    return deadlines(election_day).notice


# ---------------------------------------------------------------------------------------------------------
# The commune committee's pre-election checklist, per hamlet
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HamletFacts:
    hamlet_id: int
    hamlet: str  # full name
    commune: str
    election_day: date
    commune_id: int = 0
    list_id: int | None = None
    candidates: int = 0
    min_candidates: int = 1
    ineligible: int = 0  # candidates failing a hard rule: to replace
    needing_exception: int = 0  # failing exceptionable rules, no request yet: the party committee files
    pending_exceptions: int = 0  # requests waiting for the approving authority
    list_confirmed: bool = False
    roll_households: int = 0
    ballots_printed: bool = False
    team_accounts: int = 0
    poll_started: bool = False  # round 1 opened: the election-day page takes over


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # DONE | NEXT | WAITING
    deadline: date | None
    overdue: bool
    action: Action | None = None
    note: str = ""  # why it waits, Vietnamese, marked
    note_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checklist:
    facts: HamletFacts
    steps: tuple[Step, ...]

    @property
    def ready(self) -> bool:
        return all(s.state == DONE for s in self.steps)

    @property
    def overdue(self) -> bool:
        return any(s.overdue for s in self.steps)

    @property
    def next_step(self) -> Step | None:
        return next((s for s in self.steps if s.state == NEXT), None)

    @property
    def done_count(self) -> int:
        return sum(s.state == DONE for s in self.steps)


STEP_LABELS = {
    "proposed": N_("Giới thiệu người ứng cử"),
    "exceptions": N_("Quyết định ngoại lệ (R-X1)"),
    "confirmed": N_("Xác nhận và niêm yết danh sách người ứng cử (R-V2)"),
    "roll": N_("Nhập và niêm yết danh sách cử tri"),
    "ballots": N_("In phiếu bầu"),
    "team": N_("Tài khoản Tổ bầu cử (R-V2)"),
}


def hamlet_checklist(facts: HamletFacts, today: date, allowed: Callable[[str], bool] = lambda _e: True) -> Checklist:
    """The six steps before election day — candidates proposed → exceptions decided → list confirmed and posted →
    roll imported and posted → ballots printed → team accounts ready — each done, next (the reader may do it now) or
    waiting (on an earlier step or on another body). `allowed(endpoint)`: whether the reader may use that page."""
    due = deadlines(facts.election_day)
    h = {"hamlet_id": facts.hamlet_id}
    proposed = facts.candidates >= facts.min_candidates and facts.ineligible == 0
    decided = proposed and facts.needing_exception == 0 and facts.pending_exceptions == 0
    roll = facts.roll_households > 0
    steps: list[Step] = []

    def add(key: str, done: bool, deadline: date, action: Action | None, blocked: str = "",
            blocked_args: dict[str, Any] | None = None) -> None:
        if done:
            steps.append(Step(key, STEP_LABELS[key], DONE, deadline, False))
            return
        may = action is not None and not blocked and allowed(action.endpoint)
        note = blocked or ("" if may else N_("Việc của cơ quan khác"))
        steps.append(Step(key, STEP_LABELS[key], NEXT if may else WAITING, deadline, is_overdue(deadline, today),
                          action if may else None, note, blocked_args or {}))

    if facts.ineligible:
        add("proposed", False, due.notice, Action(N_("Thay người không đủ tiêu chuẩn"), "candidates.show_list", h))
    else:
        add("proposed", proposed, due.notice, Action(N_("Thêm người ứng cử"), "candidates.add_candidate", h))
    if facts.needing_exception:
        add("exceptions", False, due.notice, None, N_("Chờ Đảng ủy xã lập đề nghị ngoại lệ (%(n)s người)"),
            {"n": facts.needing_exception})
    elif facts.pending_exceptions:
        add("exceptions", False, due.notice, None, N_("Chờ cấp có thẩm quyền quyết định (%(n)s đề nghị)"),
            {"n": facts.pending_exceptions})
    else:
        add("exceptions", decided, due.notice, None, "" if decided else N_("Chờ giới thiệu người ứng cử"))
    add("confirmed", facts.list_confirmed, due.notice,
        Action(N_("Xác nhận danh sách người ứng cử"), "candidates.show_list", h),
        "" if decided or facts.list_confirmed else N_("Chờ các bước trên"))
    add("roll", roll, due.eve, Action(N_("Nhập danh sách cử tri"), "election.roll_import", h))
    add("ballots", facts.ballots_printed, due.eve, Action(N_("In phiếu bầu"), "ballots.print_ballots", h),
        "" if facts.list_confirmed and roll else N_("Chờ danh sách người ứng cử đã xác nhận và danh sách cử tri"))
    add("team", facts.team_accounts > 0, due.team,
        Action(N_("Tạo tài khoản Tổ bầu cử"), "core.team_accounts", {"commune_id": facts.commune_id, **h}))
    return Checklist(facts, tuple(steps))


def ordered_checklists(checklists: Iterable[Checklist]) -> list[Checklist]:
    """Overdue hamlets first, then those with most left to do, then by name."""
    return sorted(checklists, key=lambda c: (not c.overdue, c.ready, c.done_count, c.facts.hamlet))


# ---------------------------------------------------------------------------------------------------------
# The district office: the checklist aggregated per commune
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommuneProgress:
    commune_id: int
    commune: str
    hamlets: int
    ready: int  # every pre-election step done
    overdue: int  # hamlets with an overdue pre-election step
    started: int  # hamlets whose poll opened (the board follows them)
    behind: dict[str, int]  # step key -> hamlets where it is not done

    @property
    def behind_schedule(self) -> bool:
        return self.overdue > 0

    @property
    def action(self) -> Action | None:
        """The page where the district office follows (or does) the commune's first step left undone: the candidate
        lists, the rolls and ballots, or the commune's team accounts."""
        for keys, action in ((("proposed", "exceptions", "confirmed"),
                              Action(N_("Theo dõi danh sách ứng cử"), "candidates.index", {"commune_id": self.commune_id})),
                             (("roll", "ballots"),
                              Action(N_("Theo dõi danh sách cử tri, phiếu bầu"), "ballots.index",
                                     {"commune_id": self.commune_id})),
                             (("team",), Action(N_("Tạo tài khoản Tổ bầu cử"), "core.team_accounts",
                                                {"commune_id": self.commune_id}))):
            if any(self.behind[key] for key in keys):
                return action
        return None


def commune_progress(commune_id: int, commune: str, checklists: list[Checklist]) -> CommuneProgress:
    behind: dict[str, int] = {key: 0 for key in STEP_LABELS}
    for checklist in checklists:
        for step in checklist.steps:
            behind[step.key] += step.state != DONE
    pre = [c for c in checklists if not c.facts.poll_started]
    return CommuneProgress(commune_id, commune, hamlets=len(checklists),
                           ready=sum(c.ready for c in checklists),
                           overdue=sum(c.overdue for c in pre),
                           started=sum(c.facts.poll_started for c in checklists), behind=behind)


def ordered_communes(progress: Iterable[CommuneProgress]) -> list[CommuneProgress]:
    """Communes behind schedule first (most overdue hamlets first), then the least ready, then by name."""
    return sorted(progress, key=lambda p: (-p.overdue, p.ready / p.hamlets if p.hamlets else 1, p.commune))


# ---------------------------------------------------------------------------------------------------------
# The approving authority and the party committee
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestFacts:
    request_id: int
    person: str
    hamlet: str
    commune: str
    rules: str
    election_day: date  # of the round the list is for


def _exception_item(what: str, action: Action, person: str, hamlet: str, commune: str, rules: str,
                    election_day: date, today: date) -> Item:
    """An exception request to file or decide: due by the list's posting date (R-V2), since the approving authority
    decides before then; the standards named by the page in words (`rules` holds their ids)."""
    due = exception_deadline(election_day)
    return Item(what, f"{hamlet}, {commune}", due, is_overdue(due, today), action, {"rules": rules, "person": person})


def approver_items(requests: Iterable[RequestFacts], today: date) -> list[Item]:
    """R-X1: each request waiting for the reader's decision, due by the list's posting date (R-V2)."""
    return ordered([_exception_item(N_("Quyết định đề nghị ngoại lệ tiêu chuẩn %(rules)s cho %(person)s"),
                                    Action(N_("Xem và quyết định"), "candidates.show_exception",
                                           {"request_id": r.request_id}),
                                    r.person, r.hamlet, r.commune, r.rules, r.election_day, today) for r in requests])


@dataclass(frozen=True)
class CandidacyFacts:
    candidacy_id: int
    person: str
    hamlet: str
    commune: str
    rules: str  # what the request would cover (Candidacy.rules_to_except)
    election_day: date


def exceptions_to_file(candidacies: Iterable[CandidacyFacts], today: date) -> list[Item]:
    """R-X1: candidates failing only exceptionable standards, without a request yet: the commune party committee
    files one (due by the posting date, R-V2, since the approving authority decides before then)."""
    return ordered([_exception_item(N_("Lập đề nghị ngoại lệ tiêu chuẩn %(rules)s cho %(person)s"),
                                    Action(N_("Lập đề nghị"), "candidates.file_exception",
                                           {"candidacy_id": c.candidacy_id}),
                                    c.person, c.hamlet, c.commune, c.rules, c.election_day, today)
                    for c in candidacies])


@dataclass(frozen=True)
class ChapterFacts:
    chapter_id: int
    chapter: str
    hamlet: str
    commune: str
    chief: str  # the recognised hamlet chief of the term
    congress_state: str | None  # None: no congress yet; "draft" | "recorded" | "approved"


def congresses_to_prepare(chapters: Iterable[ChapterFacts]) -> list[Item]:
    """59-KH/HU: after recognition the new chief is introduced to the chapter congress: chapters with a recognised
    chief and no congress yet, or one still being recorded. No deadline rule: none is shown."""
    items = []
    for c in chapters:
        if c.congress_state is None:
            what, label = N_("Chuẩn bị đại hội %(chapter)s (trưởng thôn %(chief)s)"), N_("Mở hồ sơ đại hội")
        elif c.congress_state == "draft":
            what, label = N_("Hoàn thành ghi nhận đại hội %(chapter)s"), N_("Tiếp tục ghi nhận")
        else:
            continue
        items.append(Item(what, f"{c.hamlet}, {c.commune}", None, False,
                          Action(label, "chapters.congress", {"chapter_id": c.chapter_id}),
                          {"chapter": c.chapter, "chief": c.chief}))
    return ordered(items)


@dataclass(frozen=True)
class PlanFacts:
    plan_id: int
    person: str
    rule: str
    hamlet: str
    commune: str
    commune_id: int
    deadline: date


def remediation_falling_due(plans: Iterable[PlanFacts], today: date) -> list[Item]:
    """R-T5: unmet remediation plans overdue or due within REMEDIATION_NOTICE_DAYS."""
    horizon = today + timedelta(days=REMEDIATION_NOTICE_DAYS)
    items = [Item(N_("Kế hoạch khắc phục %(rule)s của %(person)s"), f"{p.hamlet}, {p.commune}", p.deadline,
                  is_overdue(p.deadline, today),
                  Action(N_("Xem kế hoạch"), "candidates.list_remediation",
                         {"commune_id": p.commune_id, "state": "overdue" if is_overdue(p.deadline, today) else "due"}),
                  {"rule": p.rule, "person": p.person})
             for p in plans if p.deadline <= horizon]
    return ordered(items)
