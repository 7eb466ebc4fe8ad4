"""Who may use the ballot pages, the scoped loaders, and what a user outside a ballot's scope may learn of it."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from ballots.scanning import ScanPoll, scan_poll
from ballots.verification import Verification
from core.access import reaches
from core.accounts import Role

READERS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM, Role.OBSERVER, Role.APPROVING_AUTHORITY)
PRINTERS = (Role.COMMUNE_COMMITTEE,)
ACCOUNTANTS = (Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM)


def scoped(result: Verification) -> Verification:
    """Hide which hamlet a genuine ballot belongs to from a user outside that hamlet's scope."""
    poll = result.poll
    if poll is None:
        return result
    commune = poll.hamlet.commune
    if reaches(current_user, district_id=commune.district_id, commune_id=commune.id, hamlet_id=poll.hamlet_id):
        return result
    return Verification(ok=False, code="out_of_scope", message=_("Phiếu không thuộc phạm vi của bạn."),
                        message_en="The ballot is outside your scope.", ballot=None, poll=None, test=result.test)


def load_scan_poll(poll_id: int) -> ScanPoll:
    """The poll a scan is for (the lean read of record_scan's path), authorised like load_poll."""
    poll = scan_poll(poll_id)
    if poll is None or not reaches(current_user._get_current_object(), district_id=poll.district_id,
                                   commune_id=poll.commune_id, hamlet_id=poll.hamlet_id):
        abort(404)
    return poll
