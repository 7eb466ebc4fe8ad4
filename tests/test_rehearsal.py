"""`flask rehearsal`: the demo district's election Sunday under way, one hamlet at each step (demo.rehearsal)."""
from __future__ import annotations

from datetime import date

import click
import pytest
import sqlalchemy as sa

from core.models import District
from demo.rehearsal import STEPS, has_rehearsal, rehearse
from demo.seed import BINH_SON_NAME, seed_demo
from election.models import Poll, PollStatus
from extensions import db

PASSWORD = "mat-khau-dien-tap"
# The first-round poll's status each step leaves.
STATUS = {"ready": PollStatus.NOT_STARTED, "scanning": PollStatus.COUNTING, "voting": PollStatus.VOTING,
          "first_entry": PollStatus.FIRST_ENTRY, "differences": PollStatus.DIFFERENCES,
          "submitted": PollStatus.SUBMITTED, "validated": PollStatus.VALIDATED, "recognised": PollStatus.RECOGNISED,
          "revote": PollStatus.REVOTE, "distribution": PollStatus.VOTING}



def test_a_second_rehearsal_is_refused_or_skipped(app):
    seed_demo(scale="tiny", password=PASSWORD, progress=False)  # 8 hamlets: the first 8 steps
    district_id = db.session.scalar(sa.select(District.id).where(District.name == BINH_SON_NAME))
    assert not has_rehearsal(district_id)
    assert [r.step for r in rehearse(PASSWORD, progress=False)] == list(STEPS[:8])
    assert has_rehearsal(district_id)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Poll))
    with pytest.raises(Exception, match="đã có cuộc bầu"):
        rehearse(PASSWORD, progress=False)
    skipped = app.test_cli_runner().invoke(args=["rehearsal", "--if-empty", "--quiet"])
    assert skipped.exit_code == 0 and "không diễn tập lại" in skipped.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == count


def test_without_the_demo_seed_it_says_what_to_do_first(app):
    result = app.test_cli_runner().invoke(args=["rehearsal", "--quiet"])
    assert result.exit_code != 0 and "flask seed" in result.output


def test_never_on_data_the_demo_seed_did_not_make(app, make_district, make_term):
    make_term(make_district(BINH_SON_NAME))  # a real installation of Bình Sơn itself
    result = app.test_cli_runner().invoke(args=["rehearsal", "--quiet"])
    assert result.exit_code != 0 and "không do `flask seed` tạo" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0


def test_refused_where_the_clock_cannot_be_set_and_the_clock_is_given_back(app):
    """Each step is recorded on its day through the configured clock (demo.clock.on_day), which production ignores:
    there the rehearsal refuses rather than date the steps today; elsewhere it leaves the clock as it found it."""
    seed_demo(scale="tiny", password=PASSWORD, progress=False)
    app.config["ENV_NAME"] = "production"
    try:
        with pytest.raises(click.ClickException, match="FLASK_ENV_NAME=development"):
            rehearse(PASSWORD, progress=False)
    finally:
        app.config["ENV_NAME"] = "test"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0
    assert app.config["TODAY"] is None
    app.config["TODAY"] = date(2022, 5, 22)  # as make run and the browser tests set it
    rehearse(PASSWORD, progress=False)
    assert app.config["TODAY"] == date(2022, 5, 22)
