"""Pure candidate-eligibility rules (rules.md §1, R-E1…R-E8 and the exception rule R-X1).

Plain values in, frozen dataclasses out; no Flask or database import. Pages, the JSON calculator
(`candidates/calculator.py`), CLI and PDFs call these functions; nothing re-implements them.
Every threshold is a field of a versioned `RuleSet`, with its rule id and source beside it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.calendar import DateProblem, decision_date_problem
from core.enums import CommuneClass, Education, PartyMembership, PoliticalTheory, Post
from core.labels import N_, LabelledEnum

# ---------------------------------------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------------------------------------


class RuleKind(LabelledEnum):
    HARD = "hard", N_("Bắt buộc")
    EXCEPTIONABLE = "exceptionable", N_("Có thể xin ngoại lệ")
    TARGET = "target", N_("Chỉ tiêu")


class Status(LabelledEnum):
    ELIGIBLE = "eligible", N_("Đủ tiêu chuẩn")
    NEEDS_EXCEPTION = "needs_exception", N_("Cần ngoại lệ")
    INELIGIBLE = "ineligible", N_("Không đủ tiêu chuẩn")


# ---------------------------------------------------------------------------------------------------------
# Rule sets
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """A versioned set of thresholds; a future plan or jurisdiction gets a new id, not an edit."""

    id: str
    title: str
    min_age: int = 21  # R-E2: hamlet chief at least 21 (TT 04/2012/TT-BNV)
    max_age: int = 65  # R-E3: "không quá 65 tuổi", all posts (59-KH/HU II.2.3)
    min_education_mountain: Education = Education.LOWER_SECONDARY  # R-E4: THCS in a mountain commune (59-KH/HU)
    min_education_plain: Education = Education.UPPER_SECONDARY  # R-E4: THPT in a plain commune (59-KH/HU)
    min_theory_chapter: PoliticalTheory = PoliticalTheory.ELEMENTARY  # R-E5: sơ cấp for chapter posts (59-KH/HU)
    # R-V3 (Decree 59/2023 art. 7; Bình Sơn practice "một hoặc hai"): candidates per hamlet. Kept here so
    # a versioned plan carries all its candidate settings; election/ code reads it from the rule set.
    min_candidates_per_hamlet: int = 1
    max_candidates_per_hamlet: int = 2  # setting

    def min_education(self, commune_class: CommuneClass) -> Education:
        """R-E4: the education minimum for a commune of this class."""
        if commune_class is CommuneClass.MOUNTAIN:
            return self.min_education_mountain
        return self.min_education_plain


BINH_SON_59 = RuleSet(
    id="binh-son-59-KH-HU",
    title="Kế hoạch 59-KH/HU của Huyện ủy Bình Sơn (thí điểm mô hình “Dân tin – Đảng cử”)",
)

RULE_SETS: dict[str, RuleSet] = {BINH_SON_59.id: BINH_SON_59}


def get_rule_set(rule_set_id: str | None = None) -> RuleSet:
    """The rule set with this id (the default Bình Sơn set when None); KeyError when unknown."""
    if rule_set_id is None:
        return BINH_SON_59
    return RULE_SETS[rule_set_id]


# ---------------------------------------------------------------------------------------------------------
# Age
# ---------------------------------------------------------------------------------------------------------


def full_years(birth_date: date, on: date) -> int:
    """Age in full years on `on`: someone 65 years and 364 days old is 65 (rules.md §1).

    A person born on 29 February has their birthday on 1 March in common years (they are not a year
    older until 28 February has passed), the reading used by Vietnamese civil-status practice and by
    most legal systems; in leap years it is 29 February itself.
    """
    if on < birth_date:
        raise ValueError("the reference date is before the birth date")
    # (month, day) tuples compare so that (2, 28) < (2, 29) < (3, 1): the 1 March reading above.
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


# ---------------------------------------------------------------------------------------------------------
# Findings: one pure function per rule
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    ok: bool
    kind: RuleKind
    message: str  # Vietnamese, states the fact with its values and cites the rule
    message_en: str
    text: str  # the same statement without the rule id, as documents print it ("…, chưa đạt THPT trở lên ….")


RULE_KINDS: dict[str, RuleKind] = {
    "R-E1": RuleKind.HARD,
    "R-E2": RuleKind.HARD,
    "R-E3": RuleKind.HARD,
    "R-E4": RuleKind.EXCEPTIONABLE,
    "R-E5": RuleKind.EXCEPTIONABLE,
    "R-E6": RuleKind.HARD,
    "R-E7": RuleKind.TARGET,
    "R-E8": RuleKind.HARD,
}


# One label per standard, in words: documents name a standard by it (never by its id) and pages show it beside the
# id. Marked for the catalogue; pages translate it (`|tr`), PDFs print it as it is (core/labels.py).
STANDARD_LABELS: dict[str, str] = {
    "R-E1": N_("thường trú tại thôn, tổ dân phố"),
    "R-E2": N_("đủ tuổi tối thiểu"),
    "R-E3": N_("không quá tuổi tối đa"),
    "R-E4": N_("trình độ học vấn phổ thông"),
    "R-E5": N_("trình độ lý luận chính trị"),
    "R-E6": N_("là đảng viên chính thức"),
    "R-E7": N_("là đảng viên"),  # a target (R-T1), never a condition: the pages say so beside it
    "R-E8": N_("đủ sức khỏe làm việc trong nhiệm kỳ"),
}


def standard_label(rule: str) -> str:
    """A standard in words ("trình độ học vấn phổ thông" for R-E4); an unknown id is returned as it is."""
    return STANDARD_LABELS.get(rule, rule)


def standards_text(rules: tuple[str, ...] | list[str]) -> str:
    """Several standards in words, joined as a sentence does: "trình độ học vấn phổ thông và trình độ lý luận…"."""
    labels = [standard_label(rule) for rule in rules]
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " và " + labels[-1]


def _finding(rule: str, ok: bool, message: str, message_en: str) -> Finding:
    return Finding(rule, ok, RULE_KINDS[rule], f"{message} ({rule}).", f"{message_en} ({rule}).", f"{message}.")


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _en(level: LabelledEnum) -> str:
    """A level named in an English message by its code ("lower_secondary" → "lower secondary"): the English labels
    live in the catalogue, which a pure rule does not read."""
    return level.value.replace("_", " ")


def check_resident(resident: bool) -> Finding:
    """R-E1 (TT 04/2012/TT-BNV): a hamlet chief lives permanently in the hamlet."""
    if resident:
        return _finding("R-E1", True, "Thường trú tại thôn", "Permanently resident in the hamlet")
    return _finding("R-E1", False, "Không thường trú tại thôn; trưởng thôn phải thường trú tại thôn",
                    "Not permanently resident in the hamlet; a hamlet chief must be")


def check_min_age(birth_date: date, on: date, rule_set: RuleSet = BINH_SON_59) -> Finding:
    """R-E2 (TT 04/2012/TT-BNV): a hamlet chief is at least `rule_set.min_age` on election day."""
    age = full_years(birth_date, on)
    if age >= rule_set.min_age:
        return _finding("R-E2", True, f"Tuổi {age} vào ngày {_d(on)}, đủ {rule_set.min_age} tuổi trở lên",
                        f"Aged {age} on {_d(on)}, at least {rule_set.min_age}")
    return _finding("R-E2", False, f"Tuổi {age} vào ngày {_d(on)}, chưa đủ {rule_set.min_age} tuổi",
                    f"Aged {age} on {_d(on)}, under {rule_set.min_age}")


def check_max_age(birth_date: date, on: date, rule_set: RuleSet = BINH_SON_59) -> Finding:
    """R-E3 (59-KH/HU): not over `rule_set.max_age` in full years on the reference date."""
    age = full_years(birth_date, on)
    if age <= rule_set.max_age:
        return _finding("R-E3", True, f"Tuổi {age} vào ngày {_d(on)}, không quá {rule_set.max_age} tuổi",
                        f"Aged {age} on {_d(on)}, not over {rule_set.max_age}")
    return _finding("R-E3", False, f"Tuổi {age} vào ngày {_d(on)}, vượt quá {rule_set.max_age} tuổi",
                    f"Aged {age} on {_d(on)}, over {rule_set.max_age}")


def check_education(education: Education, commune_class: CommuneClass,
                    rule_set: RuleSet = BINH_SON_59) -> Finding:
    """R-E4 (59-KH/HU): THCS or above in a mountain commune, THPT in a plain commune."""
    minimum = rule_set.min_education(commune_class)
    place_vi = f"xã {commune_class.label.lower()}"
    place_en = f"{_en(commune_class)} commune"
    if education.at_least(minimum):
        return _finding("R-E4", True,
                        f"Trình độ học vấn: {education.label}, đạt yêu cầu {minimum.label} trở lên ở {place_vi}",
                        f"Education: {_en(education)}, meets {_en(minimum)} or above in a {place_en}")
    return _finding("R-E4", False,
                    f"Trình độ học vấn: {education.label}, chưa đạt {minimum.label} trở lên ở {place_vi}",
                    f"Education: {_en(education)}, below {_en(minimum)} required in a {place_en}")


def check_political_theory(theory: PoliticalTheory, rule_set: RuleSet = BINH_SON_59) -> Finding:
    """R-E5 (59-KH/HU): chapter posts need political theory of sơ cấp or above."""
    minimum = rule_set.min_theory_chapter
    if theory.at_least(minimum):
        return _finding("R-E5", True,
                        f"Lý luận chính trị: {theory.label}, đạt yêu cầu {minimum.label.lower()} trở lên",
                        f"Political theory: {_en(theory)}, meets {_en(minimum)} or above")
    return _finding("R-E5", False,
                    f"Lý luận chính trị: {theory.label}, chưa đạt {minimum.label.lower()} trở lên",
                    f"Political theory: {_en(theory)}, below {_en(minimum)}")


def check_official_member(party_member: PartyMembership) -> Finding:
    """R-E6 (190-QĐ/TW): chapter posts are held by official, not probationary, party members."""
    if party_member is PartyMembership.OFFICIAL:
        return _finding("R-E6", True, "Là đảng viên chính thức", "An official party member")
    return _finding("R-E6", False,
                    f"{party_member.label}; chức vụ chi bộ phải là đảng viên chính thức",
                    f"Party membership: {_en(party_member)}; chapter posts need an official party member")


def check_party_member_target(party_member: PartyMembership) -> Finding:
    """R-E7 (59-KH/HU target, R-T1): a hamlet chief who is a party member; never blocks a candidacy."""
    if party_member is not PartyMembership.NONE:
        return _finding("R-E7", True, f"{party_member.label}, đạt chỉ tiêu trưởng thôn là đảng viên",
                        f"Party membership: {_en(party_member)}, meets the party-member target")
    return _finding("R-E7", False,
                    "Không phải đảng viên; không phải điều kiện bắt buộc nhưng chưa đạt chỉ tiêu 100% "
                    "trưởng thôn là đảng viên",
                    "Not a party member; not a legal condition but counts against the 100% target")


def check_fit_for_term(fit_for_term: bool) -> Finding:
    """R-E8 (59-KH/HU): declared fit to work for the whole term."""
    if fit_for_term:
        return _finding("R-E8", True, "Đủ sức khỏe làm việc trong nhiệm kỳ", "Fit to work for the whole term")
    return _finding("R-E8", False, "Không đủ sức khỏe làm việc trong nhiệm kỳ",
                    "Not fit to work for the whole term")


# ---------------------------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateFacts:
    birth_date: date
    education: Education
    political_theory: PoliticalTheory
    party_member: PartyMembership
    resident: bool = True
    fit_for_term: bool = True


# rules.md §1: the posts the candidate standards apply to (a Front head or another worker is not assessed).
ASSESSED_POSTS = (Post.HAMLET_CHIEF, Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY,
                  Post.CHAPTER_COMMITTEE_MEMBER)
# rules.md §1 table: which rules apply to which post, in rule-id order.
_HAMLET_CHIEF_RULES = ("R-E1", "R-E2", "R-E3", "R-E4", "R-E7", "R-E8")
_CHAPTER_RULES = ("R-E3", "R-E4", "R-E5", "R-E6", "R-E8")


def applicable_rules(post: Post) -> tuple[str, ...]:
    """The rule ids that apply to `post`, in rule-id order (rules.md §1); ValueError for a post not assessed."""
    if post not in ASSESSED_POSTS:
        raise ValueError(f"no candidate standards for the post {post!r}")
    return _CHAPTER_RULES if post.is_chapter_post else _HAMLET_CHIEF_RULES


_Check = Callable[[CandidateFacts, date, CommuneClass, RuleSet], Finding]

_CHECKS: dict[str, _Check] = {
    "R-E1": lambda f, on, cc, rs: check_resident(f.resident),
    "R-E2": lambda f, on, cc, rs: check_min_age(f.birth_date, on, rs),
    "R-E3": lambda f, on, cc, rs: check_max_age(f.birth_date, on, rs),
    "R-E4": lambda f, on, cc, rs: check_education(f.education, cc, rs),
    "R-E5": lambda f, on, cc, rs: check_political_theory(f.political_theory, rs),
    "R-E6": lambda f, on, cc, rs: check_official_member(f.party_member),
    "R-E7": lambda f, on, cc, rs: check_party_member_target(f.party_member),
    "R-E8": lambda f, on, cc, rs: check_fit_for_term(f.fit_for_term),
}


@dataclass(frozen=True)
class Assessment:
    post: Post
    on: date
    status: Status
    findings: tuple[Finding, ...]

    def _failed(self, kind: RuleKind) -> tuple[str, ...]:
        return tuple(f.rule for f in self.findings if not f.ok and f.kind is kind)

    @property
    def failed_hard(self) -> tuple[str, ...]:
        return self._failed(RuleKind.HARD)

    @property
    def failed_exceptionable(self) -> tuple[str, ...]:
        """The rule ids an exception (R-X1) would have to cover."""
        return self._failed(RuleKind.EXCEPTIONABLE)

    @property
    def failed_targets(self) -> tuple[str, ...]:
        return self._failed(RuleKind.TARGET)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of api.md (status, findings with rule/ok/kind/message)."""
        return {
            "status": self.status.value,
            "findings": [
                {"rule": f.rule, "ok": f.ok, "kind": f.kind.value, "message": f.message} for f in self.findings
            ],
        }


