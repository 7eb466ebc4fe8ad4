"""Who may use the chapter pages and the targets dashboard, and the scoped loaders."""
from __future__ import annotations

from chapters.models import Congress
from core.access import authorise_hamlet
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
