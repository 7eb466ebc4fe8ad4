"""Who may use the chapter pages and the targets dashboard, and the scoped loaders."""
from __future__ import annotations

from chapters.models import Congress
from chapters.supervision import SupervisionAssignment
from core.access import authorise_commune, authorise_hamlet
from core.accounts import Role
from core.models import Chapter
from extensions import db

RECORDERS = (Role.PARTY_COMMITTEE,)  # the chapter / commune party committee records the congress
APPROVERS = (Role.DISTRICT_OFFICE,)  # R-P5: the higher committee's approval, entered by the district office
READERS = (Role.PARTY_COMMITTEE, Role.DISTRICT_OFFICE, Role.APPROVING_AUTHORITY, Role.OBSERVER)


def load_chapter(chapter_id: int) -> Chapter:
    chapter = db.get_or_404(Chapter, chapter_id)
    authorise_hamlet(chapter.hamlet)
    return chapter


def load_congress(congress_id: int) -> Congress:
    congress = db.get_or_404(Congress, congress_id)
    authorise_hamlet(congress.chapter.hamlet)
    return congress


DASHBOARD_READERS = (Role.DISTRICT_OFFICE, Role.APPROVING_AUTHORITY, Role.OBSERVER, Role.PARTY_COMMITTEE)

# 59-KH/HU §2.7: the district office records supervision and commendations; the commune reads its own (read-only).
SUPERVISION_KEEPERS = (Role.DISTRICT_OFFICE,)
SUPERVISION_READERS = (Role.DISTRICT_OFFICE, Role.APPROVING_AUTHORITY, Role.OBSERVER, Role.PARTY_COMMITTEE,
                       Role.COMMUNE_COMMITTEE)


def load_assignment(assignment_id: int) -> SupervisionAssignment:
    assignment = db.get_or_404(SupervisionAssignment, assignment_id)
    authorise_commune(assignment.commune)
    return assignment