def status_of(findings: tuple[Finding, ...]) -> Status:
    """Ineligible on any hard failure, else needs_exception on any exceptionable one; targets never count."""
    failed = {f.kind for f in findings if not f.ok}
    if RuleKind.HARD in failed:
        return Status.INELIGIBLE
    if RuleKind.EXCEPTIONABLE in failed:
        return Status.NEEDS_EXCEPTION
    return Status.ELIGIBLE


def assess(post: Post, facts: CandidateFacts, on: date, commune_class: CommuneClass,
           rule_set: RuleSet = BINH_SON_59) -> Assessment:
    """Assess `facts` for `post` on the reference date `on` (election day or congress day)."""
    findings = tuple(_CHECKS[rule](facts, on, commune_class, rule_set) for rule in applicable_rules(post))
    return Assessment(post=post, on=on, status=status_of(findings), findings=findings)


@dataclass(frozen=True)
class DualAssessment:
    """A hamlet-chief candidate seen both as chief and as the chapter secretary they will be proposed as."""

    hamlet_chief: Assessment
    chapter_secretary: Assessment


def assess_both(facts: CandidateFacts, on_election_day: date, commune_class: CommuneClass,
                rule_set: RuleSet = BINH_SON_59, congress_day: date | None = None) -> DualAssessment:
    """Both assessments side by side (rules.md §1); the chapter one uses the congress day when known."""
    return DualAssessment(
        hamlet_chief=assess(Post.HAMLET_CHIEF, facts, on_election_day, commune_class, rule_set),
        chapter_secretary=assess(Post.CHAPTER_SECRETARY, facts, congress_day or on_election_day,
                                 commune_class, rule_set),
    )


