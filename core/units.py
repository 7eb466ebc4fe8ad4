"""Renaming and merging communes and hamlets (the 2025 reform merged many) without losing history.

The old unit stays in the database with `ended_on` and `merged_into_id`; every record that pointed at it
(positions, polls, candidate lists of past terms) keeps pointing at it. Current residents, households and
the chapter's members move to the successor, and a UnitEvent records the decision.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core.enums import HamletKind
from core.errors import RuleViolation
from core.models import Chapter, Hamlet, Household, Person, UnitEvent
from core.vietnamese import nfc
from extensions import db


def rename_hamlet(hamlet: Hamlet, new_name: str, on: date, decision: str) -> UnitEvent:
    new_name = nfc(new_name)
    if not new_name or new_name == hamlet.name:
        raise RuleViolation("Tên mới phải khác tên hiện tại.", field="new_name")
    if hamlet.ended_on is not None:
        raise RuleViolation("Thôn, tổ dân phố này đã sáp nhập; không thể đổi tên.")
    event = UnitEvent(unit_type="hamlet", unit_id=hamlet.id, kind="rename", old_name=hamlet.name, new_name=new_name,
                      effective_on=on, decision=nfc(decision), commune_id=hamlet.commune_id)
    hamlet.name = new_name
    db.session.add(event)
    return event


def merge_hamlets(sources: list[Hamlet], new_name: str, kind: HamletKind, code: str, on: date,
                  decision: str) -> Hamlet:
    """Merge two or more hamlets of one commune into a new one; the sources end on `on`."""
    if len(sources) < 2:
        raise RuleViolation("Cần chọn ít nhất hai thôn, tổ dân phố để sáp nhập.", field="sources")
    communes = {h.commune_id for h in sources}
    if len(communes) != 1:
        raise RuleViolation("Chỉ sáp nhập các thôn, tổ dân phố trong cùng một xã.", field="sources")
    if any(h.ended_on is not None for h in sources):
        raise RuleViolation("Có thôn, tổ dân phố đã sáp nhập trước đó.", field="sources")
    if db.session.scalar(sa.select(Hamlet.id).where(Hamlet.code == code)):
        raise RuleViolation(f"Mã {code} đã được dùng.", field="code")
    target = Hamlet(commune_id=sources[0].commune_id, code=code, name=nfc(new_name), kind=kind)
    db.session.add(target)
    db.session.flush()
    source_ids = [h.id for h in sources]
    chapters = db.session.scalars(sa.select(Chapter).where(Chapter.hamlet_id.in_(source_ids))).all()
    db.session.add(Chapter(hamlet_id=target.id, name=f"Chi bộ {kind.label.lower()} {target.name}",
                           official_members=sum(c.official_members for c in chapters),
                           probationary_members=sum(c.probationary_members for c in chapters)))
    _renumber_clashing_households(source_ids)
    db.session.execute(sa.update(Household).where(Household.hamlet_id.in_(source_ids)).values(hamlet_id=target.id))
    db.session.execute(sa.update(Person).where(Person.hamlet_id.in_(source_ids)).values(hamlet_id=target.id))
    for hamlet in sources:
        hamlet.ended_on = on
        hamlet.merged_into_id = target.id
        db.session.add(UnitEvent(unit_type="hamlet", unit_id=hamlet.id, kind="merge", old_name=hamlet.name,
                                 new_name=target.name, successor_id=target.id, effective_on=on,
                                 decision=nfc(decision), commune_id=hamlet.commune_id))
    return target


def _renumber_clashing_households(source_ids: list[int]) -> None:
    """Household numbers are unique per hamlet: prefix clashing numbers with the old hamlet's code."""
    rows = db.session.execute(sa.select(Household.id, Household.number, Hamlet.code)
                              .join(Hamlet, Household.hamlet_id == Hamlet.id)
                              .where(Household.hamlet_id.in_(source_ids))).all()
    seen: set[str] = set()
    for household_id, number, hamlet_code in rows:
        if number in seen:
            db.session.execute(sa.update(Household).where(Household.id == household_id)
                               .values(number=f"{hamlet_code}-{number}"[:20]))
        seen.add(number)
