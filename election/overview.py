"""The district overview (the term, its R-V2 timeline, the communes): election.index at /overview, and the home
page of the roles without a to-do list (observer, admin; home.views)."""
from __future__ import annotations

from typing import Any

from flask_login import current_user

from core.access import scope_communes, scope_hamlets, user_district_id
from core.calendar import election_timeline, milestone_state
from core.models import Commune, District, Hamlet, Term, current_term
from core.vietnamese import vietnam_today
from extensions import db


def timeline(term: Term) -> list[tuple]:
    """The term's R-V2 milestones with the day each was done and its state."""
    done = {"decision": term.decision_done_on, "team": term.team_done_on, "notice": term.notice_done_on}
    return [(m, done[m.key], milestone_state(m, done[m.key], vietnam_today())) for m in election_timeline(term.election_day)]


def overview_context() -> dict[str, Any]:
    """What templates/election/index.html shows, within the reader's scope."""
    district_id = user_district_id()
    district = db.session.get(District, district_id) if district_id else None
    term = current_term(district_id) if district_id else None
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    counts = dict(db.session.execute(
        scope_hamlets(db.select(Hamlet.commune_id, db.func.count(Hamlet.id)).join(Commune), Hamlet, Commune)
        .group_by(Hamlet.commune_id)).tuples().all())
    own_hamlet = db.session.get(Hamlet, current_user.hamlet_id) if current_user.hamlet_id else None
    return {"district": district, "term": term, "communes": communes, "hamlet_counts": counts,
            "timeline": timeline(term) if term else [], "own_hamlet": own_hamlet}
