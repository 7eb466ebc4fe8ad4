"""Organisation (province → district → commune → hamlet), chapters, people, positions and terms."""
from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import CommuneClass, CommuneKind, Education, HamletKind, PartyMembership, PoliticalTheory, Post, Sex
from core.labels import LabelledEnum
from core.spreadsheets import SheetLimits
from core.vietnamese import fold, nfc
from extensions import Model, db

_signals = Namespace()
# Sent with the person after their education or political theory may have changed (the registry's edit page);
# a receiver returns what the change settled, e.g. candidates' remediation plans now met (R-X1, R-T5). The kernel
# does not know its receivers: the feature packages connect to it.
qualifications_changed = _signals.signal("qualifications-changed")


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> Mapped:
    """An enum stored as its string value (portable across SQLite and PostgreSQL)."""
    return mapped_column(
        sa.Enum(enum_cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e],
                validate_strings=True),
        **kwargs,
    )


def unit_name(kind: enum.Enum, name: str) -> str:
    """A commune's or hamlet's name with its kind: "Xã Bình Hải", "Thôn An Phú"."""
    return f"{kind.label} {name}"


def unit_name_in_text(kind: LabelledEnum, name: str) -> str:
    """The same inside a sentence: the kind is a common noun, lower case; the name keeps its case ("thôn Trà Mỹ",
    "xã Bình Hải", never "thôn trà mỹ")."""
    return f"{kind.label.lower()} {name}"


class Province(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class District(Model):
    """The level that runs the single election Sunday (a 'district' before the 2025 reform)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(sa.ForeignKey("province.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # R-X1: who decides candidate exceptions is configurable per jurisdiction (59-KH/HU: the district
    # standing committee; since the 2025 reform possibly another body).
    approver_name: Mapped[str] = mapped_column(sa.String(200), default="Ban Thường vụ Huyện ủy")
    approver_level: Mapped[str] = mapped_column(sa.String(16), default="district")  # district | commune
    # Bounds of an uploaded spreadsheet (voter rolls, candidate lists, attendance), set on the configuration
    # screen: a hamlet has at most a few thousand households; see core.spreadsheets.SheetLimits.
    import_max_rows: Mapped[int] = mapped_column(default=SheetLimits.max_rows, server_default=str(SheetLimits.max_rows))
    import_max_columns: Mapped[int] = mapped_column(default=SheetLimits.max_columns,
                                                    server_default=str(SheetLimits.max_columns))

    province: Mapped[Province] = relationship()
    communes: Mapped[list[Commune]] = relationship(back_populates="district", order_by="Commune.name")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.id, None, None

    def import_limits(self) -> SheetLimits:
        """What a file uploaded in this district may hold."""
        return SheetLimits(max_rows=self.import_max_rows, max_columns=self.import_max_columns)


class Commune(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[CommuneKind] = enum_column(CommuneKind, default=CommuneKind.COMMUNE)
    commune_class: Mapped[CommuneClass] = enum_column(CommuneClass)
    # Legal basis of the class (e.g. the Ethnic Committee decision listing mountain communes).
    class_basis: Mapped[str] = mapped_column(sa.String(300), default="")
    chairman_name: Mapped[str] = mapped_column(sa.String(120), default="")
    # Renames and mergers (2025 reform) keep history: the old unit stays, pointing at its successor.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commune.id"))
    ended_on: Mapped[date | None]

    district: Mapped[District] = relationship(back_populates="communes")
    hamlets: Mapped[list[Hamlet]] = relationship(back_populates="commune", order_by="Hamlet.name")

    @property
    def full_name(self) -> str:
        return unit_name(self.kind, self.name)

    @property
    def name_in_text(self) -> str:
        return unit_name_in_text(self.kind, self.name)

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.district_id, self.id, None


class Hamlet(Model):
    """A thôn or tổ dân phố: the unit that elects a head."""

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(sa.ForeignKey("commune.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[HamletKind] = enum_column(HamletKind, default=HamletKind.HAMLET)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hamlet.id"))
    ended_on: Mapped[date | None]

    commune: Mapped[Commune] = relationship(back_populates="hamlets")
    chapter: Mapped[Chapter | None] = relationship(back_populates="hamlet", uselist=False)

    @property
    def full_name(self) -> str:
        return unit_name(self.kind, self.name)

    @property
    def name_in_text(self) -> str:
        return unit_name_in_text(self.kind, self.name)

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, self.commune_id, None


class UnitEvent(Model):
    """A rename or merger of a commune or hamlet, with the decision that made it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_type: Mapped[str] = mapped_column(sa.String(16))  # commune | hamlet
    unit_id: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))  # rename | merge
    old_name: Mapped[str] = mapped_column(sa.String(120))
    new_name: Mapped[str] = mapped_column(sa.String(120), default="")
    successor_id: Mapped[int | None]
    effective_on: Mapped[date]
    decision: Mapped[str] = mapped_column(sa.String(200), default="")
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commune.id"))

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, self.commune_id, None


