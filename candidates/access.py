"""Who may act on candidacies beyond the role check of the route (R-X1: who decides an exception)."""
from __future__ import annotations

from core.accounts import Role, User
from core.models import Commune

# Who sees the candidate pages (read); commune-scoped roles only see their commune (core.access).
READERS = (Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE, Role.APPROVING_AUTHORITY, Role.PARTY_COMMITTEE,
           Role.OBSERVER)
# Who registers candidates and confirms the official list (in their own commune).
LIST_EDITORS = (Role.COMMUNE_COMMITTEE,)
# Who files exception requests (the commune party committee, R-X1).
FILERS = (Role.PARTY_COMMITTEE,)
# Who follows remediation for the district (59-KH/HU: the Organisation–Interior office monitors).
MONITORS = (Role.DISTRICT_OFFICE, Role.APPROVING_AUTHORITY)


def may_decide_exception(user: User, commune: Commune) -> bool:
    """R-X1: the approving authority of the commune's jurisdiction, at the level the district configures.

    District.approver_level "district": an approving-authority user scoped to that district (and to no
    commune); "commune": an approving-authority user scoped to that very commune. Admins always may. Nobody
    else may decide, in particular not the commune committee or party committee that prepared the request.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.APPROVING_AUTHORITY:
        return False
    level = commune.district.approver_level or "district"
    if level == "commune":
        return user.commune_id == commune.id
    return user.district_id == commune.district_id and user.commune_id is None


def may_file_exception(user: User, commune: Commune) -> bool:
    """R-X1: the commune party committee of that commune files (admins too)."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.PARTY_COMMITTEE and user.commune_id == commune.id


def may_edit_list(user: User, commune: Commune) -> bool:
    """The commune election committee of that commune registers candidates (admins too)."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.COMMUNE_COMMITTEE and user.commune_id == commune.id

# Candidate lists exist for up to three rounds: a district's rule set may allow a third vote
# (election.rules.ElectionRuleSet.voting_rounds; two by default).
CANDIDATE_LIST_ROUNDS = 3
