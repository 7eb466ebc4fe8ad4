"""Pure chapter-congress rules and end-of-term targets (rules.md §3 R-P1…R-P4, §4 R-T1…R-T5).

Plain values in, frozen dataclasses out; no Flask or database import. Views, the API, the CLI and the
minutes PDF call these functions; nothing re-implements them. Every threshold is a field of
`CongressRuleSet`, with its rule id and source beside it.

Sources: Party regulation 294-QĐ/TW (2025) on the Party Charter — chapter structure (R-P1);
Party regulation 190-QĐ/TW (2024) on elections within the Party — vote base, majority, candidate
lists, secretary rounds (R-P2…R-P4); plan 59-KH/HU (Bình Sơn) section II.2.1 — targets (R-T1…R-T5).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from core.enums import Post
from core.labels import N_
from core.targets import RuleInputError, TargetFigure, check_counts, share_of
from core.vietnamese import format_percent
from training.rules import WorkerFacts, training_targets

Rounding = Literal["floor", "ceil"]
RoundOutcome = Literal["elected", "next_round", "appoint_by_higher_committee"]


class ChapterRuleError(RuleInputError):
    """Impossible input to a chapter rule (negative counts, more votes than ballots…), in both languages."""


@dataclass(frozen=True)
class CongressRuleSet:
    """The thresholds of the chapter congress; the defaults are the 2024/2025 Party regulations."""

    committee_threshold: int = 9  # R-P1, 294-QĐ/TW (2025): ≥ 9 official members elect a committee
    max_committee_seats: int = 7  # R-P1, 294-QĐ/TW (2025): a chapter committee has at most 7 members
    deputy_secretaries: int = 1  # R-P1, 294-QĐ/TW (2025): one deputy secretary
    max_candidate_surplus_percent: int = 30  # R-P3, 190-QĐ/TW (2024): surplus ≤ 30% of the seats
    # R-P3 setting (rules.md: rounding for small committees is uncertain): how 30% of the seats is
    # rounded to whole people. Default "ceil": with "floor" a committee of 1–3 seats gets no surplus at
    # all, and since R-P3 also demands more candidates than seats, NO list would be valid for the common
    # 3-seat chapter committee; "ceil" allows one extra candidate there (and never widens an exact 30%:
    # 10 seats → 3 either way). "floor" stays available for a jurisdiction that reads the rule strictly.
    surplus_rounding: Rounding = "ceil"
    floor_nominee_min_percent: int = 30  # R-P3, 190-QĐ/TW (2024): floor nominee needs > 30% of those present
    max_secretary_rounds: int = 3  # R-P4, 190-QĐ/TW (2024): no secretary after round 3 → higher committee appoints

    def __post_init__(self) -> None:
        if self.surplus_rounding not in ("floor", "ceil"):
            raise ValueError(f"surplus_rounding must be 'floor' or 'ceil', not {self.surplus_rounding!r}")
        for name in ("committee_threshold", "max_committee_seats", "max_secretary_rounds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("deputy_secretaries", "max_candidate_surplus_percent", "floor_nominee_min_percent"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


DEFAULT_CONGRESS_RULES = CongressRuleSet()


def _check_counts(**counts: int) -> None:
    check_counts(ChapterRuleError, **counts)


def _percent_vi(share: float | None) -> str:
    return format_percent(share, 1)


def _percent_en(share: float | None) -> str:
    return format_percent(share, 1, "en")


# ---------------------------------------------------------------------------------------------------------
# R-P1 — what the congress elects
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionStep:
    """One election of the congress, in the order it is held (its label: `post.label`)."""

    post: Post  # one of core.enums.CHAPTER_POSTS
    max_seats: int
    from_committee: bool  # chosen among the committee just elected
    optional: bool  # the congress may skip it ("if needed")


@dataclass(frozen=True)
class Structure:
    official_members: int
    elects_committee: bool
    max_committee_seats: int  # 0 when no committee is elected
    steps: tuple[ElectionStep, ...]
    message: str
    message_en: str


def elects_committee(official_members: int, rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> bool:
    """R-P1: a chapter with at least `committee_threshold` official members elects a committee."""
    return official_members >= rules.committee_threshold


def congress_structure(official_members: int, rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> Structure:
    """R-P1: whether the chapter elects a committee, its maximum size, and what is elected in order.

    Assumption for the seat count: seats ≤ min(`max_committee_seats`, official members − 1), because
    R-P3 needs more candidates than seats and candidates are official members (R-E6). With the default
    threshold of 9 this is always 7; the second bound matters only if the threshold is configured lower.
    The exact number within the maximum is decided by the congress (on the higher committee's guidance).
    """
    _check_counts(official_members=official_members)
    if not elects_committee(official_members, rules):
        steps = (
            ElectionStep(Post.CHAPTER_SECRETARY, 1, False, False),
            ElectionStep(Post.CHAPTER_DEPUTY_SECRETARY, rules.deputy_secretaries, False, True),
        )
        return Structure(
            official_members, False, 0, steps,
            f"Chi bộ có {official_members} đảng viên chính thức (dưới {rules.committee_threshold}): "
            "không bầu chi ủy; bầu bí thư chi bộ và, nếu cần, một phó bí thư.",
            f"The chapter has {official_members} official members (fewer than {rules.committee_threshold}): "
            "no committee; it elects a secretary and, if needed, one deputy secretary.",
        )
    seats = min(rules.max_committee_seats, official_members - 1)
    steps = (
        ElectionStep(Post.CHAPTER_COMMITTEE_MEMBER, seats, False, False),
        ElectionStep(Post.CHAPTER_SECRETARY, 1, True, False),
        ElectionStep(Post.CHAPTER_DEPUTY_SECRETARY, rules.deputy_secretaries, True, False),
    )
    return Structure(
        official_members, True, seats, steps,
        f"Chi bộ có {official_members} đảng viên chính thức (từ {rules.committee_threshold} trở lên): "
        f"bầu chi ủy (tối đa {seats} người), sau đó bầu bí thư và một phó bí thư trong số chi ủy viên.",
        f"The chapter has {official_members} official members ({rules.committee_threshold} or more): "
        f"it elects a committee (at most {seats}), then the secretary and one deputy from the committee.",
    )


# ---------------------------------------------------------------------------------------------------------
# R-P2 — vote base and the ballot result
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusions:
    """Official members convened who do not count in the vote base (R-P2, 190-QĐ/TW 2024)."""

    temporarily_transferred_out: int = 0  # chuyển sinh hoạt tạm thời
    exempted_and_absent: int = 0  # được miễn công tác và sinh hoạt đảng, vắng mặt
    suspended: int = 0  # đang bị đình chỉ sinh hoạt đảng
    prosecuted_or_detained: int = 0  # bị khởi tố, truy tố, tạm giam
    absent_with_approved_reason: int = 0  # vắng mặt suốt thời gian đại hội có lý do được cấp ủy đồng ý

    def __post_init__(self) -> None:
        _check_counts(**{name: getattr(self, name) for name in self.__dataclass_fields__})

    @property
    def total(self) -> int:
        return (self.temporarily_transferred_out + self.exempted_and_absent + self.suspended
                + self.prosecuted_or_detained + self.absent_with_approved_reason)


@dataclass(frozen=True)
class Attendance:
    official_members_convened: int
    exclusions: Exclusions = Exclusions()

    def __post_init__(self) -> None:
        _check_counts(official_members_convened=self.official_members_convened)


def vote_base(attendance: Attendance) -> int:
    """R-P2: official members convened minus the exclusions; the denominator of every majority."""
    base = attendance.official_members_convened - attendance.exclusions.total
    if base < 0:
        raise ChapterRuleError(
            f"Số trường hợp được trừ ({attendance.exclusions.total}) lớn hơn số đảng viên chính thức "
            f"được triệu tập ({attendance.official_members_convened}).",
            f"The exclusions ({attendance.exclusions.total}) exceed the official members convened "
            f"({attendance.official_members_convened}).",
        )
    return base


def votes_needed(base: int) -> int:
    """R-P2: the fewest votes that are more than half of the base (strict: exactly half is not enough)."""
    return base // 2 + 1


class TallyOutcome(StrEnum):
    ELECTED = "elected"
    NO_MAJORITY = "no_majority"  # did not get more than half of the base
    OUTRANKED = "outranked"  # had a majority, but the seats went to candidates with more votes
    TIED_FOR_LAST_SEAT = "tied_for_last_seat"  # equal votes at the last seat: a new round decides


@dataclass(frozen=True)
class CandidateTally:
    candidate: Hashable
    votes: int
    share_of_base: float | None
    share_of_valid: float | None
    has_majority: bool
    outcome: TallyOutcome
    message: str
    message_en: str


@dataclass(frozen=True)
class BallotResult:
    base: int
    valid_ballots: int
    seats: int
    votes_needed: int
    tallies: tuple[CandidateTally, ...]  # highest votes first; equal votes keep the input order
    elected: tuple[Hashable, ...]
    tied: tuple[Hashable, ...]  # candidates tied at the last seat, none of them elected yet
    tie_needs_new_round: bool  # True: hold a new round among `tied` for the remaining seats
    unfilled_seats: int


def ballot_result(votes: Mapping[Hashable, int], valid_ballots: int, base: int, seats: int) -> BallotResult:
    """R-P2: who is elected from one secret ballot.

    A candidate is elected iff votes > ½ × base (votes counted on valid ballots only). When more
    candidates have a majority than there are seats, the highest take them; if equal votes straddle the
    last seat, none of the tied candidates is elected and `tie_needs_new_round` is set.
    """
    _check_counts(valid_ballots=valid_ballots, base=base)
    if seats < 1:
        raise ChapterRuleError("Số lượng cần bầu phải ít nhất là 1.", "At least one seat must be elected.")
    if valid_ballots > base:
        raise ChapterRuleError(
            f"Số phiếu hợp lệ ({valid_ballots}) lớn hơn số đảng viên làm căn cứ tính ({base}).",
            f"Valid ballots ({valid_ballots}) exceed the vote base ({base}).")
    for candidate, count in votes.items():
        _check_counts(**{f"votes[{candidate}]": count})
        if count > valid_ballots:
            raise ChapterRuleError(
                f"Ứng cử viên {candidate} có {count} phiếu, nhiều hơn số phiếu hợp lệ ({valid_ballots}).",
                f"Candidate {candidate} has {count} votes, more than the valid ballots ({valid_ballots}).")

    needed = votes_needed(base)
    ranked = sorted(votes.items(), key=lambda item: -item[1])  # stable: ties keep the input order
    with_majority = [(c, v) for c, v in ranked if 2 * v > base]  # R-P2: strictly more than half
    if len(with_majority) <= seats:
        elected = [c for c, _ in with_majority]
        tied: list[Hashable] = []
    else:
        last_seat_votes = with_majority[seats - 1][1]
        first_loser_votes = with_majority[seats][1]
        if last_seat_votes == first_loser_votes:
            elected = [c for c, v in with_majority if v > last_seat_votes]
            tied = [c for c, v in with_majority if v == last_seat_votes]
        else:
            elected = [c for c, _ in with_majority[:seats]]
            tied = []
    elected_set, tied_set = set(elected), set(tied)

    tallies = []
    for candidate, count in ranked:
        has_majority = 2 * count > base
        if candidate in elected_set:
            outcome = TallyOutcome.ELECTED
        elif candidate in tied_set:
            outcome = TallyOutcome.TIED_FOR_LAST_SEAT
        elif has_majority:
            outcome = TallyOutcome.OUTRANKED
        else:
            outcome = TallyOutcome.NO_MAJORITY
        tallies.append(_tally(candidate, count, valid_ballots, base, needed, has_majority, outcome))

    return BallotResult(
        base=base, valid_ballots=valid_ballots, seats=seats, votes_needed=needed, tallies=tuple(tallies),
        elected=tuple(elected), tied=tuple(tied), tie_needs_new_round=bool(tied),
        unfilled_seats=seats - len(elected),
    )


def _tally(candidate: Hashable, count: int, valid_ballots: int, base: int, needed: int,
           has_majority: bool, outcome: TallyOutcome) -> CandidateTally:
    of_base, of_valid = share_of(count, base), share_of(count, valid_ballots)
    figures_vi = (f"{count} phiếu, bằng {_percent_vi(of_base)} của {base} đảng viên làm căn cứ tính "
                  f"({_percent_vi(of_valid)} số phiếu hợp lệ)")
    figures_en = (f"{count} votes, {_percent_en(of_base)} of the vote base of {base} "
                  f"({_percent_en(of_valid)} of valid ballots)")
    if outcome is TallyOutcome.ELECTED:
        message = f"Trúng cử: {figures_vi}, quá một nửa."
        message_en = f"Elected: {figures_en}, more than half."
    elif outcome is TallyOutcome.TIED_FOR_LAST_SEAT:
        message = f"Bằng phiếu ở vị trí cuối cùng: {figures_vi}; phải bầu lại giữa những người bằng phiếu."
        message_en = f"Tied for the last seat: {figures_en}; a new round among the tied candidates is needed."
    elif outcome is TallyOutcome.OUTRANKED:
        message = f"Không trúng cử: {figures_vi}, quá một nửa nhưng đã đủ số lượng người có phiếu cao hơn."
        message_en = f"Not elected: {figures_en}, more than half, but the seats went to higher votes."
    else:
        message = f"Không trúng cử: {figures_vi}, chưa quá một nửa (cần ít nhất {needed} phiếu)."
        message_en = f"Not elected: {figures_en}, not more than half (at least {needed} votes needed)."
    return CandidateTally(candidate, count, of_base, of_valid, has_majority, outcome, message, message_en)


# ---------------------------------------------------------------------------------------------------------
# R-P3 — the committee candidate list and floor nominees
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    rule: str
    code: str
    message: str
    message_en: str


def max_candidate_surplus(seats: int, rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> int:
    """R-P3: the largest number of extra candidates, 30% of the seats rounded by `surplus_rounding`."""
    _check_counts(seats=seats)
    scaled = seats * rules.max_candidate_surplus_percent  # integer arithmetic: 10 × 30% is exactly 3
    return scaled // 100 if rules.surplus_rounding == "floor" else -(-scaled // 100)


def check_candidate_list(seats: int, candidates: int,
                         rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> list[Problem]:
    """R-P3: more candidates than seats, and the surplus at most 30% of the seats; [] when the list is fine."""
    _check_counts(seats=seats, candidates=candidates)
    if seats < 1:
        raise ChapterRuleError("Số lượng cần bầu phải ít nhất là 1.", "At least one seat must be elected.")
    surplus_allowed = max_candidate_surplus(seats, rules)
    problems = []
    if surplus_allowed == 0:
        problems.append(Problem(
            "R-P3", "no_valid_list_size",
            f"Với {seats} chỗ, số dư {rules.max_candidate_surplus_percent}% làm tròn xuống là 0 người: không "
            "danh sách nào vừa nhiều hơn số lượng cần bầu vừa đúng số dư. Cần xem lại cách làm tròn.",
            f"With {seats} seats, a {rules.max_candidate_surplus_percent}% surplus rounded down is 0: no list "
            "can both exceed the seats and respect the surplus. Review the rounding setting.",
        ))
    if candidates <= seats:
        problems.append(Problem(
            "R-P3", "too_few_candidates",
            f"Danh sách bầu cử phải nhiều hơn số lượng cần bầu: có {candidates} người cho {seats} chỗ.",
            f"The list must have more candidates than seats: {candidates} candidates for {seats} seats.",
        ))
    elif candidates - seats > surplus_allowed:
        surplus = candidates - seats
        problems.append(Problem(
            "R-P3", "surplus_too_large",
            f"Số dư {surplus} người ({_percent_vi(surplus / seats)}) vượt quá "
            f"{rules.max_candidate_surplus_percent}% số lượng cần bầu (tối đa {surplus_allowed} người, "
            f"tức {seats + surplus_allowed} ứng cử viên cho {seats} chỗ).",
            f"A surplus of {surplus} ({_percent_en(surplus / seats)}) exceeds "
            f"{rules.max_candidate_surplus_percent}% of the seats (at most {surplus_allowed}, "
            f"i.e. {seats + surplus_allowed} candidates for {seats} seats).",
        ))
    return problems


def floor_nominee_accepted(agreeing: int, present: int, rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> bool:
    """R-P3: a nominee from the floor enters the list only with more than 30% of members present agreeing."""
    _check_counts(agreeing=agreeing, present=present)
    if agreeing > present:
        raise ChapterRuleError(f"Số đồng ý ({agreeing}) lớn hơn số đảng viên có mặt ({present}).",
                               f"Agreeing members ({agreeing}) exceed those present ({present}).")
    return agreeing * 100 > present * rules.floor_nominee_min_percent  # strict: exactly 30% is refused


# ---------------------------------------------------------------------------------------------------------
# R-P4 — secretary rounds
# ---------------------------------------------------------------------------------------------------------


def secretary_round_outcome(round_no: int, elected: bool,
                            rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> RoundOutcome:
    """R-P4: after round `round_no` (1-based) of the secretary election, what happens next."""
    if not 1 <= round_no <= rules.max_secretary_rounds:
        raise ChapterRuleError(
            f"Vòng bầu bí thư phải từ 1 đến {rules.max_secretary_rounds} (nhận được {round_no}).",
            f"The secretary round must be between 1 and {rules.max_secretary_rounds} (got {round_no}).")
    if elected:
        return "elected"
    if round_no < rules.max_secretary_rounds:
        return "next_round"
    return "appoint_by_higher_committee"


# ---------------------------------------------------------------------------------------------------------
# R-T1…R-T5 — end-of-term targets (plan 59-KH/HU section II.2.1)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HamletFacts:
    """One hamlet/TDP. None for a post-holder field means the post is vacant (not counted)."""

    hamlet_id: Hashable
    chief_is_member: bool | None  # R-T1
    chief_post_in_chapter: Post | None  # R-T3: the chief's post in the chapter, None if none
    front_head_is_member: bool | None  # R-T1
    commune_id: Hashable | None = None


@dataclass(frozen=True)
class ChapterFacts:
    chapter_id: Hashable
    official_members: int
    has_committee: bool  # R-T2
    commune_id: Hashable | None = None


@dataclass(frozen=True)
class RemediationFacts:
    """The remediation plan of one approved exception (R-X1)."""

    exception_id: Hashable
    deadline: date
    met_on: date | None  # the day the standard was met, None while still open
    commune_id: Hashable | None = None


def chief_membership_targets(hamlets: Iterable[HamletFacts]) -> list[TargetFigure]:
    """R-T1: hamlet chiefs and Front work-committee heads (posts filled) who are party members."""
    chiefs = chief_members = heads = head_members = 0
    for hamlet in hamlets:
        if hamlet.chief_is_member is not None:
            chiefs += 1
            chief_members += hamlet.chief_is_member
        if hamlet.front_head_is_member is not None:
            heads += 1
            head_members += hamlet.front_head_is_member
    return [
        TargetFigure("R-T1", "chief_is_member", N_("Trưởng thôn, tổ trưởng tổ dân phố là đảng viên"),
                     chief_members, chiefs),
        TargetFigure("R-T1", "front_head_is_member", N_("Trưởng ban công tác Mặt trận là đảng viên"),
                     head_members, heads),
    ]


def committee_target(chapters: Iterable[ChapterFacts],
                     rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> TargetFigure:
    """R-T2: chapters that must have a committee (R-P1 threshold) and have one; smaller ones not counted."""
    due = with_committee = 0
    for chapter in chapters:
        if elects_committee(chapter.official_members, rules):
            due += 1
            with_committee += chapter.has_committee
    return TargetFigure("R-T2", "chapter_has_committee", N_("Chi bộ có từ %(n)s đảng viên chính thức có chi ủy"),
                        with_committee, due, label_values={"n": rules.committee_threshold})


def chief_chapter_post_targets(hamlets: Iterable[HamletFacts]) -> list[TargetFigure]:
    """R-T3: chiefs in office who hold a chapter post; and (encouraged, no target) who are the secretary."""
    chiefs = with_post = secretaries = 0
    for hamlet in hamlets:
        if hamlet.chief_is_member is None:
            continue  # no chief in office
        chiefs += 1
        with_post += hamlet.chief_post_in_chapter is not None
        secretaries += hamlet.chief_post_in_chapter == Post.CHAPTER_SECRETARY
    return [
        TargetFigure("R-T3", "chief_holds_chapter_post", N_("Trưởng thôn là bí thư, phó bí thư hoặc chi ủy viên chi bộ"),
                     with_post, chiefs),
        TargetFigure("R-T3", "chief_is_secretary", N_("Bí thư chi bộ đồng thời là trưởng thôn (khuyến khích)"),
                     secretaries, chiefs, target_share=None),
    ]


RemediationState = Literal["met", "due", "overdue"]


def remediation_state(remediation: RemediationFacts, as_of: date) -> RemediationState:
    """R-T5: met on or before `as_of`; otherwise due up to and including the deadline, overdue the day after."""
    if remediation.met_on is not None and remediation.met_on <= as_of:
        return "met"
    return "due" if as_of <= remediation.deadline else "overdue"


def remediation_targets(remediations: Iterable[RemediationFacts], as_of: date) -> list[TargetFigure]:
    """R-T5: remediations met (target 100% by the end of the term), still due, and overdue (target 0%)."""
    counts = {"met": 0, "due": 0, "overdue": 0}
    for remediation in remediations:
        counts[remediation_state(remediation, as_of)] += 1
    total = sum(counts.values())
    return [
        TargetFigure("R-T5", "remediation_met", N_("Ngoại lệ đã khắc phục xong"), counts["met"], total),
        TargetFigure("R-T5", "remediation_due", N_("Ngoại lệ đang trong hạn khắc phục"), counts["due"], total,
                     target_share=None),
        TargetFigure("R-T5", "remediation_overdue", N_("Ngoại lệ quá hạn khắc phục"), counts["overdue"], total,
                     target_share=0.0, at_most=True),
    ]


def compute_targets(hamlets: Iterable[HamletFacts], chapters: Iterable[ChapterFacts],
                    workers: Iterable[WorkerFacts], remediations: Iterable[RemediationFacts], as_of: date,
                    rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> list[TargetFigure]:
    """All target figures R-T1…R-T5 in dashboard order; one pass over each input (O(n))."""
    hamlet_list = list(hamlets)  # read twice (R-T1 and R-T3); allows a generator as input
    return [
        *chief_membership_targets(hamlet_list),
        committee_target(chapters, rules),
        *chief_chapter_post_targets(hamlet_list),
        *training_targets(workers),
        *remediation_targets(remediations, as_of),
    ]


def compute_targets_by_commune(hamlets: Iterable[HamletFacts], chapters: Iterable[ChapterFacts],
                               workers: Iterable[WorkerFacts], remediations: Iterable[RemediationFacts],
                               as_of: date, rules: CongressRuleSet = DEFAULT_CONGRESS_RULES,
                               ) -> dict[Hashable | None, list[TargetFigure]]:
    """`compute_targets` per `commune_id` (one grouping pass); communes appear in first-seen order."""
    groups: dict[Hashable | None, tuple[list[HamletFacts], list[ChapterFacts], list[WorkerFacts],
                                        list[RemediationFacts]]] = {}

    def group(commune_id: Hashable | None) -> tuple[list[HamletFacts], list[ChapterFacts],
                                                     list[WorkerFacts], list[RemediationFacts]]:
        return groups.setdefault(commune_id, ([], [], [], []))

    for hamlet in hamlets:
        group(hamlet.commune_id)[0].append(hamlet)
    for chapter in chapters:
        group(chapter.commune_id)[1].append(chapter)
    for worker in workers:
        group(worker.commune_id)[2].append(worker)
    for remediation in remediations:
        group(remediation.commune_id)[3].append(remediation)
    return {commune_id: compute_targets(*facts, as_of=as_of, rules=rules) for commune_id, facts in groups.items()}


# ---------------------------------------------------------------------------------------------------------
# Chapters "still difficult in cadres" (plan 59-KH/HU §2.7: a standing-committee member attends their meetings)
# ---------------------------------------------------------------------------------------------------------

# The plan names no test for "còn khó khăn về cán bộ"; these are the signs the app holds (issue 16), each the trace
# of a shortage of people the plan itself describes: an exception to the standards (§2.3, R-X1: "thật sự khó khăn
# về nguồn nhân sự"), nobody who meets the standards (R-E1…R-E8), nobody elected twice over (R-V8), no committee
# where the chapter must elect one (R-P1, R-T2). The labels are words only: the review's PDF and workbook print them.
DIFFICULTY_LABELS: dict[str, str] = {
    "exception_needed": N_("Phải xin ngoại lệ tiêu chuẩn cho người ứng cử"),
    "no_eligible_candidate": N_("Không có người ứng cử đủ tiêu chuẩn trưởng thôn"),
    "acting_chief": N_("Phải chỉ định trưởng thôn lâm thời"),
    "no_committee": N_("Chi bộ chưa có chi ủy dù đủ số đảng viên phải bầu chi ủy"),
}


@dataclass(frozen=True)
class CadreFacts:
    """One chapter and its hamlet in one term: what tells a shortage of cadres."""

    chapter_id: Hashable
    official_members: int
    has_committee: bool  # a chapter committee member holds office (as R-T2 counts it)
    exception_requests: int  # requests filed for the hamlet's candidates in the term (withdrawn ones not counted)
    candidates: int  # on the hamlet's candidate lists of the term
    eligible_candidates: int  # of them, eligible as hamlet chief without any exception (R-E1…R-E8)
    acting_chief: bool  # an acting chief was appointed in the term (R-V8)
    commune_id: Hashable | None = None


@dataclass(frozen=True)
class CadreDifficulty:
    chapter_id: Hashable
    reasons: tuple[str, ...]  # keys of DIFFICULTY_LABELS, in that order
    commune_id: Hashable | None = None

    @property
    def difficult(self) -> bool:
        return bool(self.reasons)


def cadre_difficulty(facts: CadreFacts, rules: CongressRuleSet = DEFAULT_CONGRESS_RULES) -> CadreDifficulty:
    """59-KH/HU §2.7: why a chapter is "still difficult in cadres" (no reason: it is not).

    - exception_needed: an exception request was filed for a candidate of the hamlet (R-X1, §2.3);
    - no_eligible_candidate: the hamlet has candidates and none meets every standard as hamlet chief (a list still
      empty is not yet prepared, not a shortage);
    - acting_chief: nobody was elected after the last round, an acting chief was appointed (R-V8);
    - no_committee: the chapter has enough official members to elect a committee (R-P1) and has none (R-T2).
    """
    _check_counts(official_members=facts.official_members, exception_requests=facts.exception_requests,
                  candidates=facts.candidates, eligible_candidates=facts.eligible_candidates)
    if facts.eligible_candidates > facts.candidates:
        raise ChapterRuleError(
            f"Số người đủ tiêu chuẩn ({facts.eligible_candidates}) lớn hơn số người ứng cử ({facts.candidates}).",
            f"Eligible candidates ({facts.eligible_candidates}) exceed candidates ({facts.candidates}).")
    signs = {
        "exception_needed": facts.exception_requests > 0,
        "no_eligible_candidate": facts.candidates > 0 and facts.eligible_candidates == 0,
        "acting_chief": facts.acting_chief,
        "no_committee": elects_committee(facts.official_members, rules) and not facts.has_committee,
    }
    return CadreDifficulty(facts.chapter_id, tuple(key for key in DIFFICULTY_LABELS if signs[key]), facts.commune_id)
