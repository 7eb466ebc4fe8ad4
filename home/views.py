"""`/`: each role's home is its to-do list (issue 16). The approving authority: requests waiting for its decision;
the commune committee: the pre-election checklist of each hamlet, then the election-day state; the commune party
committee: congresses to prepare, exceptions to file, remediation falling due; the district office: communes behind
schedule. The others (observer, admin) see the district overview; a polling team goes to its hamlet's poll."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from core.access import any_user, declared_access, user_district_id
from core.accounts import Role
from core.models import District, current_term
from core.vietnamese import vietnam_today
from election.overview import overview_context
from extensions import db
from home import service
from home.items import (
    STEP_LABELS,
    STEP_STATES,
    approver_items,
    commune_progress,
    congresses_to_prepare,
    exceptions_to_file,
    ordered_checklists,
    ordered_communes,
    remediation_falling_due,
)

bp = Blueprint("home", __name__)

TODO_ROLES = (Role.APPROVING_AUTHORITY, Role.COMMUNE_COMMITTEE, Role.PARTY_COMMITTEE, Role.DISTRICT_OFFICE)


def _may_use(endpoint: str) -> bool:
    """Whether the reader's role passes the access declared on `endpoint` (an action is offered only then)."""
    access = declared_access(endpoint)
    return access is not None and (access.public or current_user.role in access.roles)


@bp.get("/")
@any_user
def index():
    if current_user.role == Role.POLLING_TEAM and current_user.hamlet_id:
        return redirect(url_for("election.hamlet_election", hamlet_id=current_user.hamlet_id))
    district_id = user_district_id()
    term = current_term(district_id) if district_id else None
    if current_user.role not in TODO_ROLES or term is None:
        return render_template("election/index.html", **overview_context())
    today = vietnam_today()
    context = {"term": term, "today": today, "step_states": STEP_STATES, "step_labels": STEP_LABELS,
               "role": current_user.role.value, "district": db.session.get(District, district_id)}
    if current_user.role == Role.APPROVING_AUTHORITY:
        context["requests"] = approver_items(service.waiting_requests(current_user, term), today)
    elif current_user.role == Role.COMMUNE_COMMITTEE:
        _board, rows = service.board_rows(current_user.commune_id)
        checklists = service.checklists(term, rows, today, _may_use)
        context["checklists"] = ordered_checklists(c for c in checklists if not c.facts.poll_started)
        context["ready"] = sum(c.ready for c in checklists)
        context["hamlets"] = len(rows)
        context["days"] = service.day_states(term, [r for r in rows if service.started(r)], _may_use)
    elif current_user.role == Role.PARTY_COMMITTEE:
        context["congresses"] = congresses_to_prepare(service.chapters_with_chief(term))
        context["to_file"] = exceptions_to_file(service.candidacies_needing_exception(term), today)
        context["plans"] = remediation_falling_due(service.unmet_plans(), today)
    else:
        data, rows = service.board_rows()
        checklists = service.checklists(term, rows, today, _may_use)
        grouped = service.by_commune(checklists, rows)
        names = {c["id"]: c["name"] for c in data["communes"]}
        context["communes"] = ordered_communes(commune_progress(cid, names[cid], grouped.get(cid, []))
                                               for cid in names)
        context["board"] = {c["id"]: c for c in data["communes"]}
        context["plans"] = remediation_falling_due(service.unmet_plans(), today)
    return render_template("home/index.html", **context)

