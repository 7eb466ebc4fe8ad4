"""Election Sunday of one poll as a checklist: open → check-in → meeting record → end voting → count → ballot
accounting → entries agree → minutes signed and uploaded → validated → recognised (or re-vote / acting chief).

`day_facts(poll)` reads what the records know (entries, minutes, recognition, the audit log's status changes);
`day_steps(facts)` is pure: each step with its state, who did it and when, and the action that moves it on
(an endpoint and its arguments, every one carrying the poll's round). `primary_action` picks the one obvious
button for the reader. A round a re-vote closed is read-only: its steps carry no action.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.accounts import User
from core.audit import AuditEntry
from core.labels import N_
from election.counting import poll_candidates, poll_entries, poll_result, scan_open
from election.models import Poll, PollMode, PollStatus, count_accepting, problems_from
from election.recognition import latest_minutes, poll_acting, poll_recognition
from extensions import db

DONE, CURRENT, WAITING, SKIPPED = "done", "current", "waiting", "skipped"
STATE_LABELS = {DONE: N_("Đã xong"), CURRENT: N_("Đang làm"), WAITING: N_("Chờ"), SKIPPED: N_("Bỏ qua")}

# Workflow order of the statuses (the three ends share the last rank).
_RANK = {PollStatus.NOT_STARTED: 0, PollStatus.VOTING: 1, PollStatus.COUNTING: 2, PollStatus.FIRST_ENTRY: 3,
         PollStatus.SECOND_ENTRY: 3, PollStatus.DIFFERENCES: 4, PollStatus.AWAITING_ACCOUNTING: 4,
         PollStatus.REOPENED: 4, PollStatus.SUBMITTED: 5, PollStatus.VALIDATED: 6,
         PollStatus.RECOGNISED: 7, PollStatus.REVOTE: 7, PollStatus.ACTING_CHIEF: 7}
ENDS = (PollStatus.RECOGNISED, PollStatus.REVOTE, PollStatus.ACTING_CHIEF)

CONFIRM_OPEN = N_("Khai mạc bỏ phiếu? Tổng số hộ của thôn được chốt theo danh sách cử tri và không đổi nữa.")
CONFIRM_END_VOTING = N_("Kết thúc bỏ phiếu và bắt đầu kiểm phiếu? Sau đó không ghi nhận thêm hộ nhận phiếu; số hộ có "
                        "mặt được chốt.")
CONFIRM_DISTRIBUTION = N_("Chuyển sang phát phiếu đến từng hộ? Hội nghị không đủ quá nửa số hộ; không quay lại hình "
                          "thức hội nghị được.")
CONFIRM_REVOTE = N_("Quyết định bầu lại? Vòng này khép lại (chỉ còn để xem); vòng bầu lại chỉ được khai mạc vào ngày đã chọn.")
CONFIRM_REVOTE_LIST = N_("Xác nhận danh sách người ứng cử vòng bầu lại? Sau khi xác nhận không sửa danh sách được nữa.")


@dataclass(frozen=True)
class Action:
    """What moves a step on: a page to open (link) or a form to post, with the confirmation question of an
    irreversible one. `args` always carries the poll's round where the page takes one."""

    label: str
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)
    post: bool = False
    confirm: str | None = None
    label_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # DONE | CURRENT | WAITING | SKIPPED
    by: str | None = None
    at: datetime | None = None
    note: str = ""
    note_args: dict[str, Any] = field(default_factory=dict)
    action: Action | None = None
    extra: tuple[Action, ...] = ()


@dataclass(frozen=True)
class EntryFact:
    slot: int
    by: str
    at: datetime | None
    method: str  # "aggregate" | "per_ballot"


@dataclass(frozen=True)
class Change:
    """One audited change of the poll: who, when, and the fields before and after."""

    by: str | None
    at: datetime | None
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class DayFacts:
    poll_id: int
    hamlet_id: int
    round_no: int
    open_round: int  # the hamlet's last round: the one that is open
    open_poll_id: int
    status: PollStatus
    mode: PollMode
    candidates_confirmed: bool
    board_complete: bool
    quorum_met: bool | None
    checked_in: int
    entries: tuple[EntryFact, ...] = ()
    accounting_problems: tuple[str, ...] = ()
    scan_open: bool = False
    result_next_step: str | None = None  # "recognise" | "revote" | "appoint_acting_chief" | …
    result_at: datetime | None = None
    minutes_by: str | None = None
    minutes_at: datetime | None = None
    validated_by: str | None = None
    validated_at: datetime | None = None
    recognised_by: str | None = None
    recognised_at: datetime | None = None
    acting_by: str | None = None
    acting_at: datetime | None = None
    changes: tuple[Change, ...] = ()

    @property
    def read_only(self) -> bool:
        return self.open_round != self.round_no