def exception_possible(assessment: Assessment) -> bool:
    """R-X1: an exception can be requested only when exceptionable rules, and no hard rule, fail."""
    return not assessment.failed_hard and bool(assessment.failed_exceptionable)


REMEDIABLE_RULES = ("R-E4", "R-E5")


def remediation_met(rule_id: str, facts: CandidateFacts, commune_class: CommuneClass,
                    rule_set: RuleSet = BINH_SON_59) -> bool:
    """R-X1: whether a remediation plan for `rule_id` (R-E4 or R-E5) is met by the recorded level."""
    if rule_id == "R-E4":
        return check_education(facts.education, commune_class, rule_set).ok
    if rule_id == "R-E5":
        return check_political_theory(facts.political_theory, rule_set).ok
    raise ValueError(f"{rule_id} is not an exceptionable rule; only {', '.join(REMEDIABLE_RULES)} are remedied")


def standard_requirement(rule_id: str, commune_class: CommuneClass, rule_set: RuleSet = BINH_SON_59) -> str:
    """What an exceptionable standard asks, in words, as a decision names it ("THPT (lớp 12/12) trở lên ở xã đồng
    bằng" for R-E4, "sơ cấp trở lên" for R-E5); empty for another rule."""
    if rule_id == "R-E4":
        return f"{rule_set.min_education(commune_class).label} trở lên ở xã {commune_class.label.lower()}"
    if rule_id == "R-E5":
        return f"{rule_set.min_theory_chapter.label.lower()} trở lên"
    return ""


