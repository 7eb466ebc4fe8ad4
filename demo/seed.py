"""The demo data set behind `flask seed`: Bình Sơn district (Quảng Ngãi), or the whole province.

Everything is generated from one `random.Random(random_seed)`, so a seed always gives the same data.
Bulk rows go in with SQLAlchemy Core in chunks, with ids assigned here (the schema is empty of units, so
they start after the current maximum); on PostgreSQL the id sequences are moved past them at the end.
Only the handful of demo users go through the ORM (passwords, audit entries). One transaction: a failed
run leaves nothing behind, and a finished one is refused a second time.
"""
from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import click
import sqlalchemy as sa

from chapters.models import Congress, NomineeSource
from chapters.rules import elects_committee
from core.accounts import Role, User
from core.audit import record, set_actor
from core.calendar import election_day_problem, election_timeline
from core.citizen_id import make_citizen_id
from core.enums import CommuneClass, CommuneKind, Education, HamletKind, PartyMembership, PoliticalTheory, Post, Sex
from core.models import Chapter, Commune, District, Hamlet, Household, Person, Position, Province, Term
from core.vietnamese import fold
from demo.clock import on_day
from extensions import db

CHUNK = 10_000  # rows per Core insert
PROVINCE_CODE = "51"  # Quảng Ngãi
CITIZEN_PROVINCE = "051"  # Quảng Ngãi in the citizen ID (Circular 07/2016/TT-BCA annex)
MOUNTAIN_BASIS = "Quyết định 861/QĐ-TTg ngày 04/6/2021 (vùng đồng bào dân tộc thiểu số và miền núi)"

# ---------------------------------------------------------------------------------------------------------
# Terms: the previous one and the current one (59-KH/HU: 2.5 years aligned with the chapter term 2022–2025)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermPlan:
    name: str
    election_day: date
    starts_on: date
    ends_on: date
    is_current: bool
    decision_done_on: date  # R-V2: ≥ 20 days before election day
    team_done_on: date  # R-V2: ≥ 10 days before
    notice_done_on: date  # R-V2: ≥ 7 days before


PREVIOUS_TERM = TermPlan(
    name="2019–2022", election_day=date(2019, 11, 17), starts_on=date(2019, 11, 17), ends_on=date(2022, 5, 21),
    is_current=False, decision_done_on=date(2019, 10, 21), team_done_on=date(2019, 11, 1),
    notice_done_on=date(2019, 11, 6),
)
CURRENT_TERM = TermPlan(
    name="2022–2025", election_day=date(2022, 5, 22), starts_on=date(2022, 5, 22), ends_on=date(2025, 11, 22),
    is_current=True, decision_done_on=date(2022, 4, 25), team_done_on=date(2022, 5, 6),
    notice_done_on=date(2022, 5, 12),
)
# When the previous term's holders took office: the chiefs once the communes recognised the results (R-V9), the
# chapter posts and the Front heads after the congresses that followed the election (59-KH/HU II.2.4). The current
# term has no holder yet: on its election Sunday the rehearsal's recognitions make the first chiefs.
PREVIOUS_CHIEFS_START = (date(2019, 11, 19), date(2019, 11, 22))
PREVIOUS_CHAPTERS_START = (date(2019, 11, 25), date(2019, 12, 27))
TERM_LENGTH_MONTHS = 30  # R-V10: 2.5 years, the province's choice for this term
AGE_REFERENCE = CURRENT_TERM.election_day  # ages are drawn as of the current election day

# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunePlan:
    name: str
    commune_class: CommuneClass
    kind: CommuneKind = CommuneKind.COMMUNE


@dataclass(frozen=True)
class DistrictPlan:
    code: str
    name: str
    communes: tuple[CommunePlan, ...]
    hamlets: int  # total thôn and tổ dân phố in the district
    households: tuple[int, int]  # households per hamlet, inclusive range
    plain_basis: str = "Đồng bằng"
    first_commune_hamlets: int | None = None  # a set size for the first commune (the demo commune), else drawn


M, P = CommuneClass.MOUNTAIN, CommuneClass.PLAIN
TOWN = CommuneKind.TOWN

# Bình Sơn: the coastal communes and the town Châu Ổ are plain; the hilly west (Bình An, Bình Khương,
# Bình Tân Phú, Bình Minh) is classed mountain.
BINH_SON_COMMUNES: tuple[CommunePlan, ...] = (
    CommunePlan("Bình Hải", P), CommunePlan("Bình Trị", P), CommunePlan("Bình Thạnh", P),
    CommunePlan("Bình Đông", P), CommunePlan("Bình Chánh", P), CommunePlan("Bình Dương", P),
    CommunePlan("Bình Phước", P), CommunePlan("Bình Hòa", P), CommunePlan("Bình Trung", P),
    CommunePlan("Bình Minh", M), CommunePlan("Bình Nguyên", P), CommunePlan("Bình Khương", M),
    CommunePlan("Bình An", M), CommunePlan("Bình Long", P), CommunePlan("Bình Hiệp", P),
    CommunePlan("Bình Chương", P), CommunePlan("Bình Mỹ", P), CommunePlan("Bình Tân Phú", M),
    CommunePlan("Bình Châu", P), CommunePlan("Bình Thuận", P), CommunePlan("Bình Thới", P),
    CommunePlan("Bình Phú", P), CommunePlan("Bình Thanh", P), CommunePlan("Châu Ổ", P, TOWN),
)
BINH_SON_CODE = "524"
BINH_SON_NAME = "Bình Sơn"
BINH_SON_APPROVER = "Ban Thường vụ Huyện ủy Bình Sơn"
# Bình Hải, the demo commune of the README's logins: ten hamlets for the rehearsal's steps of election Sunday
# (demo.rehearsal.STEPS) and five left before it, each with another step of the checklist undone
# (demo.rehearsal.BEFORE_STEPS); tests/test_rehearsal_steps.py checks the two agree.
BINH_HAI_HAMLETS = 15


def _communes(prefix: str, suffixes: str, commune_class: CommuneClass, towns: tuple[str, ...] = ()
              ) -> tuple[CommunePlan, ...]:
    plans = [CommunePlan(f"{prefix} {suffix.strip()}", commune_class) for suffix in suffixes.split(",")]
    return tuple(plans) + tuple(CommunePlan(town, commune_class, TOWN) for town in towns)


