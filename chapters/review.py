"""The yearly review (sơ kết, 59-KH/HU §2.7: "hằng năm, đánh giá, sơ kết") of the secretary-as-chief model, for a
district or one commune: the targets' figures (chapters.targets, never recomputed), the chapters difficult in cadres
and their supervision, visits of the year, commendations of the year (§2.6). The PDF and the XLSX print this."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import cast

from chapters.rules import CadreDifficulty
from chapters.supervision import Commendation, SupervisionAssignment, SupervisionKind, SupervisionVisit, difficulties
from chapters.targets import Facts, load_facts
from core.labels import N_
from core.models import Chapter, Commune, District, Hamlet, Person, Term
from core.targets import TargetFigure
from extensions import db

PLAN = "§2.7"  # plan 59-KH/HU, section 2.7


@dataclass(frozen=True)
class CommuneRow:
    commune_id: int
    name: str
    chiefs: int
    chiefs_members: int
    chiefs_secretaries: int
    chapters_due: int  # chapters that must have a committee (R-P1)
    chapters_with_committee: int
    difficult: int
    difficult_supervised: int
    supervisor: str  # the district committee member in charge, "" if none
    front: str  # the Front's supervisor, "" if none
    visits: int  # in the year
    commendations: int  # of the year


@dataclass
class Review:
    district: District
    term: Term
    year: int
    as_of: date
    commune: Commune | None
    facts: Facts
    figures: list[TargetFigure]  # R-T1…R-T5, as the dashboard shows them
    supervision: list[TargetFigure]  # §2.7
    difficult: list[tuple[Chapter, CadreDifficulty, SupervisionAssignment | None]]
    communes: list[CommuneRow]
    visits: list[SupervisionVisit]
    commendations: list[Commendation]

    @property
    def scope_name(self) -> str:
        return self.commune.full_name if self.commune else f"huyện {self.district.name}"

    def figure(self, key: str) -> TargetFigure:
        return next(f for f in (*self.figures, *self.supervision) if f.key == key)


def review_as_of(year: int, today: date) -> date:
    """The review's reference day: 31 December of the year, or today for the year still running."""
    return min(date(year, 12, 31), today)


def _in_force(assignment: SupervisionAssignment, day: date) -> bool:
    return assignment.assigned_on <= day and (assignment.ended_on is None or assignment.ended_on >= day)


def load_review(district: District, term: Term, year: int, today: date, commune: Commune | None = None) -> Review:
    as_of = review_as_of(year, today)
    commune_id = commune.id if commune else None
    facts = load_facts(district.id, term, as_of, commune_id)
    figures = facts.figures()
    judged = difficulties(district.id, term, as_of, commune_id)

    stmt = db.select(SupervisionAssignment).where(SupervisionAssignment.term_id == term.id)
    if commune_id is not None:
        stmt = stmt.where(SupervisionAssignment.commune_id == commune_id)
    assignments = [a for a in db.session.scalars(stmt) if _in_force(a, as_of)]
    by_chapter = {a.chapter_id: a for a in assignments if a.kind == SupervisionKind.CHAPTER}
    by_commune = {(a.kind, a.commune_id): a for a in assignments if a.kind != SupervisionKind.CHAPTER}

    hard = [d for d in judged if d.difficult]
    chapters = {c.id: c for c in db.session.scalars(db.select(Chapter).where(
        Chapter.id.in_([d.chapter_id for d in hard])))}
    difficult = [(chapters[cast(int, d.chapter_id)], d, by_chapter.get(cast(int, d.chapter_id))) for d in hard]

    visit_stmt = (db.select(SupervisionVisit).join(SupervisionAssignment)
                  .where(SupervisionAssignment.term_id == term.id,
                         SupervisionVisit.visited_on >= date(year, 1, 1), SupervisionVisit.visited_on <= as_of)
                  .order_by(SupervisionVisit.visited_on))
    award_stmt = (db.select(Commendation).join(Person).join(Hamlet, Person.hamlet_id == Hamlet.id)
                  .join(Commune, Hamlet.commune_id == Commune.id)
                  .where(Commendation.year == year, Commune.district_id == district.id)
                  .order_by(Commune.name, Person.name_folded))
    if commune_id is not None:
        visit_stmt = visit_stmt.where(SupervisionAssignment.commune_id == commune_id)
        award_stmt = award_stmt.where(Commune.id == commune_id)
    visits = list(db.session.scalars(visit_stmt))
    commendations = list(db.session.scalars(award_stmt))

    communes = facts.communes
    supervised_communes = sum((SupervisionKind.COMMUNE, cid) in by_commune for cid in communes)
    front_communes = sum((SupervisionKind.FRONT, cid) in by_commune for cid in communes)
    supervised_difficult = sum(a is not None for _c, _d, a in difficult)
    acting = sum("acting_chief" in d.reasons for d in judged)
    excepted = sum("exception_needed" in d.reasons for d in judged)
    supervision = [
        TargetFigure(PLAN, "commune_supervised", N_("Số xã, thị trấn có Huyện ủy viên trực tiếp phụ trách"),
                     supervised_communes, len(communes)),
        TargetFigure(PLAN, "difficult_supervised",
                     N_("Chi bộ khó khăn về cán bộ có Ủy viên Ban Thường vụ sinh hoạt"), supervised_difficult,
                     len(difficult)),
        TargetFigure(PLAN, "front_supervised", N_("Số xã, thị trấn có Mặt trận Tổ quốc giám sát"), front_communes,
                     len(communes), target_share=None),
        TargetFigure(PLAN, "chapter_difficult", N_("Chi bộ còn khó khăn về cán bộ"), len(difficult), len(judged),
                     target_share=None),
        TargetFigure("R-X1", "chapter_excepted", N_("Thôn phải xin ngoại lệ tiêu chuẩn"), excepted, len(judged),
                     target_share=None),
        TargetFigure("R-V8", "acting_chief", N_("Thôn phải chỉ định trưởng thôn lâm thời"), acting, len(judged),
                     target_share=None),
    ]

    per_commune = facts.figures_by_commune()
    difficult_by_commune = Counter(d.commune_id for d in hard)
    supervised_by_commune = Counter(c.hamlet.commune_id for c, _d, a in difficult if a is not None)
    visits_by_commune = Counter(v.assignment.commune_id for v in visits)
    awards_by_commune = Counter(c.person.hamlet.commune_id for c in commendations)
    rows = []
    for cid, name in communes.items():
        by_key = {f.key: f for f in per_commune.get(cid, [])}
        chiefs, committee = by_key.get("chief_is_member"), by_key.get("chapter_has_committee")
        secretaries = by_key.get("chief_is_secretary")
        head = by_commune.get((SupervisionKind.COMMUNE, cid))
        front = by_commune.get((SupervisionKind.FRONT, cid))
        rows.append(CommuneRow(
            cid, name, chiefs.denominator if chiefs else 0, chiefs.numerator if chiefs else 0,
            secretaries.numerator if secretaries else 0, committee.denominator if committee else 0,
            committee.numerator if committee else 0, difficult_by_commune[cid], supervised_by_commune[cid],
            head.supervisor.full_name if head else "", front.supervisor.full_name if front else "",
            visits_by_commune[cid], awards_by_commune[cid]))
    return Review(district, term, year, as_of, commune, facts, figures, supervision, difficult, rows, visits,
                  commendations)