def _became(facts: DayFacts, status: PollStatus, first: bool = True) -> tuple[str | None, datetime | None]:
    """Who moved the poll into `status`, and when (the audit log), first or last time."""
    found = [c for c in facts.changes
             if c.after.get("status") == status.value and c.before.get("status") != status.value]
    if not found:
        return None, None
    change = found[0] if first else found[-1]
    return change.by, change.at


def _changed(facts: DayFacts, name: str) -> tuple[str | None, datetime | None]:
    """The last audited change of one field of the poll."""
    for change in reversed(facts.changes):
        if name in change.after and change.after.get(name) != change.before.get(name):
            return change.by, change.at
    return None, None


def day_steps(facts: DayFacts) -> list[Step]:
    """The checklist of the poll (pure: facts in, steps out)."""
    rank = _RANK[facts.status]
    status = facts.status
    hamlet_round = {"hamlet_id": facts.hamlet_id, "round_no": facts.round_no}
    poll_round = {"poll_id": facts.poll_id, "round_no": facts.round_no}
    has_result = rank >= _RANK[PollStatus.SUBMITTED]
    steps: list[Step] = []

    # 1. Open the poll.
    if rank >= 1:
        by, at = _became(facts, PollStatus.VOTING)
        steps.append(Step("open", N_("Khai mạc bỏ phiếu"), DONE, by, at))
    elif not facts.candidates_confirmed and facts.round_no > 1:
        steps.append(Step("open", N_("Khai mạc bỏ phiếu"), CURRENT,
                          note=N_("Danh sách người ứng cử vòng bầu lại đã được sao từ vòng trước; UBND xã cần xác nhận "
                                  "trước khi in phiếu và khai mạc."),
                          action=Action(N_("Xác nhận danh sách vòng bầu lại"), "election.confirm_revote_list",
                                        poll_round, post=True, confirm=CONFIRM_REVOTE_LIST)))
    elif not facts.candidates_confirmed:
        steps.append(Step("open", N_("Khai mạc bỏ phiếu"), CURRENT,
                          note=N_("Danh sách người ứng cử chưa được xác nhận (R-V3): chưa thể bỏ phiếu.")))
    else:
        steps.append(Step("open", N_("Khai mạc bỏ phiếu"), CURRENT,
                          action=Action(N_("Khai mạc bỏ phiếu"), "election.open_poll", hamlet_round, post=True,
                                        confirm=CONFIRM_OPEN)))

    # 2. Check-in: while voting only; the count is frozen when voting ends.
    checkin = Action(N_("Ghi nhận nhận phiếu"), "election.checkin", hamlet_round)
    note_args = {"n": facts.checked_in}
    if rank >= 2:
        by, at = _became(facts, PollStatus.COUNTING, first=False)
        steps.append(Step("checkin", N_("Ghi nhận hộ nhận phiếu"), DONE, None, at,
                          note=N_("%(n)s hộ đã nhận phiếu (chốt khi kết thúc bỏ phiếu)."), note_args=note_args))
    elif rank == 1:
        steps.append(Step("checkin", N_("Ghi nhận hộ nhận phiếu"), CURRENT,
                          note=N_("%(n)s hộ đã nhận phiếu."), note_args=note_args, action=checkin))
    else:
        steps.append(Step("checkin", N_("Ghi nhận hộ nhận phiếu"), WAITING))

    # 3. The meeting record (board of 3–5, two witnesses; R-V6).
    meeting = Action(N_("Ghi biên bản hội nghị"), "election.record_meeting", poll_round)
    editable = status in (PollStatus.VOTING, PollStatus.COUNTING) and not facts.entries
    if facts.board_complete:
        by, at = _changed(facts, "board_members")
        steps.append(Step("meeting", N_("Biên bản hội nghị (Ban kiểm phiếu, người chứng kiến)"), DONE, by, at,
                          extra=(meeting,) if editable else ()))
    elif editable:
        steps.append(Step("meeting", N_("Biên bản hội nghị (Ban kiểm phiếu, người chứng kiến)"), CURRENT,
                          action=meeting))
    else:
        steps.append(Step("meeting", N_("Biên bản hội nghị (Ban kiểm phiếu, người chứng kiến)"), WAITING))

    # 4. End voting, start counting (or, without a quorum, take ballots to each household).
    if rank >= 2:
        by, at = _became(facts, PollStatus.COUNTING, first=False)
        steps.append(Step("end_voting", N_("Kết thúc bỏ phiếu, bắt đầu kiểm phiếu"), DONE, by, at))
    elif rank == 1 and facts.mode == PollMode.MEETING and facts.quorum_met is False:
        steps.append(Step("end_voting", N_("Kết thúc bỏ phiếu, bắt đầu kiểm phiếu"), CURRENT,
                          note=N_("Hội nghị chưa quá nửa số hộ (R-V5)."),
                          action=Action(N_("Không đủ số hộ: phát phiếu đến từng hộ"),
                                        "election.switch_to_distribution", poll_round, post=True,
                                        confirm=CONFIRM_DISTRIBUTION)))
    elif rank == 1 and facts.board_complete:
        steps.append(Step("end_voting", N_("Kết thúc bỏ phiếu, bắt đầu kiểm phiếu"), CURRENT,
                          action=Action(N_("Kết thúc bỏ phiếu, bắt đầu kiểm phiếu"), "election.start_counting",
                                        poll_round, post=True, confirm=CONFIRM_END_VOTING)))
    elif rank == 1:
        steps.append(Step("end_voting", N_("Kết thúc bỏ phiếu, bắt đầu kiểm phiếu"), WAITING,
                          note=N_("Ghi biên bản hội nghị trước.")))
    else:
        steps.append(Step("end_voting", N_("Kết thúc bỏ phiếu, bắt đầu kiểm phiếu"), WAITING))

    # 5. The count: typed as totals or scanned ballot by ballot.
    count = Action(N_("Nhập số liệu tổng hợp"), "election.enter_count", poll_round)
    scan = Action(N_("Quét từng phiếu bằng điện thoại"), "ballots.scan_ballots", poll_round)
    counting = status in (PollStatus.COUNTING, PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY)
    if facts.entries or has_result:
        first = facts.entries[0] if facts.entries else None
        steps.append(Step("count", N_("Kiểm phiếu (nhập tổng hợp hoặc quét từng phiếu)"), DONE,
                          first.by if first else None, first.at if first else None))
    elif counting:
        steps.append(Step("count", N_("Kiểm phiếu (nhập tổng hợp hoặc quét từng phiếu)"), CURRENT, action=count,
                          extra=(scan,) if facts.scan_open else ()))
    else:
        steps.append(Step("count", N_("Kiểm phiếu (nhập tổng hợp hoặc quét từng phiếu)"), WAITING))

    # 6. Ballot accounting (R-C3): printed = issued + spoiled + cancelled + unused, returned = issued.
    accounting = Action(N_("Đối chiếu phiếu bầu"), "ballots.accounting", hamlet_round)
    if has_result or (rank >= 2 and not facts.accounting_problems):
        steps.append(Step("accounting", N_("Đối chiếu phiếu bầu (sổ theo dõi phiếu)"), DONE,
                          extra=(accounting,) if not has_result else ()))
    elif rank >= 2:
        steps.append(Step("accounting", N_("Đối chiếu phiếu bầu (sổ theo dõi phiếu)"), CURRENT,
                          note=facts.accounting_problems[0], action=accounting))
    else:
        steps.append(Step("accounting", N_("Đối chiếu phiếu bầu (sổ theo dõi phiếu)"), WAITING))

    # 7. Two entries by two people agree (or the commune committee chooses).
    if has_result:
        by, at = _became(facts, PollStatus.SUBMITTED)
        second = facts.entries[1] if len(facts.entries) > 1 else None
        steps.append(Step("agree", N_("Hai lần nhập khớp nhau"), DONE, by or (second.by if second else None),
                          at or facts.result_at))
    elif status == PollStatus.DIFFERENCES:
        steps.append(Step("agree", N_("Hai lần nhập khớp nhau"), CURRENT,
                          note=N_("Hai lần nhập lệch nhau: UBND xã xem và quyết định."),
                          action=Action(N_("Xem chỗ lệch giữa hai lần nhập"), "election.show_differences",
                                        poll_round)))
    elif status == PollStatus.AWAITING_ACCOUNTING:
        steps.append(Step("agree", N_("Hai lần nhập khớp nhau"), CURRENT,
                          note=N_("Kết quả đã thống nhất, chờ sổ theo dõi phiếu bầu cân đối (R-C3); khi cân đối, kết "
                                  "quả được chốt."),
                          action=Action(N_("Kiểm tra lại và chốt kết quả"), "election.accept_waiting_count", poll_round,
                                        post=True)))
    elif status == PollStatus.REOPENED:
        steps.append(Step("agree", N_("Hai lần nhập khớp nhau"), CURRENT,
                          note=N_("Kết quả được mở lại để đính chính: UBND xã chọn lần nhập đúng hoặc trả lại để "
                                  "nhập lại."),
                          action=Action(N_("Xem hai lần nhập"), "election.show_differences", poll_round)))
    elif status in (PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY):
        steps.append(Step("agree", N_("Hai lần nhập khớp nhau"), CURRENT,
                          note=N_("Lần nhập thứ hai do một người khác nhập."),
                          action=Action(N_("Nhập lần thứ hai"), "election.enter_count", poll_round)))
    else:
        steps.append(Step("agree", N_("Hai lần nhập khớp nhau"), WAITING))

    # 8. The signed minutes, uploaded.
    if facts.minutes_at is not None:
        steps.append(Step("minutes", N_("Biên bản đã ký được tải lên"), DONE, facts.minutes_by, facts.minutes_at))
    elif status == PollStatus.SUBMITTED:
        steps.append(Step("minutes", N_("Biên bản đã ký được tải lên"), CURRENT,
                          note=N_("In biên bản, ký rồi chụp hoặc quét và tải lên."),
                          action=Action(N_("Tải lên biên bản đã ký"), "election.upload_minutes", poll_round)))
    elif rank > _RANK[PollStatus.SUBMITTED]:
        steps.append(Step("minutes", N_("Biên bản đã ký được tải lên"), SKIPPED))
    else:
        steps.append(Step("minutes", N_("Biên bản đã ký được tải lên"), WAITING))

    # 9. The commune committee checks the minutes against the figures.
    validated = facts.validated_at is not None or status in (PollStatus.VALIDATED, PollStatus.RECOGNISED)
    if validated:
        by, at = _became(facts, PollStatus.VALIDATED)
        steps.append(Step("validated", N_("UBND xã đối chiếu biên bản"), DONE, facts.validated_by or by,
                          facts.validated_at or at))
    elif status == PollStatus.SUBMITTED and facts.minutes_at is not None:
        steps.append(Step("validated", N_("UBND xã đối chiếu biên bản"), CURRENT,
                          action=Action(N_("Đối chiếu biên bản"), "election.validate_poll_minutes", poll_round)))
    elif rank > _RANK[PollStatus.SUBMITTED]:
        steps.append(Step("validated", N_("UBND xã đối chiếu biên bản"), SKIPPED))
    else:
        steps.append(Step("validated", N_("UBND xã đối chiếu biên bản"), WAITING))

    # 10. The end of the round: recognition (R-V9), a re-vote or an acting chief (R-V8).
    steps.append(_final_step(facts, poll_round))

    if facts.read_only:  # a round a re-vote closed: nothing to do here any more
        steps = [Step(s.key, s.label, s.state, s.by, s.at, s.note, s.note_args) for s in steps]
    return steps