# The other districts of Quảng Ngãi for the province scale (commune names follow each district's naming
# pattern; the demo does not claim they are the official list).
OTHER_DISTRICTS: tuple[tuple[str, str, tuple[CommunePlan, ...], tuple[int, int]], ...] = (
    ("535", "Ba Tơ", _communes("Ba", "Thành, Vì, Dinh, Điền, Trang, Khâm, Nam, Tiêu, Ngạc, Xa, Lế, Bích, Vinh, "
                               "Tô, Giang, Liên, Cung, Động, Hà", M, ("Ba Tơ",)), (80, 260)),
    ("528", "Tư Nghĩa", _communes("Nghĩa", "Kỳ, Thuận, Điền, Thắng, Lâm, Sơn, Thọ, Hòa, Hiệp, Mỹ, Phương, "
                                  "Thương, Trung", P, ("La Hà", "Sông Vệ")), (150, 330)),
    ("529", "Sơn Hà", _communes("Sơn", "Bao, Thượng, Thành, Nham, Hạ, Linh, Giang, Trung, Hải, Thủy, Kỳ, Ba, "
                                "Cao", M, ("Di Lăng",)), (80, 260)),
    ("530", "Sơn Tây", _communes("Sơn", "Dung, Bua, Mùa, Liên, Long, Màu, Tân, Tinh, Lập", M), (80, 260)),
    ("531", "Minh Long", _communes("Long", "Hiệp, Sơn, Môn, Mai, Thành", M), (80, 260)),
    ("525", "Trà Bồng", _communes("Trà", "Bình, Phú, Giang, Thủy, Hiệp, Lâm, Sơn, Tân, Bùi, Xinh, Thanh, "
                                  "Phong, Tây, Lãnh, Khê", M, ("Trà Xuân",)), (80, 260)),
    ("527", "Sơn Tịnh", _communes("Tịnh", "Bình, Thọ, Sơn, Hà, Giang, Đông, Hiệp, Trà, Bắc, Phong, Minh", P),
     (150, 330)),
    ("532", "Nghĩa Hành", _communes("Hành", "Thuận, Dũng, Minh, Đức, Phước, Thiện, Tín Đông, Tín Tây, Nhân, "
                                    "Thịnh, Trung", P, ("Chợ Chùa",)), (150, 330)),
    ("533", "Mộ Đức", _communes("Đức", "Lợi, Thắng, Nhuận, Chánh, Hiệp, Minh, Thạnh, Hòa, Tân, Phú, Phong, "
                                "Lân", P, ("Mộ Đức",)), (150, 330)),
    ("534", "Đức Phổ", _communes("Phổ", "An, Phong, Thuận, Nhơn, Ninh, Hòa, Cường, Khánh, Thạnh, Vinh, "
                                 "Quang, Văn, Châu, Minh", P), (150, 330)),
)


def _district_plans(scale: str) -> list[DistrictPlan]:
    """The districts to build; Bình Sơn (where the demo logins live) always first."""
    if scale == "tiny":  # for tests: 2 plain communes and 1 mountain commune
        communes = (CommunePlan("Bình Hải", P), CommunePlan("Bình Trị", P), CommunePlan("Bình An", M))
        return [DistrictPlan(BINH_SON_CODE, BINH_SON_NAME, communes, 8, (10, 20), "Đồng bằng ven biển")]
    binh_son = DistrictPlan(BINH_SON_CODE, BINH_SON_NAME, BINH_SON_COMMUNES, 200, (150, 600), "Đồng bằng ven biển",
                            first_commune_hamlets=BINH_HAI_HAMLETS)
    if scale == "district":
        return [binh_son]
    if scale == "province":
        # ~1,800 hamlets and ~400,000 households in all: Bình Sơn's 200 plus 1,600 spread by commune count.
        others = 1600
        total_communes = sum(len(communes) for _code, _name, communes, _hh in OTHER_DISTRICTS)
        plans = [binh_son]
        left = others
        for index, (code, name, communes, households) in enumerate(OTHER_DISTRICTS):
            share = left if index == len(OTHER_DISTRICTS) - 1 else round(others * len(communes) / total_communes)
            left -= share
            plans.append(DistrictPlan(code, name, communes, share, households))
        return plans
    raise click.ClickException(f"Quy mô «{scale}» không hợp lệ: chọn district hoặc province.")


# Hamlet names: two syllables common in Quảng Ngãi place names, plus the ethnic-minority village names
# (làng, nước…) of the mountain communes.
NAME_FIRST = ("An", "Phú", "Tân", "Đông", "Tây", "Nam", "Bắc", "Long", "Thạnh", "Mỹ", "Vĩnh", "Phước", "Hòa",
              "Thuận", "Trung", "Xuân", "Thanh", "Khánh", "Lộc", "Châu", "Gia", "Sơn", "Hưng", "Trà")
NAME_SECOND = ("Lộc", "Hòa", "An", "Thạnh", "Phước", "Hưng", "Long", "Tây", "Đông", "Mỹ", "Châu", "Yên",
               "Quang", "Sơn", "Điền", "Hiệp", "Trung", "Thọ", "Lạc", "Thới", "Vĩnh", "Bình", "Thiện", "Tân")
MOUNTAIN_NAMES = ("Nước Lăng", "Làng Mâm", "Gò Nghênh", "Đồng Răm", "Làng Rêu", "Nước Như", "Ra Manh",
                  "Tà Lương", "Gò Rộng", "Đồng Dinh", "Nước Xuôi", "Làng Teng", "Nước Y", "Gò Da", "Con Dóc",
                  "Mang Krá", "Trường An", "Làng Ranh", "Nước Nẻ", "Xà Râu", "Vực Liêm", "Đồng Xoài")

# ---------------------------------------------------------------------------------------------------------
# People's names: (name, folded) pairs, repeated by weight so `rng.choice` picks in proportion.
# ---------------------------------------------------------------------------------------------------------


def _weighted(pairs: Iterable[tuple[str, int]]) -> tuple[tuple[str, str], ...]:
    return tuple((name, fold(name)) for name, weight in pairs for _ in range(weight))


FAMILY = _weighted((("Nguyễn", 30), ("Trần", 10), ("Lê", 9), ("Phạm", 7), ("Huỳnh", 6), ("Võ", 7), ("Đặng", 3),
                    ("Bùi", 3), ("Đỗ", 3), ("Hồ", 4), ("Ngô", 3), ("Dương", 2), ("Lý", 1), ("Phan", 4),
                    ("Trương", 3), ("Đinh", 2), ("Đoàn", 2), ("Lương", 1), ("Tô", 1), ("Châu", 1)))
# Hrê and Cor families in the mountain communes are mostly Đinh, Phạm, Hồ, Đinh Thị…
MOUNTAIN_FAMILY = _weighted((("Đinh", 30), ("Phạm", 18), ("Hồ", 12), ("Nguyễn", 12), ("Trần", 5), ("Lê", 5),
                             ("Võ", 4), ("Huỳnh", 3), ("Bùi", 3), ("Đặng", 2), ("Cao", 3), ("Đoàn", 3)))