class Household(Model):
    __table_args__ = (sa.UniqueConstraint("hamlet_id", "number", name="uq_household_hamlet_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20))  # số hộ as the commune records it
    head_name: Mapped[str] = mapped_column(sa.String(120), default="")

    hamlet: Mapped[Hamlet] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id


class Chapter(Model):
    """The party chapter (chi bộ) of a hamlet: one per hamlet."""

    id: Mapped[int] = mapped_column(primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    official_members: Mapped[int] = mapped_column(default=0)
    probationary_members: Mapped[int] = mapped_column(default=0)

    hamlet: Mapped[Hamlet] = relationship(back_populates="chapter")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id


class Person(Model):
    """The people registry: residents who stand, hold posts, represent households or train."""

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    name_folded: Mapped[str] = mapped_column(sa.String(120), index=True)  # for search without diacritics
    birth_date: Mapped[date]
    sex: Mapped[Sex] = enum_column(Sex)
    citizen_id: Mapped[str] = mapped_column(sa.String(12), unique=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(sa.ForeignKey("household.id"), index=True)
    education: Mapped[Education] = enum_column(Education)
    political_theory: Mapped[PoliticalTheory] = enum_column(PoliticalTheory, default=PoliticalTheory.NONE)
    party_member: Mapped[PartyMembership] = enum_column(PartyMembership, default=PartyMembership.NONE)
    party_joined_on: Mapped[date | None]
    party_official_on: Mapped[date | None]
    fit_for_term: Mapped[bool] = mapped_column(default=True)
    source_pool: Mapped[str] = mapped_column(sa.String(32), default="")  # veteran | graduate | ''
    phone: Mapped[str] = mapped_column(sa.String(20), default="")

    hamlet: Mapped[Hamlet] = relationship()
    household: Mapped[Household | None] = relationship()

    def set_name(self, value: str) -> None:
        self.full_name = nfc(value)
        self.name_folded = fold(value)

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id


class Term(Model):
    """A hamlet-chief term with the district's single election Sunday (R-V4, R-V10)."""

    __table_args__ = (sa.UniqueConstraint("district_id", "name", name="uq_term_district_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))  # e.g. "2022–2025"
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    length_months: Mapped[int] = mapped_column(default=30)  # R-V10: 2.5 or 5 years, chosen by the province
    election_day: Mapped[date]
    rule_set: Mapped[str] = mapped_column(sa.String(40), default="binh-son-59-KH-HU")
    is_current: Mapped[bool] = mapped_column(default=False)
    # R-V2 milestones: the day each step was actually done (None = not yet).
    decision_done_on: Mapped[date | None]
    team_done_on: Mapped[date | None]
    notice_done_on: Mapped[date | None]

    district: Mapped[District] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.district_id, None, None


class Position(Model):
    """A post held by a person in a hamlet for a stretch of time (non-specialised hamlet worker)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), index=True)
    post: Mapped[Post] = enum_column(Post)
    title: Mapped[str] = mapped_column(sa.String(120), default="")  # for OTHER posts
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("term.id"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    acting: Mapped[bool] = mapped_column(default=False)  # R-V8 acting chief (lâm thời)

    hamlet: Mapped[Hamlet] = relationship()
    person: Mapped[Person] = relationship()
    term: Mapped[Term | None] = relationship()

    def holds_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id


def current_term(district_id: int) -> Term | None:
    return db.session.scalar(
        db.select(Term).where(Term.district_id == district_id, Term.is_current.is_(True)).limit(1)
    )


def term_for(hamlet: Hamlet) -> Term | None:
    """The current term of the hamlet's district (rolls, check-in and ballots are per current term)."""
    return current_term(hamlet.commune.district_id)
