"""Files in the database (core.storage): two app hosts with their own instance folders on one database see each
other's roll upload in preview and signed minutes, and share the signed-in session and its revocation; the instance
folders stay empty."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, _config
from factories_ballots import csv_bytes, roll_rows, upload
from factories_counting import UserClient, enter_twice, figures
from flask_migrate import downgrade, upgrade
from PIL import Image

from app import create_app
from core import storage
from core.storage import StoredFile
from core.vietnamese import utcnow
from election.models import MinutesUpload, VoterRoll
from election.recognition import minutes_original
from election.service import UPLOAD_MAX_AGE, keep_upload, load_upload
from extensions import db


def _png(size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture
def other_host(app, tmp_path):
    """A second application on the same database with its own instance folder, as a second app host would be."""
    other = create_app(_config(app.config["SQLALCHEMY_DATABASE_URI"]), instance_path=str(tmp_path / "host-b"))
    yield other
    with other.app_context():
        db.engine.dispose()  # its connections closed before the fixture empties the database


def _signed_in(host, user) -> UserClient:
    client = UserClient(host.test_client())
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def _same_session(source: UserClient, host) -> UserClient:
    """A client of `host` with the session cookie another host set (the proxy may send the next request anywhere)."""
    name = host.config["SESSION_COOKIE_NAME"]
    client = UserClient(host.test_client())
    client.set_cookie(name, source.get_cookie(name, domain="localhost").value, domain="localhost")
    return client


def test_two_hosts_share_uploads_in_preview_signed_minutes_and_sessions(app, other_host, ready, election, tmp_path):
    folders = [Path(app.instance_path), Path(other_host.instance_path)]
    assert folders[0] != folders[1]
    # The roll: uploaded on host A, previewed and imported on host B, by the same signed-in session.
    setup = ready()
    host_a = _signed_in(app, setup.committee)
    host_b = _same_session(host_a, other_host)
    response, token = upload(host_a, setup.hamlet, csv_bytes(roll_rows(7)), "danh-sach.csv")
    assert response.status_code == 200 and token
    preview = host_b.get(f"/hamlets/{setup.hamlet.id}/roll/import/{token}")
    assert preview.status_code == 200 and token in preview.get_data(as_text=True)
    imported = host_b.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}",
                           data={"households_note": "Danh sách thử nghiệm, khác sổ hộ của thôn."})
    assert imported.status_code == 302 and imported.location.endswith(f"/hamlets/{setup.hamlet.id}/roll")
    db.session.expire_all()
    assert db.session.scalar(db.select(VoterRoll.entry_count).where(VoterRoll.hamlet_id == setup.hamlet.id)) == 7
    assert db.session.scalar(db.select(db.func.count(StoredFile.id))
                             .where(StoredFile.kind == storage.ROLL_UPLOAD)) == 0  # gone with the import
    # A second click on host A: the preview is gone everywhere (409: imported a moment ago).
    again = host_a.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"version": 0})
    assert again.status_code == 409

    # The signed minutes: uploaded by the team on host B, served to the commune committee on host A.
    poll_setup = election(households=310, present=216)
    enter_twice(poll_setup, figures(poll_setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    polyglot = _png() + b"<html><script>alert(1)</script></html>"
    team_b = _signed_in(other_host, poll_setup.team_a)
    sent = team_b.post(f"/polls/{poll_setup.poll.id}/minutes/upload", data={"file": (io.BytesIO(polyglot), "bb.png")},
                       content_type="multipart/form-data")
    assert sent.status_code == 302
    db.session.expire_all()
    record = db.session.scalar(db.select(MinutesUpload))
    assert record.size == len(polyglot) and minutes_original(record) == polyglot
    committee_a = _signed_in(app, poll_setup.committee)
    served = committee_a.get(f"/polls/{poll_setup.poll.id}/minutes/file")
    assert served.status_code == 200 and served.mimetype == "image/png" and b"<html" not in served.data
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert Image.open(io.BytesIO(served.data)).size == (60, 40)
    committee_b = _same_session(committee_a, other_host)
    assert committee_b.get(f"/polls/{poll_setup.poll.id}/minutes/file").data == served.data
    # Logging out on one host ends the session on every host (User.session_version, in the database).
    assert committee_a.post("/logout").status_code == 302
    assert committee_b.get(f"/polls/{poll_setup.poll.id}/minutes/file").status_code == 302  # to the login page

    assert [file for folder in folders for file in _files(folder)] == []  # nothing another host would need


def test_a_kept_upload_expires_and_is_purged_by_the_next_one(app, ready):
    setup = ready()
    token = keep_upload(b"a;b\n", "a.csv", setup.hamlet.id, setup.term.id, setup.committee.id)
    db.session.commit()
    assert load_upload(token, setup.hamlet.id, setup.committee.id) == (b"a;b\n", "a.csv", setup.term.id)
    assert load_upload(token, setup.hamlet.id, setup.team.id) is None  # another user's upload is not theirs
    kept = db.session.scalar(db.select(StoredFile).where(StoredFile.key == token))
    assert kept.size == 4 and kept.expires_at - kept.created_at == UPLOAD_MAX_AGE
    kept.expires_at = utcnow() - timedelta(seconds=1)  # six hours later
    db.session.commit()
    assert load_upload(token, setup.hamlet.id, setup.committee.id) is None
    keep_upload(b"c;d\n", "c.csv", setup.hamlet.id, setup.term.id, setup.committee.id)
    db.session.commit()
    assert db.session.scalars(db.select(StoredFile.filename)).all() == ["c.csv"]  # the abandoned one purged


def test_a_failed_minutes_upload_leaves_no_file(app, election, monkeypatch):
    """The file is written in the transaction of its record: when the record is not committed, neither is the file."""
    from election import poll_views

    setup = election(households=310, present=216)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    team = _signed_in(app, setup.team_a)

    def fail(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(poll_views, "act", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    sent = team.post(f"/polls/{setup.poll.id}/minutes/upload", data={"file": (io.BytesIO(_png()), "bb.png")},
                     content_type="multipart/form-data")
    assert sent.status_code == 500
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(StoredFile.id))) == 0
    assert db.session.scalar(db.select(db.func.count(MinutesUpload.id))) == 0


def test_the_migration_takes_in_the_minutes_kept_in_the_instance_folder_and_gives_them_back(tmp_path):
    """0017_stored_files: the signed minutes an earlier release kept under instance/minutes/ move into stored_file (a
    missing one is skipped); the downgrade writes them back."""
    before = "0017_stored_files-1"  # the revision before it, whichever that is
    instance = tmp_path / "instance"
    folder = instance / "minutes"
    folder.mkdir(parents=True)
    (folder / "1-aa.pdf").write_bytes(b"%PDF-1.4 signed")
    (folder / "1-bb.png").write_bytes(b"\x89PNG as sent")
    (folder / "1-bb.served.png").write_bytes(b"\x89PNG clean")
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'files.sqlite'}", "TESTING": True,
                           "ENV_NAME": "test", "SECRET_KEY": "test-secret"}, instance_path=str(instance))
    with migrated.app_context():
        upgrade(revision=before)
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for i, name in enumerate(["1-aa.pdf", "1-bb.png", "1-gone.pdf"], start=1):
                connection.execute(sa.text(
                    "INSERT INTO minutes_upload (id, poll_id, stored_name, original_name, content_type, size, sha256, "
                    "uploaded_at, minutes_version) VALUES (:i, 1, :name, :name, 'application/pdf', 1, '', "
                    "'2022-05-22 10:00:00', 1)"), {"i": i, "name": name})
            connection.commit()
        upgrade(revision="0017_stored_files")
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT kind, key, data, size, created_at FROM stored_file "
                                              "ORDER BY kind, key")).all()
        assert [(kind, key, bytes(data), size) for kind, key, data, size, _ in rows] == [
            ("minutes", "1-aa.pdf", b"%PDF-1.4 signed", 15), ("minutes", "1-bb.png", b"\x89PNG as sent", 12),
            ("minutes_served", "1-bb.png", b"\x89PNG clean", 10)]
        assert {str(row[4])[:19] for row in rows} == {"2022-05-22 10:00:00"}  # when they were uploaded
        for path in folder.iterdir():
            path.unlink()
        downgrade(revision=before)
        assert {path.name: path.read_bytes() for path in folder.iterdir()} == {
            "1-aa.pdf": b"%PDF-1.4 signed", "1-bb.png": b"\x89PNG as sent", "1-bb.served.png": b"\x89PNG clean"}