def _final_step(facts: DayFacts, poll_round: dict[str, Any]) -> Step:
    status, next_step = facts.status, facts.result_next_step
    decidable = status in (PollStatus.SUBMITTED, PollStatus.VALIDATED)
    if status == PollStatus.RECOGNISED:
        return Step("final", N_("UBND xã công nhận kết quả"), DONE, facts.recognised_by, facts.recognised_at)
    if status == PollStatus.REVOTE:
        by, at = _became(facts, PollStatus.REVOTE)
        return Step("final", N_("Quyết định bầu lại (R-V8)"), DONE, by, at,
                    note=N_("Vòng %(n)s đang mở."), note_args={"n": facts.open_round},
                    extra=(Action(N_("Mở vòng %(n)s"), "election.show_poll", {"poll_id": facts.open_poll_id},
                                  label_args={"n": facts.open_round}),) if facts.open_round != facts.round_no else ())
    if status == PollStatus.ACTING_CHIEF:
        return Step("final", N_("Chỉ định trưởng thôn lâm thời (R-V8)"), DONE, facts.acting_by, facts.acting_at)
    if next_step == "revote":
        return Step("final", N_("Quyết định bầu lại (R-V8)"), CURRENT if decidable else WAITING,
                    note=N_("Không ai trúng cử"),
                    action=Action(N_("Quyết định bầu lại (R-V8)"), "election.order_revote", poll_round, post=True,
                                  confirm=CONFIRM_REVOTE) if decidable else None)
    if next_step == "appoint_acting_chief":
        return Step("final", N_("Chỉ định trưởng thôn lâm thời (R-V8)"), CURRENT if decidable else WAITING,
                    action=Action(N_("Ghi quyết định chỉ định trưởng thôn lâm thời"), "election.appoint_acting",
                                  poll_round) if decidable else None)
    if next_step == "recognise" and status == PollStatus.VALIDATED:
        return Step("final", N_("UBND xã công nhận kết quả"), CURRENT,
                    action=Action(N_("Ghi quyết định công nhận"), "election.recognise_poll", poll_round))
    return Step("final", N_("UBND xã công nhận kết quả (hoặc bầu lại, chỉ định lâm thời)"), WAITING)


