"""Benchmark: wall time of the demo seed at each scale, on a fresh SQLite file (or --database URL).

    .venv/bin/python bench/seed.py [--scale district province] [--database postgresql+psycopg://…]

Targets: district < 15 s, province < 2 min. With --database the schema there is dropped and recreated.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: make the repository root importable
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app import create_app  # noqa: E402
from demo.seed import seed_demo  # noqa: E402
from extensions import db

TARGET_SECONDS = {"district": 15, "province": 120}


def time_seed(scale: str, database: str | None) -> float:
    with tempfile.TemporaryDirectory() as directory:
        uri = database or "sqlite:///" + os.path.join(directory, "seed.sqlite")
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "ENV_NAME": "test"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            start = time.perf_counter()
            seed_demo(scale=scale, progress=False)
            elapsed = time.perf_counter() - start
            db.session.remove()
            db.engine.dispose()
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", nargs="+", default=["district", "province"], choices=sorted(TARGET_SECONDS))
    parser.add_argument("--database", help="database URL to use instead of a fresh SQLite file")
    args = parser.parse_args()
    for scale in args.scale:
        elapsed = time_seed(scale, args.database)
        verdict = "ok" if elapsed < TARGET_SECONDS[scale] else "SLOW"
        print(f"{scale:<9} {elapsed:6.1f} s  (target < {TARGET_SECONDS[scale]} s) {verdict}")


if __name__ == "__main__":
    main()
