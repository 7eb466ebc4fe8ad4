"""The person and unit enums every package shares: education, political theory, party membership, commune
class, posts, sex, unit kinds. Pure: no Flask or database import. Labels: core/labels.py."""
from __future__ import annotations

from typing import Self

from core.labels import N_, LabelledEnum


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


class Education(OrderedEnum):
    PRIMARY = "primary", N_("Tiểu học")
    LOWER_SECONDARY = "lower_secondary", N_("THCS (lớp 9/12)")
    UPPER_SECONDARY = "upper_secondary", N_("THPT (lớp 12/12)")


class PoliticalTheory(OrderedEnum):
    NONE = "none", N_("Chưa qua đào tạo")
    ELEMENTARY = "elementary", N_("Sơ cấp")
    INTERMEDIATE = "intermediate", N_("Trung cấp")
    ADVANCED = "advanced", N_("Cao cấp, cử nhân chính trị")


class PartyMembership(LabelledEnum):
    NONE = "none", N_("Không phải đảng viên")
    PROBATIONARY = "probationary", N_("Đảng viên dự bị")
    OFFICIAL = "official", N_("Đảng viên chính thức")


class CommuneClass(LabelledEnum):
    MOUNTAIN = "mountain", N_("Miền núi")
    PLAIN = "plain", N_("Đồng bằng")


class HamletKind(LabelledEnum):
    HAMLET = "hamlet", N_("Thôn")
    RESIDENTIAL_GROUP = "residential_group", N_("Tổ dân phố")


class CommuneKind(LabelledEnum):
    COMMUNE = "commune", N_("Xã")
    TOWN = "town", N_("Thị trấn")


class Sex(LabelledEnum):
    MALE = "male", N_("Nam")
    FEMALE = "female", N_("Nữ")


class Post(LabelledEnum):
    """The posts of a hamlet's non-specialised workers (những người hoạt động không chuyên trách ở thôn, TDP): held
    (Position), assessed against the candidate standards (R-E3…R-E6) and elected by the chapter congress (R-P1)."""

    HAMLET_CHIEF = "hamlet_chief", N_("Trưởng thôn / Tổ trưởng TDP")
    CHAPTER_SECRETARY = "chapter_secretary", N_("Bí thư chi bộ")
    CHAPTER_DEPUTY_SECRETARY = "chapter_deputy_secretary", N_("Phó Bí thư chi bộ")
    CHAPTER_COMMITTEE_MEMBER = "chapter_committee_member", N_("Chi ủy viên")
    FRONT_HEAD = "front_head", N_("Trưởng ban công tác Mặt trận")
    OTHER = "other", N_("Người hoạt động không chuyên trách khác")

    @property
    def is_chapter_post(self) -> bool:
        return self in CHAPTER_POSTS


# The chapter's posts, in the order the congress elects them (R-P1): committee, then secretary, then deputy.
CHAPTER_POSTS = (Post.CHAPTER_COMMITTEE_MEMBER, Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY)
