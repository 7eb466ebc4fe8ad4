"""Benchmark: the targets dashboard on province-scale demo data (≈1,800 hamlets). Target: < 1 s per request.

    .venv/bin/python bench/dashboard.py [--database postgresql+psycopg://…] [--repeat 5]

Seeds the province demo (demo.seed.seed_demo(scale="province")) into a fresh database (a temporary
SQLite file by default), then times, as the district office of Bình Sơn and as the admin of every
district in turn: GET /chapters/dashboard, the list behind a figure, the targets API, and the bare fact
building over all districts of the province (load_facts + compute_targets).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not __package__:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app import create_app  # noqa: E402
from core.vietnamese import vietnam_today  # noqa: E402
from extensions import db


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up (template compilation, first connection)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="dantin-bench-")
    uri = args.database or f"sqlite:///{workdir}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False, "TESTING": True,
                      "SERVER_NAME": "localhost", "ENV_NAME": "test"})
    with app.app_context():
        from chapters.targets import load_facts
        from core.accounts import Role, User
        from core.models import District, Hamlet, Position, current_term
        from demo.seed import seed_demo

        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        seed_demo(scale="province", password="bench-password", progress=False)
        print(f"seeded province demo in {time.perf_counter() - start:.1f} s: "
              f"{db.session.scalar(db.select(db.func.count(Hamlet.id)))} hamlets, "
              f"{db.session.scalar(db.select(db.func.count(Position.id)))} positions")
        office = db.session.scalar(db.select(User).where(User.role == Role.DISTRICT_OFFICE).limit(1))
        admin = db.session.scalar(db.select(User).where(User.role == Role.ADMIN).limit(1))
        districts = db.session.scalars(db.select(District).order_by(District.id)).all()
        client = app.test_client()

        def login(user: User) -> None:
            client.post("/logout")
            response = client.post("/login", data={"username": user.username, "password": "bench-password"})
            assert response.status_code == 302, f"login failed for {user.username}"

        def get(url: str):
            def run() -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            return run

        login(office)
        results = [("district office: /chapters/dashboard (Bình Sơn)", _time(get("/chapters/dashboard"), args.repeat)),
                   ("district office: list behind chief_is_member",
                    _time(get("/chapters/dashboard/list?key=chief_is_member"), args.repeat))]
        if admin is not None:
            login(admin)
            slowest = (0.0, "")
            for district in districts:
                median, _ = _time(get(f"/chapters/dashboard?district_id={district.id}"), 1)
                slowest = max(slowest, (median, district.name))
            results.append((f"admin: slowest district dashboard ({slowest[1]})", (slowest[0], slowest[0])))

        def province_facts() -> None:
            for district in districts:
                term = current_term(district.id)
                load_facts(district.id, term, vietnam_today()).figures()

        results.append((f"all {len(districts)} districts: load_facts + compute_targets",
                        _time(province_facts, args.repeat)))
        for label, (median, worst) in results:
            print(f"{label:70s} median {median * 1000:7.1f} ms   max {worst * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
