"""The person and unit enums every package shares: education, political theory, party membership, commune
class, posts, sex, unit kinds. Pure: no Flask or database import."""
from __future__ import annotations

import enum
from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A string enum whose members carry a Vietnamese and an English label for the UI."""

    label_vi: str
    label_en: str

    def __new__(cls, value: str, label_vi: str, label_en: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_vi = label_vi
        member.label_en = label_en
        return member

    @classmethod
    def choices(cls, lang: str = "vi") -> list[tuple[str, str]]:
        """(value, label) pairs in definition order, for select fields."""
        return [(m.value, m.label_vi if lang == "vi" else m.label_en) for m in cls]


class OrderedEnum(LabelledEnum):
    """A labelled enum ordered by definition (lowest first), not alphabetically.

    Comparison operators use the rank, so `Education.PRIMARY < Education.UPPER_SECONDARY` is true
    even though "primary" > "upper…" would not be as plain strings.
    """

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)

    def at_least(self, minimum: Self) -> bool:
        return self.rank >= minimum.rank

    def _rank_of(self, other: object) -> int | None:
        return other.rank if type(other) is type(self) else None  # type: ignore[attr-defined]

    def __lt__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank < rank

    def __le__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank <= rank

    def __gt__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank > rank

    def __ge__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank >= rank


def at_least(level: OrderedEnum, minimum: OrderedEnum) -> bool:
    """True when `level` is `minimum` or higher on the same scale."""
    if type(level) is not type(minimum):
        raise TypeError(f"cannot compare {type(level).__name__} with {type(minimum).__name__}")
    return level.at_least(minimum)


class Post(LabelledEnum):
    HAMLET_CHIEF = "hamlet_chief", "Trưởng thôn, Tổ trưởng tổ dân phố", "Hamlet chief"
    CHAPTER_SECRETARY = "chapter_secretary", "Bí thư chi bộ", "Chapter secretary"
    CHAPTER_DEPUTY_SECRETARY = "chapter_deputy_secretary", "Phó Bí thư chi bộ", "Chapter deputy secretary"
    CHAPTER_COMMITTEE_MEMBER = "chapter_committee_member", "Chi ủy viên", "Chapter committee member"

    @property
    def is_chapter_post(self) -> bool:
        return self is not Post.HAMLET_CHIEF


class Education(OrderedEnum):
    PRIMARY = "primary", "Tiểu học", "Primary school"
    LOWER_SECONDARY = "lower_secondary", "THCS (lớp 9/12)", "Lower secondary (grade 9)"
    UPPER_SECONDARY = "upper_secondary", "THPT (lớp 12/12)", "Upper secondary (grade 12)"


class PoliticalTheory(OrderedEnum):
    NONE = "none", "Chưa qua đào tạo", "None"
    ELEMENTARY = "elementary", "Sơ cấp", "Elementary"
    INTERMEDIATE = "intermediate", "Trung cấp", "Intermediate"
    ADVANCED = "advanced", "Cao cấp, cử nhân chính trị", "Advanced or bachelor"


class PartyMembership(LabelledEnum):
    NONE = "none", "Không phải đảng viên", "Not a party member"
    PROBATIONARY = "probationary", "Đảng viên dự bị", "Probationary member"
    OFFICIAL = "official", "Đảng viên chính thức", "Official member"


class CommuneClass(LabelledEnum):
    MOUNTAIN = "mountain", "Miền núi", "Mountain"
    PLAIN = "plain", "Đồng bằng", "Plain"


class HamletKind(enum.StrEnum):
    HAMLET = "hamlet"  # thôn
    RESIDENTIAL_GROUP = "residential_group"  # tổ dân phố

    @property
    def label(self) -> str:
        return {"hamlet": "Thôn", "residential_group": "Tổ dân phố"}[self.value]


class CommuneKind(enum.StrEnum):
    COMMUNE = "commune"  # xã
    TOWN = "town"  # thị trấn

    @property
    def label(self) -> str:
        return {"commune": "Xã", "town": "Thị trấn"}[self.value]


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def label(self) -> str:
        return {"male": "Nam", "female": "Nữ"}[self.value]


class WorkerPost(enum.StrEnum):
    """Posts of the non-specialised hamlet workers (những người hoạt động không chuyên trách ở thôn, TDP)."""

    HAMLET_CHIEF = "hamlet_chief"
    CHAPTER_SECRETARY = "chapter_secretary"
    CHAPTER_DEPUTY_SECRETARY = "chapter_deputy_secretary"
    CHAPTER_COMMITTEE_MEMBER = "chapter_committee_member"
    FRONT_HEAD = "front_head"
    OTHER = "other"

    @property
    def label(self) -> str:
        return WORKER_POST_LABELS[self.value]

    @property
    def is_chapter_post(self) -> bool:
        return self in CHAPTER_POSTS


WORKER_POST_LABELS = {
    "hamlet_chief": "Trưởng thôn / Tổ trưởng TDP",
    "chapter_secretary": "Bí thư chi bộ",
    "chapter_deputy_secretary": "Phó Bí thư chi bộ",
    "chapter_committee_member": "Chi ủy viên",
    "front_head": "Trưởng ban công tác Mặt trận",
    "other": "Người hoạt động không chuyên trách khác",
}
CHAPTER_POSTS = frozenset({WorkerPost.CHAPTER_SECRETARY, WorkerPost.CHAPTER_DEPUTY_SECRETARY,
                           WorkerPost.CHAPTER_COMMITTEE_MEMBER})


