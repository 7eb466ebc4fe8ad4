"""The Alembic revisions build exactly the schema the models describe."""
from __future__ import annotations

import json

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


def test_the_single_audit_chain_stays_verifiable_as_the_legacy_chain(tmp_path):
    """0016: the entries written before the chains per commune keep their chain ("legacy"), which verifies as it
    did; new entries start their commune's chain; the installation's anchor records the legacy chain's head."""
    from datetime import datetime

    from core.audit import GENESIS, LEGACY, AuditEntry, anchor, chain_hash, hashed_fields, verify_chain

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'audit.sqlite'}", "TESTING": True,
                      "ENV_NAME": "test"})
    with app.app_context():
        upgrade(revision="0015_supervision")
        prev = GENESIS
        with db.engine.begin() as connection:
            for seq in range(1, 4):
                row = {"seq": seq, "at": datetime(2022, 5, 22, 7, seq), "user_id": None, "actor": "system",
                       "action": "event", "record_type": "Seed", "record_id": str(seq), "district_id": 1,
                       "commune_id": seq % 2 or None, "summary": f"bản ghi {seq}", "before": "", "after": "{}"}
                row["hash"] = chain_hash(prev, hashed_fields(row))
                connection.execute(sa.text(
                    "INSERT INTO audit_entry (seq, at, user_id, actor, action, record_type, record_id, district_id, "
                    "commune_id, summary, before, after, prev_hash, hash) VALUES (:seq, :at, :user_id, :actor, "
                    ":action, :record_type, :record_id, :district_id, :commune_id, :summary, :before, :after, "
                    ":prev_hash, :hash)"), {**row, "prev_hash": prev})
                prev = row["hash"]
            connection.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": prev})
        upgrade()
        report = verify_chain()
        assert report.ok and report.checked == 3 and report.chains == 1
        assert set(db.session.scalars(sa.select(AuditEntry.chain))) == {LEGACY}
        anchor([])
        db.session.commit()
        top = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "anchor")).one()
        assert json.loads(top.after)["chains"]["legacy"] == {"hash": prev, "seq": 3}
        assert verify_chain().ok
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.seq == 2, AuditEntry.chain == LEGACY)
                           .values(summary="sửa"))
        db.session.commit()
        assert not verify_chain().ok