def appointment_problem(assessment: Assessment, excepted: frozenset[str] | set[str] = frozenset()) -> str | None:
    """R-X1 applied to an appointment (the acting hamlet chief, R-V8): the person meets the standards a candidate
    meets; a failed exceptionable standard needs an approved exception covering it (`excepted`: its rule ids);
    a hard standard cannot be excepted. None when the appointment may be made. Vietnamese, for the form."""
    if assessment.failed_hard:
        failed = [f for f in assessment.findings if not f.ok and f.kind is RuleKind.HARD]
        return ("Không đạt tiêu chuẩn bắt buộc: " + "; ".join(f.message.rstrip(".") for f in failed)
                + ". Tiêu chuẩn này không thể xin ngoại lệ (R-X1): hãy chọn người khác.")
    missing = sorted(set(assessment.failed_exceptionable) - set(excepted))
    if missing:
        failed = [f for f in assessment.findings if f.rule in missing]
        return ("Không đạt tiêu chuẩn: " + "; ".join(f.message.rstrip(".") for f in failed)
                + ". Chỉ chỉ định được khi cấp có thẩm quyền đã chấp thuận ngoại lệ cho " + ", ".join(missing)
                + " (R-X1); chưa có ngoại lệ nào như vậy cho người này: hãy chọn người đạt tiêu chuẩn, hoặc đưa "
                "người này vào danh sách ứng cử và đề nghị ngoại lệ trước.")
    return None


def exception_decision_problem(on: date, filed_on: date, today: date) -> DateProblem | None:
    """R-X1: the decision on an exception request is dated not before the request was filed and not in the future."""
    return decision_date_problem("R-X1", on, today, not_before=filed_on, not_before_what="ngày lập đề nghị",
                                 field="decision_date")
