"""The facts behind the targets dashboard (rules.md §4, R-T1…R-T5), built with a few bulk queries.

Queries, whatever the size of the district: hamlets with their communes; every Position of the posts that
count, over the whole term (so the same rows give today's facts and the progress over the term); chapters;
remediation plans; and training facts from the training package (R-T4). No per-hamlet query: the
dashboard answers in well under a second at province scale (bench/dashboard.py).

Definitions (documented here because the rules only name them):
- A post is held on day d when started_on ≤ d and (ended_on is None or d ≤ ended_on). When two holders of
  the same post overlap in a hamlet, the one who started last counts.
- A chief "is a party member" (R-T1) by the person's current registry value (probationary counts, as in R-E7).
- A chapter "has a committee" (R-T2) when at least one current chapter_committee_member Position exists in
  its hamlet: the committee is secretary + deputy + members, so a committee always has a plain member.
- Chief's chapter post (R-T3): the highest chapter post the chief's person holds in the same hamlet that day.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta

from candidates.models import RemediationPlan
from chapters.rules import (
    DEFAULT_CONGRESS_RULES,
    ChapterFacts,
    HamletFacts,
    RemediationFacts,
    compute_targets,
    compute_targets_by_commune,
)
from core.enums import PartyMembership, Post
from core.models import Chapter, Commune, Hamlet, Person, Position, Term
from core.targets import TargetFigure
from extensions import db
from training.models import training_facts
from training.rules import WorkerFacts

COUNTED_POSTS = (Post.HAMLET_CHIEF, Post.FRONT_HEAD, Post.CHAPTER_SECRETARY,
                 Post.CHAPTER_DEPUTY_SECRETARY, Post.CHAPTER_COMMITTEE_MEMBER)
CHAPTER_RANK = (Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY, Post.CHAPTER_COMMITTEE_MEMBER)  # highest first
NO_TRAINING_NOTE = "chưa có dữ liệu bồi dưỡng"
# Figures drawn on the progress chart (R-T4 has no history: training facts are today's only).
CHART_KEYS = ("chief_is_member", "chapter_has_committee", "chief_holds_chapter_post", "chief_is_secretary",
              "remediation_met")


@dataclass(frozen=True)
class HeldPost:
    hamlet_id: int
    post: Post
    person_id: int
    person_name: str
    is_member: bool
    started_on: date
    ended_on: date | None

    def holds_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


@dataclass(frozen=True)
class HamletRow:
    id: int
    name: str
    commune_id: int
    commune_name: str


@dataclass(frozen=True)
class RemediationRow:
    id: int
    deadline: date
    met_on: date | None
    rule: str
    person_name: str
    hamlet_id: int
    commune_id: int


@dataclass
class Facts:
    """Everything the dashboard needs for one district (or one commune) and one term."""

    term: Term
    as_of: date
    hamlets: dict[int, HamletRow]
    communes: dict[int, str]
    chapters: list[tuple[int, int, int, str]]  # (chapter id, hamlet id, official members, name)
    posts: list[HeldPost]
    remediations: list[RemediationRow]
    workers: list[WorkerFacts]
    training_note: str = ""
    people: dict[int, str] = field(default_factory=dict)

    # -- facts on a day ---------------------------------------------------------------------------------
    def hamlet_facts(self, day: date) -> list[HamletFacts]:
        holders, chapter_people = self._holders(day)
        out = []
        for hamlet in self.hamlets.values():
            chief = holders.get((hamlet.id, Post.HAMLET_CHIEF))
            front = holders.get((hamlet.id, Post.FRONT_HEAD))
            chapter_post = None
            if chief is not None:  # the highest chapter post the chief holds (CHAPTER_RANK order)
                chapter_post = next((post for post in CHAPTER_RANK
                                     if chief.person_id in chapter_people.get((hamlet.id, post), ())), None)
            out.append(HamletFacts(hamlet.id, chief.is_member if chief else None, chapter_post,
                                   front.is_member if front else None, hamlet.commune_id))
        return out

    def chapter_facts(self, day: date) -> list[ChapterFacts]:
        committees = {p.hamlet_id for p in self.posts
                      if p.post == Post.CHAPTER_COMMITTEE_MEMBER and p.holds_on(day)}
        return [ChapterFacts(chapter_id, official, hamlet_id in committees, self.hamlets[hamlet_id].commune_id)
                for chapter_id, hamlet_id, official, _ in self.chapters]

    def remediation_facts(self) -> list[RemediationFacts]:
        return [RemediationFacts(r.id, r.deadline, r.met_on, r.commune_id) for r in self.remediations]

    def _holders(self, day: date) -> tuple[dict[tuple[int, Post], HeldPost], dict[tuple[int, Post], set[int]]]:
        """On `day`: the single chief and Front head per hamlet (latest start wins), and chapter post holders."""
        single: dict[tuple[int, Post], HeldPost] = {}
        chapter_people: dict[tuple[int, Post], set[int]] = defaultdict(set)
        for p in self.posts:
            if not p.holds_on(day):
                continue
            key = (p.hamlet_id, p.post)
            if p.post in CHAPTER_RANK:
                chapter_people[key].add(p.person_id)
            elif key not in single or single[key].started_on < p.started_on:
                single[key] = p
        return single, chapter_people

    # -- figures --------------------------------------------------------------------------------------------
    def figures(self, day: date | None = None) -> list[TargetFigure]:
        day = day or self.as_of
        return compute_targets(self.hamlet_facts(day), self.chapter_facts(day), self.workers,
                               self.remediation_facts(), day, DEFAULT_CONGRESS_RULES)

    def figures_by_commune(self) -> dict[Hashable | None, list[TargetFigure]]:
        day = self.as_of
        return compute_targets_by_commune(self.hamlet_facts(day), self.chapter_facts(day), self.workers,
                                          self.remediation_facts(), day, DEFAULT_CONGRESS_RULES)

    def progress(self, points: int = 14) -> list[tuple[date, dict[str, float | None]]]:
        """Shares of CHART_KEYS at month ends from the term start to `as_of` (at most `points` samples)."""
        days = sample_days(self.term.starts_on, min(self.as_of, self.term.ends_on), points)
        out = []
        for day in days:
            figures = compute_targets(self.hamlet_facts(day), self.chapter_facts(day), [],
                                      self.remediation_facts(), day, DEFAULT_CONGRESS_RULES)
            out.append((day, {f.key: f.share for f in figures if f.key in CHART_KEYS}))
        return out

    # -- the list behind a figure --------------------------------------------------------------------------
    def items(self, key: str, commune_id: int | None = None) -> list[dict]:
        """Every item the figure `key` counts (its denominator), each marked counted or not.

        Each item is put through `compute_targets` alone, so membership and status come from the rules
        themselves and the list always adds up to the figure.
        """
        day = self.as_of
        rows = []

        def judge(hamlets=(), chapters=(), workers=(), remediations=()) -> TargetFigure | None:
            figure = next(f for f in compute_targets(hamlets, chapters, workers, remediations, day)
                          if f.key == key)
            return figure if figure.denominator else None

        holders, _ = self._holders(day)
        for facts in self.hamlet_facts(day):
            figure = judge(hamlets=[facts])
            if figure:
                hamlet = self.hamlets[facts.hamlet_id]
                person = holders.get((hamlet.id, Post.FRONT_HEAD if key == "front_head_is_member"
                                      else Post.HAMLET_CHIEF))
                detail = facts.chief_post_in_chapter.label if facts.chief_post_in_chapter else ""
                rows.append(self._row(hamlet, person.person_name if person else "", figure, detail))
        chapter_names = {c[0]: (c[1], c[2], c[3]) for c in self.chapters}
        for facts in self.chapter_facts(day):
            figure = judge(chapters=[facts])
            if figure:
                hamlet_id, official, name = chapter_names[facts.chapter_id]
                rows.append(self._row(self.hamlets[hamlet_id], name, figure, f"{official}"))
        for worker in self.workers:
            figure = judge(workers=[worker])
            if figure:
                rows.append({"commune": self.communes.get(worker.commune_id, ""), "commune_id": worker.commune_id,
                             "hamlet": "", "hamlet_id": None, "person": self.people.get(worker.person_id, ""),
                             "person_id": worker.person_id, "counted": bool(figure.numerator), "detail": ""})
        for remediation, facts in zip(self.remediations, self.remediation_facts()):
            figure = judge(remediations=[facts])
            if figure:
                row = self._row(self.hamlets[remediation.hamlet_id], remediation.person_name, figure,
                                f"{remediation.rule} · hạn {remediation.deadline:%d/%m/%Y}"
                                + (f" · đạt {remediation.met_on:%d/%m/%Y}" if remediation.met_on else ""))
                rows.append(row)
        if commune_id is not None:
            rows = [r for r in rows if r["commune_id"] == commune_id]
        return sorted(rows, key=lambda r: (r["counted"], r["commune"], r["hamlet"], r["person"]))

    def _row(self, hamlet: HamletRow, person: str, figure: TargetFigure, detail: str) -> dict:
        return {"commune": hamlet.commune_name, "commune_id": hamlet.commune_id, "hamlet": hamlet.name,
                "hamlet_id": hamlet.id, "person": person, "person_id": None, "counted": bool(figure.numerator),
                "detail": detail}


def sample_days(start: date, end: date, points: int) -> list[date]:
    """Month ends from `start` to `end` (and `end` itself), thinned to at most `points` evenly."""
    days = []
    year, month = start.year, start.month
    while True:
        first_next = date(year + month // 12, month % 12 + 1, 1)
        last = first_next - timedelta(days=1)
        if last >= end:
            break
        days.append(last)
        year, month = first_next.year, first_next.month
    if len(days) > points - 1:
        step = len(days) / (points - 1)
        days = [days[int(i * step)] for i in range(points - 1)]
    return [*days, end]


def load_facts(district_id: int, term: Term, as_of: date, commune_id: int | None = None,
               with_names: bool = False) -> Facts:
    """The dashboard facts of a district (or one of its communes) in `term`, as of `as_of`."""
    hamlet_stmt = (db.select(Hamlet.id, Hamlet.name, Hamlet.kind, Commune.id, Commune.name)
                   .join(Commune, Hamlet.commune_id == Commune.id)
                   .where(Commune.district_id == district_id, Hamlet.ended_on.is_(None)))
    if commune_id is not None:
        hamlet_stmt = hamlet_stmt.where(Commune.id == commune_id)
    hamlets: dict[int, HamletRow] = {}
    communes: dict[int, str] = {}
    for hid, name, kind, cid, cname in db.session.execute(hamlet_stmt.order_by(Commune.name, Hamlet.name)):
        hamlets[hid] = HamletRow(hid, f"{kind.label} {name}", cid, cname)
        communes[cid] = cname

    in_area = [Hamlet.id.in_(db.select(Hamlet.id).join(Commune).where(Commune.district_id == district_id))]
    if commune_id is not None:
        in_area = [Hamlet.commune_id == commune_id]
    post_stmt = (db.select(Position.hamlet_id, Position.post, Position.person_id, Person.full_name,
                           Person.party_member, Position.started_on, Position.ended_on)
                 .join(Person, Position.person_id == Person.id).join(Hamlet, Position.hamlet_id == Hamlet.id)
                 .where(*in_area, Position.post.in_(COUNTED_POSTS), Position.started_on <= as_of,
                        (Position.ended_on.is_(None)) | (Position.ended_on >= term.starts_on)))
    posts = [HeldPost(hid, post, pid, name, party != PartyMembership.NONE, start, end)
             for hid, post, pid, name, party, start, end in db.session.execute(post_stmt) if hid in hamlets]

    chapter_stmt = (db.select(Chapter.id, Chapter.hamlet_id, Chapter.official_members, Chapter.name)
                    .join(Hamlet, Chapter.hamlet_id == Hamlet.id).where(*in_area))
    chapters = [tuple(row) for row in db.session.execute(chapter_stmt) if row[1] in hamlets]


    plan_stmt = (db.select(RemediationPlan.id, RemediationPlan.deadline, RemediationPlan.met_on, RemediationPlan.rule,
                           Person.full_name, Person.hamlet_id)
                 .join(Person, RemediationPlan.person_id == Person.id).join(Hamlet, Person.hamlet_id == Hamlet.id)
                 .where(*in_area))
    remediations = [RemediationRow(pid, deadline, met_on, rule, name, hid, hamlets[hid].commune_id)
                    for pid, deadline, met_on, rule, name, hid in db.session.execute(plan_stmt) if hid in hamlets]

    workers, note = _training_facts(district_id, term, commune_id)
    facts = Facts(term, as_of, hamlets, communes, chapters, posts, remediations, workers, note)
    if with_names and workers:
        ids = [w.person_id for w in workers]
        facts.people = dict(db.session.execute(db.select(Person.id, Person.full_name).where(Person.id.in_(ids))).tuples().all())
    return facts


def _training_facts(district_id: int, term: Term, commune_id: int | None) -> tuple[list[WorkerFacts], str]:
    """R-T4 from the training records; an empty list and a note when nobody's training is recorded yet."""
    workers = list(training_facts(district_id, term, commune_id))
    return workers, "" if workers else NO_TRAINING_NOTE