MIDDLE = {
    "male": _weighted((("Văn", 45), ("Minh", 7), ("Quốc", 5), ("Đức", 5), ("Thanh", 6), ("Hữu", 6), ("Ngọc", 4),
                       ("Tấn", 8), ("Công", 7), ("Xuân", 4), ("Trọng", 3))),
    "female": _weighted((("Thị", 65), ("Ngọc", 8), ("Thanh", 6), ("Kim", 5), ("Thu", 5), ("Mỹ", 4), ("Minh", 3),
                         ("Bích", 4))),
}
GIVEN = {
    "male": _weighted((name, 1) for name in (
        "Hùng", "Dũng", "Thắng", "Toàn", "Hưng", "Nghĩa", "Khánh", "Ước", "Tuấn", "Long", "Nam", "Phong", "Sơn",
        "Bình", "Tài", "Trung", "Hải", "Tín", "Lộc", "Phúc", "Cường", "Đạt", "Vinh", "Quang", "Hiếu", "Thành",
        "Tâm", "Hòa", "Đông", "Lực", "Kha", "Nhân", "Thuận", "Phước", "Tùng", "Việt", "Quý", "Đức", "Trí")),
    "female": _weighted((name, 1) for name in (
        "Ánh", "Tuyết", "Lan", "Hoa", "Phượng", "Thủy", "Yến", "Hương", "Mai", "Hằng", "Nga", "Nhung", "Trang",
        "Linh", "Thảo", "Hạnh", "Liên", "Loan", "Oanh", "Dung", "Hiền", "Xuân", "Thu", "Vân", "Ước", "Lệ",
        "Sương", "Trinh", "Diệu", "Hồng", "Nguyệt", "Tâm", "Hà", "Lài", "Cúc")),
}

# ---------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------

TAIL_STRIDE = 7_919  # prime, coprime with 10^6: tails stay distinct for the first million people


def _days(years: float) -> int:
    return int(years * 365.25)


def _between(rng: random.Random, span: tuple[date, date]) -> date:
    return date.fromordinal(rng.randint(span[0].toordinal(), span[1].toordinal()))