def primary_action(steps: list[Step], allowed: Callable[[str], bool]) -> tuple[Step, Action] | None:
    """The one obvious button for the reader: the action of the first current step whose page the reader may use."""
    for step in steps:
        if step.state == CURRENT and step.action is not None and allowed(step.action.endpoint):
            return step, step.action
    return None


def current_step(steps: list[Step]) -> Step | None:
    return next((s for s in steps if s.state == CURRENT), None)


# ---------------------------------------------------------------------------------------------------------
# The facts, from the records
# ---------------------------------------------------------------------------------------------------------

def _user_name(user) -> str | None:
    return user.full_name if user is not None else None


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def poll_changes(poll: Poll) -> tuple[Change, ...]:
    """The poll's audited updates, oldest first."""
    rows = db.session.scalars(db.select(AuditEntry).where(AuditEntry.record_type == "Poll",
                                                          AuditEntry.record_id == str(poll.id))
                              .order_by(AuditEntry.id)).all()
    names = _actor_names({r.user_id for r in rows if r.user_id})
    return tuple(Change(names.get(r.user_id) if r.user_id else r.actor, r.at, _loads(r.before), _loads(r.after))
                 for r in rows)


def _actor_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.full_name).where(User.id.in_(ids))).tuples().all())


def day_facts(poll: Poll) -> DayFacts:
    latest = Poll.latest_of(poll.term_id, poll.hamlet_id) or poll
    entries = poll_entries(poll)
    result = poll_result(poll)
    minutes = latest_minutes(poll)
    recognition = poll_recognition(poll)
    acting = poll_acting(poll)
    rank = _RANK[poll.status]
    problems: tuple[str, ...] = ()
    if 2 <= rank < _RANK[PollStatus.SUBMITTED]:
        returned = entries[0].ballots_returned if entries else None
        problems = tuple(problems_from(count_accepting.send(poll, returned=returned)))
    return DayFacts(
        poll_id=poll.id, hamlet_id=poll.hamlet_id, round_no=poll.round_no, open_round=latest.round_no,
        open_poll_id=latest.id, status=poll.status, mode=poll.mode,
        candidates_confirmed=bool(poll_candidates(poll)), board_complete=poll.board_complete,
        quorum_met=poll.quorum_met, checked_in=poll.checked_in(),
        entries=tuple(EntryFact(e.slot, e.user.full_name if e.user else "", e.created_at, e.method.value)
                      for e in entries),
        accounting_problems=problems, scan_open=scan_open(poll),
        result_next_step=result.next_step if result else None, result_at=result.created_at if result else None,
        minutes_by=_user_name(_user(minutes.uploaded_by_id)) if minutes else None,
        minutes_at=minutes.uploaded_at if minutes else None,
        validated_by=_user_name(_user(minutes.validated_by_id)) if minutes else None,
        validated_at=minutes.validated_at if minutes else None,
        recognised_by=_user_name(_user(recognition.recorded_by_id)) if recognition else None,
        recognised_at=recognition.recorded_at if recognition else None,
        acting_by=_user_name(_user(acting.recorded_by_id)) if acting else None,
        acting_at=None, changes=poll_changes(poll))


def _user(user_id: int | None):
    if user_id is None:
        return None
    return db.session.get(User, user_id)
