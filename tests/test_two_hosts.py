"""Two app hosts, one PostgreSQL database: election Sunday in a district, every request alternating hosts.

The same functions as bench/province.py (which plays a province): the demo seed, election Sunday prepared in every
hamlet of 4 communes, two `gunicorn wsgi:app` instances with their own instance folders on loopback ports, a bounded
burst of check-ins and scans (some sent again through the other host, some to both hosts at once; a scan with the same
Idempotency-Key), count entries by two members (a third of the polls' both at once) and board reads; then no error,
every effect stored exactly once, the hosts agreeing, `flask audit verify` passing. Only on PostgreSQL
(TEST_DATABASE_URL), in a database of its own made and dropped here: the suite's database is emptied by other tests.
About 35 s (the district's seed about 12 of them), ~350 requests.
"""
from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from bench import province

PG_URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"),
    reason="two app hosts share one database server: runs only when TEST_DATABASE_URL is PostgreSQL (a SQLite file "
           "is one machine's)")

SCALE = "district"  # the tiny seed's hamlets have 10–20 households: about 100 requests in all
COMMUNES = 4  # of the district's 24: about 40 hamlets
REQUESTS = 300  # the day's work asked for; the repeats and the boards come on top
CLIENTS = 4
SECONDS = 60  # the burst stops by then in any case


@pytest.fixture
def own_database():
    """A database of its own beside the suite's (TEST_DATABASE_URL's name + _two_hosts), dropped afterwards."""
    url = sa.engine.make_url(PG_URL)
    name = f"{url.database}_two_hosts"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_two_hosts_play_election_sunday_without_lost_or_double_writes(own_database, tmp_path):
    began = time.perf_counter()
    province.seed(own_database, SCALE)
    plan = province.prepare(own_database, COMMUNES, REQUESTS)
    assert plan.communes == COMMUNES and {p.kind for p in plan.polls} == {"checkin", "scan", "entry"}
    with province.hosts(own_database, tmp_path, count=2, workers=2) as running:
        assert len({h.port for h in running}) == 2 and len({h.instance for h in running}) == 2
        record = province.play(plan, running, CLIENTS, SECONDS)
        print(province.report(plan, record, running))
        assert record.tasks_done == record.tasks_planned, "the burst ran out of time"
        # Both hosts served, request by request, and every kind of request was made, the repeats included.
        assert min(record.per_host.values()) >= record.requests // 3
        assert {"checkin", "checkin (again, other host)", "checkin (both hosts at once)", "scan",
                "scan (again, other host)", "scan (both hosts at once)", "count entry",
                "count entry (both members at once)", "board"} <= set(record.latencies)
        problems = province.check_all(own_database, plan, running, record)
    assert problems == []
    print(f"two-host test: {time.perf_counter() - began:.1f} s")

    # The checks can fail: a check-in lost after the day (deleted behind the app's back) is reported.
    checkin_poll = next(p for p in plan.polls if p.kind == "checkin" and record.checkins.get(p.poll_id))
    engine = sa.create_engine(own_database)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM check_in WHERE id = (SELECT min(id) FROM check_in WHERE poll_id = :p)"),
                           {"p": checkin_poll.poll_id})
    engine.dispose()
    assert any(f"poll {checkin_poll.poll_id}:" in problem for problem in province.check_database(own_database, plan,
                                                                                              record))