def _split(total: int, parts: int, low: int, high: int, rng: random.Random) -> list[int]:
    """`parts` random counts in [low, high] that add up to `total` (bounds widened if they cannot)."""
    low = min(low, total // parts)
    high = max(high, -(-total // parts))
    counts = [low] * parts
    for _ in range(total - low * parts):
        open_parts = [i for i, count in enumerate(counts) if count < high]
        counts[rng.choice(open_parts)] += 1
    return counts


class _Rows:
    """Row buffers in foreign-key order, written in chunks; ids assigned here."""

    ORDER = (Province, District, Term, Commune, Hamlet, Chapter, Household, Person, Position)

    def __init__(self) -> None:
        self.tables = [model.__table__ for model in self.ORDER]
        self.buffers: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables}
        self.next_id: dict[str, int] = {
            t.name: (db.session.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1 for t in self.tables}
        self.counts: dict[str, int] = {t.name: 0 for t in self.tables}

    def add(self, model: type, **values: Any) -> int:
        name = model.__table__.name
        row_id = self.next_id[name]
        self.next_id[name] += 1
        self.buffers[name].append({"id": row_id, **values})
        self.counts[name] += 1
        return row_id

    def flush(self, force: bool = False) -> None:
        if not force and len(self.buffers["person"]) + len(self.buffers["household"]) < CHUNK:
            return
        for table in self.tables:
            rows = self.buffers[table.name]
            for start in range(0, len(rows), CHUNK):
                db.session.execute(sa.insert(table), rows[start:start + CHUNK])
            rows.clear()

    def reset_sequences(self) -> None:
        """PostgreSQL: explicit ids leave serial sequences behind; move them past the rows inserted."""
        if db.session.get_bind().dialect.name != "postgresql":
            return
        for table in self.tables:
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM \"{table.name}\"))"))


@dataclass
class _Cadre:
    """A hamlet worker's profile, placed as the head of one of the hamlet's households."""

    sex: str
    family: tuple[str, str]
    birth_date: date
    education: Education
    theory: PoliticalTheory
    party: PartyMembership
    joined_on: date | None
    official_on: date | None

    def fits_chapter_post(self, term: TermPlan) -> bool:
        return self.party is PartyMembership.OFFICIAL and self.official_on is not None \
            and self.official_on < term.starts_on


class _Generator:
    def __init__(self, rng: random.Random, rows: _Rows) -> None:
        self.rng = rng
        self.rows = rows
        self.tail = rng.randrange(1_000_000)
        self.serial = 0

    # -- names -------------------------------------------------------------------------------------------

    def name(self, sex: str, mountain: bool, family: tuple[str, str] | None = None) -> tuple[str, str]:
        rng = self.rng
        family = family or rng.choice(MOUNTAIN_FAMILY if mountain and rng.random() < 0.7 else FAMILY)
        middle = rng.choice(MIDDLE[sex])
        given = rng.choice(GIVEN[sex])
        if sex == "female" and rng.random() < 0.15:  # a second given name: "Nguyễn Thị Ánh Tuyết"
            extra = rng.choice(GIVEN["female"])
            if extra != given:
                middle = ("Thị", "thi")
                given = (f"{extra[0]} {given[0]}", f"{extra[1]} {given[1]}")
        return f"{family[0]} {middle[0]} {given[0]}", f"{family[1]} {middle[1]} {given[1]}"

    def citizen_id(self, birth_date: date, sex: str) -> str:
        self.serial += 1
        tail = (self.tail + self.serial * TAIL_STRIDE) % 1_000_000
        return make_citizen_id(CITIZEN_PROVINCE, birth_date, sex, tail)

    # -- ordinary household heads ------------------------------------------------------------------------

    def ordinary_head(self, hamlet_id: int, household_id: int, mountain: bool) -> str:
        rng = self.rng
        sex = "male" if rng.random() < 0.52 else "female"
        age_days = int(rng.triangular(_days(18) + 2, _days(91) - 2, _days(48)))
        birth = date.fromordinal(AGE_REFERENCE.toordinal() - age_days)
        age = age_days / 365.25
        roll = rng.random()
        if age > 50:
            education = Education.PRIMARY if roll < 0.3 else Education.LOWER_SECONDARY if roll < 0.75 \
                else Education.UPPER_SECONDARY
        else:
            education = Education.PRIMARY if roll < 0.08 else Education.LOWER_SECONDARY if roll < 0.45 \
                else Education.UPPER_SECONDARY
        party, joined, official, theory = PartyMembership.NONE, None, None, PoliticalTheory.NONE
        if age >= 20 and rng.random() < 0.09:
            if rng.random() < 0.1:  # probationary: admitted within the last year
                party = PartyMembership.PROBATIONARY
                joined = AGE_REFERENCE - timedelta(days=rng.randint(30, 330))
            else:
                party = PartyMembership.OFFICIAL
                joined = birth + timedelta(days=_days(rng.uniform(18.5, age - 1.5)))
                official = joined + timedelta(days=365 + rng.randint(0, 60))
            roll = rng.random()
            theory = PoliticalTheory.NONE if roll < 0.3 else PoliticalTheory.ELEMENTARY if roll < 0.9 \
                else PoliticalTheory.INTERMEDIATE
        source_pool = ""
        if 22 <= age <= 35 and rng.random() < 0.03:  # 59-KH/HU II.2.5: veterans and graduates as a source
            source_pool = "veteran" if sex == "male" and rng.random() < 0.6 else "graduate"
        full_name, folded = self.name(sex, mountain)
        self.person(hamlet_id, household_id, full_name, folded, birth, sex, education, theory, party, joined,
                    official, fit=not (age >= 75 and rng.random() < 0.5), source_pool=source_pool, phone="")
        return full_name

    def person(self, hamlet_id: int, household_id: int, full_name: str, folded: str, birth: date, sex: str,
               education: Education, theory: PoliticalTheory, party: PartyMembership, joined: date | None,
               official: date | None, *, fit: bool, source_pool: str, phone: str) -> int:
        return self.rows.add(
            Person, full_name=full_name, name_folded=folded, birth_date=birth, sex=Sex(sex),
            citizen_id=self.citizen_id(birth, sex), hamlet_id=hamlet_id, household_id=household_id,
            education=education, political_theory=theory, party_member=party, party_joined_on=joined,
            party_official_on=official, fit_for_term=fit, source_pool=source_pool, phone=phone)

    # -- hamlet workers ----------------------------------------------------------------------------------

    def cadre(self, kind: str, commune_class: CommuneClass) -> _Cadre:
        """A worker's profile: aged 30–64 at the election, mostly meeting 59-KH/HU II.2.3, a few not."""
        rng = self.rng
        sex = "male" if rng.random() < (0.45 if kind == "front" else 0.8) else "female"
        birth = date.fromordinal(AGE_REFERENCE.toordinal() - rng.randint(_days(30) + 2, _days(65) - 2))
        roll = rng.random()
        if commune_class is CommuneClass.PLAIN:  # R-E4: THPT needed; ~5% with THCS only
            education = Education.LOWER_SECONDARY if roll < 0.05 else Education.UPPER_SECONDARY
        else:  # R-E4: THCS needed; ~3% with primary only
            education = Education.PRIMARY if roll < 0.03 else Education.LOWER_SECONDARY if roll < 0.4 \
                else Education.UPPER_SECONDARY
        # R-E5: chapter posts need sơ cấp; a few secretaries and more deputies/members lack it.
        no_theory = {"secretary": 0.06, "deputy": 0.12, "member": 0.18, "chief": 0.4, "front": 0.5}[kind]
        roll = rng.random()
        theory = PoliticalTheory.NONE if roll < no_theory else PoliticalTheory.ELEMENTARY if roll < 0.85 \
            else PoliticalTheory.INTERMEDIATE if roll < 0.98 else PoliticalTheory.ADVANCED
        roll = rng.random()
        must_be_official = kind in ("secretary", "deputy", "member")
        if must_be_official or roll < {"chief": 0.88, "front": 0.8}[kind]:
            party = PartyMembership.OFFICIAL
            # Official before the previous term began, so they can hold chapter posts in both terms.
            latest = PREVIOUS_TERM.starts_on - timedelta(days=460)
            earliest = birth + timedelta(days=_days(20))
            joined = date.fromordinal(rng.randint(earliest.toordinal(), max(earliest, latest).toordinal()))
            official = joined + timedelta(days=365 + rng.randint(0, 45))
        elif roll < {"chief": 0.93, "front": 0.88}[kind]:
            party = PartyMembership.PROBATIONARY
            joined, official = _between(rng, (date(2021, 6, 1), date(2022, 4, 15))), None
        else:  # R-T1 wants every chief and Front head in the party by the end of the term: some are not yet
            party, joined, official, theory = PartyMembership.NONE, None, None, PoliticalTheory.NONE
        return _Cadre(sex, rng.choice(FAMILY), birth, education, theory, party, joined, official)

    def hamlet(self, hamlet_id: int, kind: HamletKind, name: str, commune_class: CommuneClass,
               households: int, terms: dict[str, int]) -> None:
        rng = self.rng
        mountain = commune_class is CommuneClass.MOUNTAIN
        chapter_kind = "thôn" if kind is HamletKind.HAMLET else "tổ dân phố"
        roll = rng.random()
        official = rng.randint(5, 8) if roll < 0.2 else int(rng.triangular(9, 41, 16))
        probationary = 0 if rng.random() < 0.65 else rng.randint(1, 3)
        self.rows.add(Chapter, hamlet_id=hamlet_id, name=f"Chi bộ {chapter_kind} {name}",
                      official_members=official, probationary_members=probationary)

        cadres: list[_Cadre] = []
        capacity = households - 1  # leave at least one ordinary household

        def new(kind_: str) -> int:
            cadres.append(self.cadre(kind_, commune_class))
            return len(cadres) - 1

        # The people the new term is likely to draw on (its chief and chapter posts are not held yet: they come with
        # the election and the congresses), then the previous term's holders, some of them the same people.
        coming = self._term_posts(CURRENT_TERM, official, new, cadres, None, capacity)
        previous = self._term_posts(PREVIOUS_TERM, official, new, cadres, coming, capacity)

        slots = rng.sample(range(households), len(cadres))
        cadre_at = dict(zip(slots, range(len(cadres))))
        person_of: dict[int, int] = {}
        for number in range(households):
            household_id = self.rows.next_id["household"]
            index = cadre_at.get(number)
            if index is None:
                head_name = self.ordinary_head(hamlet_id, household_id, mountain)
            else:
                c = cadres[index]
                head_name, folded = self.name(c.sex, mountain, c.family)
                person_of[index] = self.person(
                    hamlet_id, household_id, head_name, folded, c.birth_date, c.sex, c.education, c.theory,
                    c.party, c.joined_on, c.official_on, fit=True, source_pool="",
                    phone=f"09{rng.randrange(10**8):08d}")
            self.rows.add(Household, hamlet_id=hamlet_id, number=f"H{number + 1:04d}", head_name=head_name)

        # Only the previous term's posts: on the current term's election Sunday their holders are still in office
        # (ended_on None) until the commune recognises the new chief (R-V9, election.recognition) and the chapter
        # congress elects the new committee (chapters.models); no post of the new term starts before its election.
        for post, index in previous:
            started = _between(rng, PREVIOUS_CHAPTERS_START if post.is_chapter_post or post is Post.FRONT_HEAD
                               else PREVIOUS_CHIEFS_START)
            self.rows.add(Position, hamlet_id=hamlet_id, person_id=person_of[index], post=post, title="",
                          term_id=terms[PREVIOUS_TERM.name], started_on=started, ended_on=None, acting=False)

    def _term_posts(self, term: TermPlan, official: int, new: Callable[[str], int], cadres: list[_Cadre],
                    current: list[tuple[Post, int]] | None, capacity: int) -> list[tuple[Post, int]]:
        """Who holds which post in one term (for the coming term: the people it is likely to draw on); the previous
        term keeps some of the coming term's people."""
        rng = self.rng
        used: set[int] = set()
        holder = {post: index for post, index in current or []}

        def pick(post: Post, kind: str) -> int | None:
            chapter_post = post.is_chapter_post
            keep = holder.get(post)
            if keep is not None and keep not in used and rng.random() < 0.6:
                choice = keep
            elif current is None or len(cadres) < capacity:
                choice = new(kind)
            else:  # small hamlet, no household left: reuse someone free who qualifies
                free = [i for i in sorted(set(holder.values())) if i not in used
                        and (not chapter_post or cadres[i].fits_chapter_post(term))]
                if not free:
                    return None
                choice = free[0]
            if chapter_post and not cadres[choice].fits_chapter_post(term):
                return None
            used.add(choice)
            return choice

        posts: list[tuple[Post, int]] = []
        # 59-KH/HU II.2.1 encourages the secretary to be the hamlet chief; more so in the new term.
        same_person = rng.random() < (0.7 if term.is_current else 0.4)
        chief = pick(Post.HAMLET_CHIEF, "secretary" if same_person else "chief")
        if chief is not None:
            posts.append((Post.HAMLET_CHIEF, chief))
        if same_person and chief is not None and cadres[chief].fits_chapter_post(term):
            secretary = chief
        else:
            same_person = False
            secretary = pick(Post.CHAPTER_SECRETARY, "secretary")
        if secretary is not None:
            posts.append((Post.CHAPTER_SECRETARY, secretary))
        # R-P1: ≥ 9 official members elect a committee (here 3 or 5 with the secretary and a deputy);
        # fewer elect a secretary and, if needed, a deputy. A few large chapters miss theirs (R-T2).
        chief_in_committee = same_person or rng.random() < (0.85 if term.is_current else 0.5)
        if elects_committee(official):
            seats = 0 if rng.random() < (0.05 if term.is_current else 0.25) else (3 if official < 20 else 5)
        else:
            seats = 2 if rng.random() < 0.35 else 0
        if seats:
            committee = [Post.CHAPTER_DEPUTY_SECRETARY] + [Post.CHAPTER_COMMITTEE_MEMBER] * (seats - 2)
            if not same_person and chief_in_committee and chief is not None \
                    and cadres[chief].fits_chapter_post(term):
                posts.append((committee.pop(0), chief))
            for post in committee:
                member = pick(post, "deputy" if post is Post.CHAPTER_DEPUTY_SECRETARY else "member")
                if member is not None:
                    posts.append((post, member))
        front = pick(Post.FRONT_HEAD, "front")
        if front is not None:
            posts.append((Post.FRONT_HEAD, front))
        return posts


def _hamlet_names(count: int, mountain: bool, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        if mountain and rng.random() < 0.5:
            name = rng.choice(MOUNTAIN_NAMES)
        else:
            first, second = rng.choice(NAME_FIRST), rng.choice(NAME_SECOND)
            name = f"{first} {second}"
            if first == second:
                continue
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------------------

DEMO_USERS: tuple[tuple[str, str, Role, str | None, bool], ...] = (
    # username, full name, role, commune (None: district-wide), hamlet-scoped
    ("admin", "Quản trị hệ thống", Role.ADMIN, None, False),
    ("tcnv.binhson", "Cơ quan Tổ chức – Nội vụ huyện Bình Sơn", Role.DISTRICT_OFFICE, None, False),
    ("btv.binhson", "Ban Thường vụ Huyện ủy Bình Sơn", Role.APPROVING_AUTHORITY, None, False),
    ("bcd.binhhai", "Ban chỉ đạo bầu cử xã Bình Hải", Role.COMMUNE_COMMITTEE, "Bình Hải", False),
    ("tobaucu.binhhai", "Tổ bầu cử xã Bình Hải", Role.POLLING_TEAM, "Bình Hải", True),
    ("dangu.binhhai", "Đảng ủy xã Bình Hải", Role.PARTY_COMMITTEE, "Bình Hải", False),
    ("quansat", "Người theo dõi", Role.OBSERVER, None, False),
    ("bcd.binhtri", "Ban chỉ đạo bầu cử xã Bình Trị", Role.COMMUNE_COMMITTEE, "Bình Trị", False),
)


@contextlib.contextmanager
def _stage(progress: bool, items: list[Any], label: str) -> Iterator[Iterable[Any]]:
    if progress:
        with click.progressbar(items, label=label, show_pos=True) as bar:
            yield bar
    else:
        yield items


def _check_term_plan(term: TermPlan) -> None:
    """The demo terms must themselves obey R-V4 (a Sunday) and the R-V2 lead times."""
    problem = election_day_problem(term.election_day)
    if problem is not None:
        raise RuntimeError(problem.message_en)
    done = {"decision": term.decision_done_on, "team": term.team_done_on, "notice": term.notice_done_on}
    for milestone in election_timeline(term.election_day):
        if done[milestone.key] > milestone.deadline:
            raise RuntimeError(f"{term.name}: {milestone.key} ({milestone.label}) done after its R-V2 deadline")


def has_district() -> bool:
    """True once any district exists: the seed only builds into an empty schema (for `--if-empty`)."""
    return db.session.scalar(sa.select(District.id).limit(1)) is not None


@dataclass(frozen=True)
class DistrictFigures:
    """What a seeded district holds, counted from the database (`flask seed` prints it; the README quotes it)."""

    district: str
    communes: int  # xã
    towns: tuple[str, ...]  # thị trấn, by name
    hamlets: int  # thôn
    residential_groups: int  # tổ dân phố
    households: int
    people: int

    @property
    def summary(self) -> str:
        """'Huyện Bình Sơn: 23 xã và thị trấn Châu Ổ; 192 thôn và 8 tổ dân phố; 76.524 hộ gia đình, 76.524 người'"""
        towns = "".join(f" và thị trấn {name}" for name in self.towns)
        return (f"Huyện {self.district}: {self.communes} xã{towns}; {self.hamlets} thôn và {self.residential_groups} "
                f"tổ dân phố; {_thousands(self.households)} hộ gia đình, {_thousands(self.people)} người")


def _thousands(number: int) -> str:
    """76524 -> '76.524', as Vietnamese writes thousands."""
    return f"{number:,}".replace(",", ".")


def district_figures(district_name: str = BINH_SON_NAME) -> DistrictFigures | None:
    """The units, households and people of a district (its units still in use), or None without that district."""
    district_id = db.session.scalar(sa.select(District.id).where(District.name == district_name))
    if district_id is None:
        return None
    communes = db.session.execute(sa.select(Commune.kind, Commune.name).where(
        Commune.district_id == district_id, Commune.merged_into_id.is_(None)).order_by(Commune.id)).all()
    in_district = sa.select(Hamlet.id).join(Commune, Hamlet.commune_id == Commune.id).where(
        Commune.district_id == district_id, Hamlet.merged_into_id.is_(None), Commune.merged_into_id.is_(None))
    kinds = dict(db.session.execute(sa.select(Hamlet.kind, sa.func.count()).where(Hamlet.id.in_(in_district))
                                    .group_by(Hamlet.kind)).tuples().all())

    def count(model: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.hamlet_id.in_(in_district))) or 0

    return DistrictFigures(
        district=district_name, communes=sum(kind is CommuneKind.COMMUNE for kind, _name in communes),
        towns=tuple(name for kind, name in communes if kind is CommuneKind.TOWN),
        hamlets=kinds.get(HamletKind.HAMLET, 0), residential_groups=kinds.get(HamletKind.RESIDENTIAL_GROUP, 0),
        households=count(Household), people=count(Person))


def seed_demo(scale: str = "district", random_seed: int = 59, password: str = "dantin-demo-2022",
              progress: bool = True) -> list[tuple[str, str, str]]:
    """Build the demo data into an empty schema and commit; returns (username, role label, scope label)."""
    if has_district():
        raise click.ClickException(
            "Cơ sở dữ liệu đã có dữ liệu huyện: chỉ khởi tạo dữ liệu mẫu vào cơ sở dữ liệu trống. "
            "Hãy dùng một cơ sở dữ liệu mới (hoặc xóa dữ liệu cũ) rồi chạy lại.")
    plans = _district_plans(scale)
    for term in (PREVIOUS_TERM, CURRENT_TERM):
        _check_term_plan(term)
    rng = random.Random(random_seed)
    set_actor(db.session, None, "cli:seed")
    try:
        # Dated the day the term's preparation began (the chairman's decision, R-V2): the rehearsal's steps follow.
        with on_day(CURRENT_TERM.decision_done_on, required=False):
            logins = _build(plans, rng, scale, random_seed, password, progress)
    except BaseException:
        db.session.rollback()
        raise
    return logins


def _build(plans: list[DistrictPlan], rng: random.Random, scale: str, random_seed: int, password: str,
           progress: bool) -> list[tuple[str, str, str]]:
    """seed_demo's work, committed (the caller rolls back on failure)."""
    rows = _Rows()
    generator = _Generator(rng, rows)
    if progress:
        click.echo(f"Tạo tỉnh Quảng Ngãi, {len(plans)} huyện, xã, thôn và hai nhiệm kỳ…")
    hamlets, binh_son_id, commune_ids = _build_units(plans, rng, rows, generator)
    with _stage(progress, hamlets, "Hộ gia đình, nhân khẩu, chi bộ, chức danh") as bar:
        for hamlet in bar:
            generator.hamlet(*hamlet)
            rows.flush()
    rows.flush(force=True)
    _complete_committees(hamlets, rows, random.Random(f"committees-{random_seed}"))
    rows.flush(force=True)
    rows.reset_sequences()
    logins = _create_users(binh_son_id, commune_ids, password)
    _record_previous_congress(binh_son_id, commune_ids)
    counts = {"districts": rows.counts["district"], "communes": rows.counts["commune"],
              "hamlets": rows.counts["hamlet"], "households": rows.counts["household"],
              "people": rows.counts["person"], "chapters": rows.counts["chapter"],
              "positions": rows.counts["position"], "terms": rows.counts["term"], "users": len(logins),
              "scale": scale, "random_seed": random_seed}
    record("event", "District", binh_son_id, scope=(binh_son_id, None, None), after=counts,
           summary=f"Khởi tạo dữ liệu mẫu (quy mô {scale}): {counts['hamlets']} thôn, tổ dân phố; "
                   f"{counts['households']} hộ gia đình")
    if progress:
        click.echo("Đang ghi cơ sở dữ liệu…")
    db.session.commit()
    refresh_statistics()
    return logins


def refresh_statistics() -> None:
    """After a bulk load on PostgreSQL, bring the planner's statistics up to date (ANALYZE). Autovacuum would, in
    its own time; until then a table filled from empty keeps the estimates of the few rows it once had, and the
    planner's nested loops over 76,000 people made one targets query run for more than ten minutes (seen in CI)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
            connection.commit()


# R-P1/R-T2: a chapter with enough official members and no committee member is flagged "difficult in cadres"
# (chapters.supervision). The hamlet draw above leaves many; all but every tenth of them get one, so a handful are
# flagged in a district, as the targets dashboard and the difficult chapters' list of a real district would show.
COMMITTEE_LEFT_EMPTY_EVERY = 10


def _complete_committees(hamlets: list[tuple[Any, ...]], rows: _Rows, rng: random.Random) -> None:
    """Give most chapters that elect a committee (R-P1) and have no committee member in office one: a resident
    official party member of the hamlet, official before the previous term began, holding no post, aged under 60,
    elected with the previous term's committee (at its 2019 congress) and still in office. Its own random stream: the
    rest of the seed (the people, the rehearsal's hamlets) stays what it was."""
    previous_term = {hamlet[0]: hamlet[5][PREVIOUS_TERM.name] for hamlet in hamlets}
    wanting = [hamlet_id for hamlet_id, official in db.session.execute(
        sa.select(Chapter.hamlet_id, Chapter.official_members).where(Chapter.hamlet_id.in_(previous_term))
        .order_by(Chapter.hamlet_id)).tuples() if elects_committee(official)]
    with_member = set(db.session.scalars(sa.select(Position.hamlet_id).where(
        Position.hamlet_id.in_(wanting), Position.post == Post.CHAPTER_COMMITTEE_MEMBER,
        Position.ended_on.is_(None))))
    lacking = [hamlet_id for hamlet_id in wanting if hamlet_id not in with_member]
    filled = [hamlet_id for index, hamlet_id in enumerate(lacking) if index % COMMITTEE_LEFT_EMPTY_EVERY]
    holders = set(db.session.scalars(sa.select(Position.person_id).where(Position.hamlet_id.in_(filled))))
    youngest_birth = date(AGE_REFERENCE.year - 60, AGE_REFERENCE.month, AGE_REFERENCE.day)
    members: dict[int, list[int]] = {}
    for person_id, hamlet_id in db.session.execute(sa.select(Person.id, Person.hamlet_id).where(
            Person.hamlet_id.in_(filled), Person.party_member == PartyMembership.OFFICIAL,
            Person.party_official_on < PREVIOUS_TERM.starts_on, Person.birth_date > youngest_birth)
            .order_by(Person.id)):
        if person_id not in holders:
            members.setdefault(hamlet_id, []).append(person_id)
    for hamlet_id in filled:
        if members.get(hamlet_id):
            rows.add(Position, hamlet_id=hamlet_id, person_id=rng.choice(members[hamlet_id]),
                     post=Post.CHAPTER_COMMITTEE_MEMBER, title="", term_id=previous_term[hamlet_id],
                     started_on=_between(rng, PREVIOUS_CHAPTERS_START), ended_on=None, acting=False)


def _per_commune(plan: DistrictPlan, rng: random.Random) -> list[int]:
    """How many hamlets each commune of the district has: 6–11 (2–3 at the tiny scale), the first commune its set
    size when the plan gives one."""
    first = plan.first_commune_hamlets
    if first is not None and len(plan.communes) > 1:
        return [first] + _per_commune(DistrictPlan(plan.code, plan.name, plan.communes[1:], plan.hamlets - first,
                                                   plan.households), rng)
    if plan.hamlets >= 6 * len(plan.communes):
        return _split(plan.hamlets, len(plan.communes), 6, 11, rng)
    return _split(plan.hamlets, len(plan.communes), 2, 3, rng)


def _build_units(plans: list[DistrictPlan], rng: random.Random, rows: _Rows, generator: _Generator
                 ) -> tuple[list[tuple[Any, ...]], int, dict[tuple[int, str], int]]:
    """Province, districts, terms, communes, hamlets; returns the per-hamlet work list."""
    province_id = db.session.scalar(sa.select(Province.id).where(Province.code == PROVINCE_CODE))
    if province_id is None:
        province_id = rows.add(Province, code=PROVINCE_CODE, name="Quảng Ngãi")
    hamlets: list[tuple[Any, ...]] = []
    commune_ids: dict[tuple[int, str], int] = {}
    binh_son_id = 0
    for plan in plans:
        district_id = rows.add(District, province_id=province_id, code=plan.code, name=plan.name,
                               approver_name=BINH_SON_APPROVER if plan.name == BINH_SON_NAME
                               else f"Ban Thường vụ Huyện ủy {plan.name}", approver_level="district")
        if plan.name == BINH_SON_NAME:
            binh_son_id = district_id
        terms = {term.name: rows.add(
            Term, district_id=district_id, name=term.name, starts_on=term.starts_on, ends_on=term.ends_on,
            length_months=TERM_LENGTH_MONTHS, election_day=term.election_day, rule_set="binh-son-59-KH-HU",
            is_current=term.is_current, decision_done_on=term.decision_done_on, team_done_on=term.team_done_on,
            notice_done_on=term.notice_done_on) for term in (PREVIOUS_TERM, CURRENT_TERM)}
        per_commune = _per_commune(plan, rng)
        for number, (commune, count) in enumerate(zip(plan.communes, per_commune), start=1):
            mountain = commune.commune_class is CommuneClass.MOUNTAIN
            chairman = generator.name("male" if rng.random() < 0.8 else "female", mountain)[0]
            code = f"{plan.code}{number:02d}"
            commune_id = rows.add(Commune, district_id=district_id, code=code, name=commune.name, kind=commune.kind,
                                  commune_class=commune.commune_class,
                                  class_basis=MOUNTAIN_BASIS if mountain else plan.plain_basis,
                                  chairman_name=chairman, merged_into_id=None, ended_on=None)
            commune_ids[(district_id, commune.name)] = commune_id
            kind = HamletKind.RESIDENTIAL_GROUP if commune.kind is CommuneKind.TOWN else HamletKind.HAMLET
            for index, name in enumerate(_hamlet_names(count, mountain, rng), start=1):
                hamlet_id = rows.add(Hamlet, commune_id=commune_id, code=f"{code}{index:02d}", name=name, kind=kind,
                                     merged_into_id=None, ended_on=None)
                households = rng.randint(*plan.households)
                hamlets.append((hamlet_id, kind, name, commune.commune_class, households, terms))
    rows.flush(force=True)
    return hamlets, binh_son_id, commune_ids


def _create_users(district_id: int, commune_ids: dict[tuple[int, str], int], password: str
                  ) -> list[tuple[str, str, str]]:
    """One demo login per role (ORM, so passwords are hashed and each creation is audited)."""
    logins = []
    for username, full_name, role, commune_name, hamlet_scoped in DEMO_USERS:
        existing = db.session.scalar(sa.select(User).where(User.username == username))
        if existing is not None:  # e.g. an admin made earlier with `flask users create-admin`
            logins.append((username, existing.role.label, f"{existing.scope_label} (đã có – giữ mật khẩu cũ)"))
            continue
        commune_id = commune_ids[(district_id, commune_name)] if commune_name else None
        hamlet_id = term_id = None
        if hamlet_scoped:  # a polling team's account: one hamlet and the current term (core.accounts)
            hamlet_id = db.session.scalar(sa.select(sa.func.min(Hamlet.id)).where(Hamlet.commune_id == commune_id))
            term_id = db.session.scalar(sa.select(Term.id).where(Term.district_id == district_id, Term.is_current))
        user = User(username=username, full_name=full_name, role=role,
                    district_id=None if role is Role.ADMIN else district_id, commune_id=commune_id,
                    hamlet_id=hamlet_id, term_id=term_id)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        logins.append((username, role.label, user.scope_label))
    return logins


# ---------------------------------------------------------------------------------------------------------
# The previous term's congress of one chapter of the demo commune (chapters.models, R-P1…R-P5)
# ---------------------------------------------------------------------------------------------------------

# The congress after the 2019 election (59-KH/HU: the hamlet chief first, then the chapter congress), approved by the
# commune's party committee: the chapter posts start on the approval (R-P5), within PREVIOUS_CHAPTERS_START.
PREVIOUS_CONGRESS_HELD = date(2019, 11, 30)
PREVIOUS_CONGRESS_APPROVED = date(2019, 12, 9)
PREVIOUS_CONGRESS_DECISION = "52-QĐ/ĐU"


def _record_previous_congress(district_id: int, commune_ids: dict[tuple[int, str], int]) -> Congress | None:
    """The 2019 congress of one chapter of the demo commune, keyed in from its records when the commune began to use
    the app (so dated the seed's day; the congress and the approval keep their 2019 dates; the approval entered by the
    district office, as chapters.access.APPROVERS has it).

    The chapter is the commune's first one whose 2019 chief was also elected its secretary and, if it elects a
    committee (R-P1), whose committee the seed filled. Its chapter posts are not drawn as the others are: they come
    from the congress's approval (R-P5), through chapters.models' guarded methods, the same people in the same posts:
    the secretary (the chief, proposed at once), the deputy and the committee members, with one more nominee who is
    not elected (R-P3: more candidates than seats). None when no chapter of the commune fits (a smaller seed)."""
    commune_id = commune_ids.get((district_id, BINH_SON_COMMUNES[0].name))
    term = db.session.scalar(sa.select(Term).where(Term.district_id == district_id, Term.name == PREVIOUS_TERM.name))
    approver_id = db.session.scalar(sa.select(User.id).where(User.role == Role.DISTRICT_OFFICE,
                                                             User.district_id == district_id).order_by(User.id))
    if commune_id is None or term is None or approver_id is None:
        return None
    chapters = db.session.scalars(sa.select(Chapter).join(Hamlet, Chapter.hamlet_id == Hamlet.id).where(
        Hamlet.commune_id == commune_id).order_by(Hamlet.id)).all()
    plans = [plan for plan in (_congress_plan(chapter, term) for chapter in chapters) if plan is not None]
    if not plans:
        return None
    # A chapter that elects a committee first: its minutes show the three ballots (R-P1).
    chapter, holders, extra = min(plans, key=lambda plan: not elects_committee(plan[0].official_members))
    db.session.execute(sa.delete(Position).where(Position.id.in_([p.id for p in holders])))
    congress = Congress.open(chapter, term, PREVIOUS_CONGRESS_HELD)  # the chief proposed as secretary
    db.session.add(congress)
    convened = chapter.official_members
    base = convened - 1  # one member away for the whole congress, excused; everybody else present
    seats = len(holders) if elects_committee(convened) else None
    congress.set_attendance(convened, {"absent_with_approved_reason": 1}, base, seats)
    secretary = congress.chief_nominee
    assert secretary is not None
    nominees = [secretary] + [congress.add_nominee(p.person, p.post, NomineeSource.CHAPTER) for p in holders
                              if p.post is not Post.CHAPTER_SECRETARY]
    if extra is not None:
        nominees.append(congress.add_nominee(extra, Post.CHAPTER_COMMITTEE_MEMBER, NomineeSource.CHAPTER))
    db.session.flush()
    valid = base - 1  # one ballot spoiled in each round

    def votes(less: int) -> int:
        """`less` votes short of every valid ballot, but always more than half of the base (R-P2)."""
        return valid - less if 2 * (valid - less) > base else valid

    if seats:  # R-P1: the committee first (R-P3: one candidate more than the seats), the extra one not elected
        tally = {n.id: votes(min(index, 2)) for index, n in enumerate(nominees) if n is not nominees[-1]}
        tally[nominees[-1].id] = base // 2 - 1
        congress.record_ballot(Post.CHAPTER_COMMITTEE_MEMBER, valid, 1, tally)
    congress.record_ballot(Post.CHAPTER_SECRETARY, valid, 1, {secretary.id: valid})
    deputy = next((n for n in nominees if n.post is Post.CHAPTER_DEPUTY_SECRETARY), None)
    if deputy is not None:
        congress.record_ballot(Post.CHAPTER_DEPUTY_SECRETARY, valid, 1, {deputy.id: votes(1)})
    congress.finish()
    congress.approve(user_id=approver_id, number=PREVIOUS_CONGRESS_DECISION, on=PREVIOUS_CONGRESS_APPROVED)
    db.session.flush()
    return congress


def _congress_plan(chapter: Chapter, term: Term) -> tuple[Chapter, list[Position], Person | None] | None:
    """(chapter, its 2019 chapter posts, a member to nominate besides them) when those posts can come from one
    congress: the chief is the secretary, one deputy at most, and a chapter electing a committee (R-P1) has a member
    of the hamlet to stand as one candidate more than the seats (R-P3); else None."""
    positions = db.session.scalars(sa.select(Position).where(
        Position.hamlet_id == chapter.hamlet_id, Position.term_id == term.id, Position.ended_on.is_(None))
        .order_by(Position.id)).all()
    chief = next((p.person_id for p in positions if p.post is Post.HAMLET_CHIEF), None)
    holders = [p for p in positions if p.post.is_chapter_post]
    posts = [p.post for p in holders]
    committee = elects_committee(chapter.official_members)
    if posts.count(Post.CHAPTER_SECRETARY) != 1 or posts.count(Post.CHAPTER_DEPUTY_SECRETARY) > 1 \
            or len({p.person_id for p in holders}) != len(holders) \
            or (not committee and Post.CHAPTER_COMMITTEE_MEMBER in posts):
        return None
    secretary = next(p for p in holders if p.post is Post.CHAPTER_SECRETARY)
    if secretary.person_id != chief or (committee and len(holders) < 2):
        return None
    if not committee:
        return chapter, holders, None
    oldest = date(PREVIOUS_CONGRESS_HELD.year - 65, PREVIOUS_CONGRESS_HELD.month, PREVIOUS_CONGRESS_HELD.day)
    extra = db.session.scalar(sa.select(Person).where(
        Person.hamlet_id == chapter.hamlet_id, Person.party_member == PartyMembership.OFFICIAL,
        Person.party_official_on < PREVIOUS_CONGRESS_HELD, Person.birth_date > oldest, Person.fit_for_term.is_(True),
        Person.id.not_in({p.person_id for p in positions})).order_by(Person.id).limit(1))
    return (chapter, holders, extra) if extra is not None else None
