"""Pure training rules: course completion, newcomers vs re-elected workers, coverage (R-T4).

Plain values in, frozen dataclasses out; no Flask or database import. The coverage shares themselves
are computed by `training_targets` below (the targets dashboard uses it too): this module only
turns holdings and completions into `WorkerFacts`, so the coverage page and the dashboard agree.

Sources: plan 59-KH/HU (Bình Sơn) section II.2 steps 5 and 9 (training before and after the election;
newcomers and re-elected officials get different programmes) and II.2.1 (R-T4: 100% of non-specialised
hamlet workers trained, every chief and secretary trained for the post).
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from core.labels import N_
from core.targets import TargetFigure
from core.vietnamese import format_percent

# A course setting with this default: the plan names no threshold; 80% of the sessions is the usual
# requirement for a certificate of completion in party and state training (e.g. Hướng dẫn 09-HD/BTGTW
# on elementary political theory courses). Each course may set its own share.
DEFAULT_MIN_ATTENDANCE_PERCENT = 80

CHIEF_POST = "hamlet_chief"
SECRETARY_POST = "chapter_secretary"


class TrainingRuleError(ValueError):
    """Impossible input (negative counts, more sessions attended than held)."""


# ---------------------------------------------------------------------------------------------------------
# Completion
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    attended: int
    sessions: int
    min_percent: int
    share: float | None  # attended / sessions, None when no session was held
    completed: bool


def completion(attended: int, sessions: int, min_percent: int = DEFAULT_MIN_ATTENDANCE_PERCENT) -> Completion:
    """A trainee completes a course by attending at least `min_percent` % of its sessions.

    Integer arithmetic, so 4 of 5 sessions is exactly 80% and completes at an 80% rule; a course with no
    session completes nobody.
    """
    if attended < 0 or sessions < 0:
        raise TrainingRuleError("Số buổi không được âm.")
    if attended > sessions:
        raise TrainingRuleError(f"Số buổi dự ({attended}) lớn hơn số buổi học ({sessions}).")
    if not 0 < min_percent <= 100:
        raise TrainingRuleError("Tỷ lệ chuyên cần tối thiểu phải từ 1% đến 100%.")
    share = None if sessions == 0 else attended / sessions
    done = sessions > 0 and attended * 100 >= sessions * min_percent
    return Completion(attended, sessions, min_percent, share, done)


# ---------------------------------------------------------------------------------------------------------
# Newcomers and re-elected workers (59-KH/HU II.2 step 9: different programmes)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """One Position row: a person holding a post from `started_on` to `ended_on` (None: still holds it)."""

    person_id: Hashable
    post: str
    started_on: date
    ended_on: date | None = None
    term_id: Hashable | None = None


@dataclass(frozen=True)
class TermWindow:
    term_id: Hashable
    starts_on: date
    ends_on: date


def held_during(holding: Holding, window: TermWindow) -> bool:
    """The post was held in the term: recorded for it, or its dates overlap the term's.

    A post that starts on the last day of the previous term (terms often share the election day as their
    boundary) belongs to the new term, hence the strict `<` at the start.
    """
    if holding.term_id is not None and holding.term_id == window.term_id:
        return True
    return holding.started_on < window.ends_on and (holding.ended_on is None or holding.ended_on >= window.starts_on)


def newcomers(current: Iterable[Holding], history: Iterable[Holding], previous: TermWindow | None,
              term_starts_on: date) -> set[Hashable]:
    """People holding a current post they did NOT hold in the previous term.

    Without a recorded previous term, a post held before the current term began counts as held.
    `history` is every Position row of the people concerned (the current ones included).
    """
    held: set[tuple[Hashable, str]] = set()
    for holding in history:
        before = held_during(holding, previous) if previous else holding.started_on < term_starts_on
        if before:
            held.add((holding.person_id, holding.post))
    return {h.person_id for h in current if (h.person_id, h.post) not in held}


# ---------------------------------------------------------------------------------------------------------
# Coverage (R-T4)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerFacts:
    """One non-specialised hamlet worker (one row per person, whatever posts they hold)."""

    person_id: Hashable
    trained: bool  # R-T4: party work, mass mobilisation and state management training
    is_chief: bool = False
    trained_as_chief: bool = False  # R-T4: trained for the hamlet-chief post
    is_secretary: bool = False
    trained_as_secretary: bool = False  # R-T4: trained for the chapter-secretary post
    commune_id: Hashable | None = None


def training_targets(workers: Iterable[WorkerFacts]) -> list[TargetFigure]:
    """R-T4: non-specialised workers trained; chiefs and secretaries trained for their post."""
    people = trained = chiefs = chiefs_trained = secretaries = secretaries_trained = 0
    for worker in workers:
        people += 1
        trained += worker.trained
        if worker.is_chief:
            chiefs += 1
            chiefs_trained += worker.trained_as_chief
        if worker.is_secretary:
            secretaries += 1
            secretaries_trained += worker.trained_as_secretary
    return [
        TargetFigure("R-T4", "worker_trained", N_("Người hoạt động không chuyên trách ở thôn được bồi dưỡng"),
                     trained, people),
        TargetFigure("R-T4", "chief_trained_for_post", N_("Trưởng thôn được bồi dưỡng nghiệp vụ theo chức danh"),
                     chiefs_trained, chiefs),
        TargetFigure("R-T4", "secretary_trained_for_post", N_("Bí thư chi bộ được bồi dưỡng nghiệp vụ theo chức danh"),
                     secretaries_trained, secretaries),
    ]


class CurrentPost(NamedTuple):
    """A post a worker holds now, with the commune of its hamlet (a named tuple: ~10k per province)."""

    person_id: Hashable
    post: str
    commune_id: Hashable | None = None


def course_reaches(course_posts: frozenset[str], post: str) -> bool:
    """A course targets a post when it lists it, or lists none (all non-specialised workers)."""
    return not course_posts or post in course_posts


def worker_facts(posts: Iterable[CurrentPost],
                 completed: Mapping[Hashable, Sequence[frozenset[str]]]) -> list[WorkerFacts]:
    """One `WorkerFacts` per worker (R-T4), from their current posts and the courses they completed.

    `completed[person_id]` holds the target posts of each course of the term the person completed
    (an empty set: a course for all workers). Trained = completed a course that targets one of their
    posts or all workers; trained for the chief (secretary) post = completed a course that names that
    post explicitly — a course for everyone is not post-specific training.
    """
    by_person: dict[Hashable, tuple[set[str], Hashable | None]] = {}
    for held in posts:
        # A worker counts once, in the commune of the first post seen (posts are held in one hamlet).
        by_person.setdefault(held.person_id, (set(), held.commune_id))[0].add(held.post)
    facts = []
    for person_id, (mine, commune_id) in by_person.items():
        courses = completed.get(person_id, ())
        facts.append(WorkerFacts(
            person_id=person_id,
            trained=any(course_reaches(c, post) for c in courses for post in mine),
            is_chief=CHIEF_POST in mine,
            trained_as_chief=any(CHIEF_POST in c for c in courses),
            is_secretary=SECRETARY_POST in mine,
            trained_as_secretary=any(SECRETARY_POST in c for c in courses),
            commune_id=commune_id,
        ))
    return facts


@dataclass(frozen=True)
class Coverage:
    """The three R-T4 figures of one commune (or the district: commune_id None)."""

    commune_id: Hashable | None
    figures: list[TargetFigure]

    @property
    def workers(self) -> TargetFigure:
        return self.figures[0]

    @property
    def chiefs(self) -> TargetFigure:
        return self.figures[1]

    @property
    def secretaries(self) -> TargetFigure:
        return self.figures[2]


def coverage(facts: Iterable[WorkerFacts], commune_id: Hashable | None = None) -> Coverage:
    return Coverage(commune_id, training_targets(facts))


def coverage_by_commune(facts: Iterable[WorkerFacts]) -> dict[Hashable | None, Coverage]:
    groups: dict[Hashable | None, list[WorkerFacts]] = {}
    for fact in facts:
        groups.setdefault(fact.commune_id, []).append(fact)
    return {commune_id: coverage(group, commune_id) for commune_id, group in groups.items()}


@dataclass(frozen=True)
class Gap:
    """A worker still missing training, and what is missing."""

    person_id: Hashable
    commune_id: Hashable | None
    untrained: bool
    chief_untrained: bool
    secretary_untrained: bool

    @property
    def reasons(self) -> list[str]:
        """Labels in Vietnamese (the workbook's); pages translate them (`|tr`)."""
        out = []
        if self.untrained:
            out.append(N_("Chưa được bồi dưỡng trong nhiệm kỳ"))
        if self.chief_untrained:
            out.append(N_("Trưởng thôn chưa được bồi dưỡng theo chức danh"))
        if self.secretary_untrained:
            out.append(N_("Bí thư chi bộ chưa được bồi dưỡng theo chức danh"))
        return out


def gaps(facts: Iterable[WorkerFacts]) -> list[Gap]:
    """Who is still missing (R-T4): untrained workers, chiefs and secretaries not trained for the post."""
    out = []
    for f in facts:
        gap = Gap(f.person_id, f.commune_id, not f.trained, f.is_chief and not f.trained_as_chief,
                  f.is_secretary and not f.trained_as_secretary)
        if gap.untrained or gap.chief_untrained or gap.secretary_untrained:
            out.append(gap)
    return out


def percent(share: float | None) -> str:
    """'83,3%' (Vietnamese decimal comma), '—' when there is nobody to count."""
    return format_percent(share, 1)
