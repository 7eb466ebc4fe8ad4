"""The Alembic revisions build exactly the schema the models describe."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from extensions import db


def test_migrations_are_up_to_date_with_the_models(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite'}", "TESTING": True,
                      "ENV_NAME": "test"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()


def test_one_post_enum_rewrites_the_congress_posts_and_back(tmp_path):
    """0004: nominees and congress ballots stored "secretary"… before core.enums.Post; after it, "chapter_secretary"…
    like a Position (rows inserted bare, foreign keys off: only the post column matters here)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'posts.sqlite'}", "TESTING": True,
                      "ENV_NAME": "test"})
    old = ["secretary", "deputy_secretary", "committee_member"]
    new = ["chapter_secretary", "chapter_deputy_secretary", "chapter_committee_member"]

    def posts(table: str) -> list[str]:
        with db.engine.connect() as connection:
            return list(connection.scalars(sa.text(f"SELECT post FROM {table} ORDER BY id")))

    with app.app_context():
        upgrade(revision="0003")
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for i, post in enumerate(old, start=1):
                connection.execute(sa.text("INSERT INTO nominee (id, congress_id, person_id, post, source, note) "
                                           "VALUES (:i, 1, :i, :post, 'chapter', '')"), {"i": i, "post": post})
                connection.execute(sa.text(
                    "INSERT INTO congress_ballot (id, congress_id, post, round_no, seats, valid_ballots, "
                    "invalid_ballots, votes, recorded_at) VALUES (:i, 1, :post, 1, 1, 0, 0, '{}', '2025-06-01')"),
                    {"i": i, "post": post})
            connection.commit()
        upgrade()
        assert posts("nominee") == posts("congress_ballot") == new
        downgrade(revision="0003")
        assert posts("nominee") == posts("congress_ballot") == old
