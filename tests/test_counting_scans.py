"""Per-ballot counting: QR scans, refusals on the spot, idempotency, the derived aggregate, concurrency."""
from __future__ import annotations

import threading

import pytest
from factories_counting import client_for, print_ballots

from ballots.models import Ballot, BallotScan, BallotState
from ballots.qr import BallotPayload, encode_payload
from ballots.scanning import plan_scan, record_scan, scan_poll, write_scan
from core.accounts import SESSION_VERSION_KEY, ApiToken, User
from core.dbapi import request_connection, write_queue
from election.counting import poll_entries, poll_result
from election.models import CountMethod, PollStatus
from extensions import db


def post_scan(client, poll, text, choice="", reason="", key="k1"):
    return client.post(f"/polls/{poll.id}/scan", json={"text": text, "choice": choice, "reason": reason},
                       headers={"Idempotency-Key": key})


def test_scanning_counts_a_ballot_and_marks_it_counted(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    response = post_scan(client, setup.poll, texts[0], choice=setup.ids[0])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["valid"] is True and response.get_json()["totals"] == {"valid": 1, "invalid": 0}
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.serial == response.get_json()["serial"]))
    assert ballot.state == BallotState.COUNTED


def test_retried_scan_with_the_same_key_is_replayed_not_double_counted(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    assert post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="same").status_code == 201
    again = post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="same")
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert db.session.scalar(db.select(db.func.count(BallotScan.id))) == 1



def test_a_key_reused_for_another_ballot_or_choice_is_refused_not_replayed(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    assert post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="reused").status_code == 201
    for text, choice, reason in [(texts[1], setup.ids[0], ""),  # another ballot
                                 (texts[0], setup.ids[1], ""),  # the same ballot, another name kept
                                 (texts[0], "", "extra_marks"),  # the same ballot, now invalid
                                 ("not a ballot", setup.ids[0], "")]:
        response = post_scan(client, setup.poll, text, choice=choice, reason=reason, key="reused")
        assert response.status_code == 422, (text, choice, reason, response.get_json())
        assert "idempotency_key" in response.get_json()["errors"]
    again = post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="reused")  # the true retry
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert db.session.scalar(db.select(db.func.count(BallotScan.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Ballot.id)).where(Ballot.state == BallotState.COUNTED)) == 1


def test_already_scanned_ballot_is_refused(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="a")
    response = post_scan(client, setup.poll, texts[0], choice=setup.ids[1], key="b")
    assert response.status_code == 409 and response.get_json()["code"] == "already_counted"


def test_forged_ballot_is_refused(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 2, issued=2)
    forged = texts[0][:-1] + ("A" if texts[0][-1] != "A" else "B")
    response = post_scan(client_for(app, setup.team_a), setup.poll, forged, choice=setup.ids[0])
    assert response.status_code == 409 and response.get_json()["code"] == "bad_signature"
    other_key = encode_payload(BallotPayload("ABCDEFGH", setup.hamlet.id, "0123456789"), b"not-the-secret")
    response = post_scan(client_for(app, setup.team_a), setup.poll, other_key, choice=setup.ids[0], key="k2")
    assert response.status_code == 409


def test_ballot_of_another_hamlet_is_refused(app, election):
    first = election(households=10, present=8)
    second = election(households=10, present=8, commune=first.hamlet.commune, hamlet_name="Phước Thiện")
    foreign = print_ballots(second.poll, 1, issued=1)[0]
    response = post_scan(client_for(app, first.committee), first.poll, foreign, choice=first.ids[0])
    assert response.status_code == 409 and response.get_json()["code"] == "foreign"


def test_test_ballot_is_refused(app, election):
    setup = election(households=10, present=8)
    test_text = print_ballots(setup.poll, 1, test=True)[0]
    response = post_scan(client_for(app, setup.team_a), setup.poll, test_text, choice=setup.ids[0])
    assert response.status_code == 409 and response.get_json()["code"] == "test_ballot"


def test_invalid_ballot_with_r_b1_reason(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    response = post_scan(client, setup.poll, texts[0], reason="too_many_kept")
    assert response.status_code == 201 and response.get_json()["valid"] is False
    assert response.get_json()["reason"] == "too_many_kept"
    bad = post_scan(client, setup.poll, texts[1], reason="both_boxes", key="k2")  # only for one candidate
    assert bad.status_code == 422


def test_scans_are_aggregated_into_an_entry_and_second_entry_matches(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    choices = [setup.ids[0]] * 6 + [setup.ids[1]]
    for i, choice in enumerate(choices):
        assert post_scan(client, setup.poll, texts[i], choice=choice, key=f"k{i}").status_code == 201
    assert post_scan(client, setup.poll, texts[7], reason="extra_marks", key="k7").status_code == 201
    response = client.post(f"/polls/{setup.poll.id}/scan/finish", data={"ballots_issued": 8, "acknowledged": "y",
                                                                        "version": setup.poll.version})
    assert response.status_code == 302
    [entry] = poll_entries(setup.poll)
    assert entry.method == CountMethod.PER_BALLOT
    assert (entry.ballots_returned, entry.valid_ballots, entry.invalid_ballots) == (8, 7, 1)
    assert entry.votes == {setup.ids[0]: 6, setup.ids[1]: 1}
    # scanning is closed once the scans became an entry
    assert post_scan(client, setup.poll, texts[8], choice=setup.ids[0], key="k8").status_code == 422
    data = {"version": setup.poll.version, "ballots_issued": 8, "ballots_returned": 8, "valid_ballots": 7,
            "invalid_ballots": 1, f"votes_{setup.ids[0]}": 6, f"votes_{setup.ids[1]}": 1, "acknowledged": "y"}
    client_for(app, setup.team_b).post(f"/polls/{setup.poll.id}/count", data=data)
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED
    assert poll_result(setup.poll).outcome == "elected"  # 6 of 10 households


def test_scan_page_renders_for_phones(app, election):
    setup = election(households=10, present=8, names=("Lê Văn Đức",))
    page = client_for(app, setup.team_a).get(f"/polls/{setup.poll.id}/scan").get_data(as_text=True)
    assert "/static/scan_ballots.js" in page and "Đồng ý" in page and 'name="viewport"' in page
    assert "BarcodeDetector" in client_for(app, setup.team_a).get("/static/scan_ballots.js").get_data(as_text=True)


def test_a_read_code_is_checked_before_a_name_is_tapped_and_nothing_is_written(app, election):
    from core.audit import AuditEntry

    first = election(households=10, present=8)
    second = election(households=10, present=8, commune=first.hamlet.commune, hamlet_name="Phước Thiện")
    texts = print_ballots(first.poll, 3, issued=3)
    foreign = print_ballots(second.poll, 1, issued=1)[0]
    client = client_for(app, first.committee)
    check = lambda text: client.post(f"/polls/{first.poll.id}/scan/check", json={"text": text})  # noqa: E731
    audited = db.session.scalar(db.select(db.func.count(AuditEntry.id)))

    genuine = check(texts[0])
    assert genuine.status_code == 200 and genuine.get_json()["ok"] is True
    assert genuine.get_json()["serial"] in texts[0]
    forged = check(texts[1][:-1] + ("A" if texts[1][-1] != "A" else "B"))
    assert forged.status_code == 409 and forged.get_json()["code"] == "bad_signature"
    assert check(foreign).get_json()["code"] == "foreign"
    # Checking wrote nothing: the same ballot still counts once, then is refused as already counted.
    assert db.session.scalar(db.select(db.func.count(BallotScan.id))) == 0
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == audited
    assert post_scan(client, first.poll, texts[0], choice=first.ids[0]).status_code == 201
    again = check(texts[0])
    assert again.status_code == 409 and again.get_json()["code"] == "already_counted"


def test_api_checks_a_code_with_the_poll_s_scope(app, election):
    setup = election(households=10, present=8)
    other = election(households=10, present=8, hamlet_name="Phước Thiện")  # another commune
    texts = print_ballots(setup.poll, 2, issued=2)
    record, token = ApiToken.issue(setup.team_a, "thử")
    db.session.add(record)
    db.session.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/polls/{setup.poll.id}/scans/check", json={"text": texts[0]}).status_code == 401
    ok = client.post(f"/api/v1/polls/{setup.poll.id}/scans/check", json={"text": texts[0]}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    assert client.post(f"/api/v1/polls/{other.poll.id}/scans/check", json={"text": texts[0]},
                       headers=headers).status_code == 404
    assert client.post(f"/api/v1/polls/{setup.poll.id}/scans/check", json=["x"], headers=headers).status_code == 422


def test_api_scan_requires_idempotency_key_and_token(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 3, issued=3)
    record, token = ApiToken.issue(setup.team_a, "thử") if hasattr(ApiToken, "issue") else (None, None)
    if record is None:
        pytest.skip("no token factory")
    db.session.add(record)
    db.session.commit()
    client = app.test_client()
    url = f"/api/v1/polls/{setup.poll.id}/scans"
    assert client.post(url, json={"text": texts[0], "choice": setup.ids[0]}).status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(url, json={"text": texts[0], "choice": setup.ids[0]}, headers=headers).status_code == 422
    headers["Idempotency-Key"] = "x1"
    assert client.post(url, json={"text": texts[0], "choice": setup.ids[0]}, headers=headers).status_code == 201
    assert client.post(url, json={"text": texts[0], "choice": setup.ids[0]}, headers=headers).status_code == 200


def sign_in(session, user_id: int) -> None:
    """A session as the login page leaves it (core.accounts.load_user compares the user's session version)."""
    session["_user_id"] = str(user_id)
    session[SESSION_VERSION_KEY] = db.session.get(User, user_id).session_version


def _concurrently(app, work, n: int) -> list:
    """Run work(i) in n threads, each in its own app context (own session and connection)."""
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_scans_of_the_same_ballot_count_it_once(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    users = [setup.team_a.id, setup.team_b.id, setup.committee.id, setup.team_a.id]
    poll_id = setup.poll.id

    def scan(i: int) -> int:
        from core.accounts import User
        from election.models import Poll

        client = app.test_client()
        with client.session_transaction() as session:
            sign_in(session, users[i])
            session["_fresh"] = True
        response = client.post(f"/polls/{poll_id}/scan", json={"text": texts[0], "choice": setup.ids[0]},
                               headers={"Idempotency-Key": f"dev-{i}"})
        del User, Poll
        return response.status_code

    codes = _concurrently(app, scan, 4)
    assert sorted(codes).count(201) == 1 and all(c in (201, 409) for c in codes), codes
    assert db.session.scalar(db.select(db.func.count(BallotScan.id))) == 1


def test_concurrent_retries_with_one_key_count_once(app, election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    poll_id, user_id = setup.poll.id, setup.team_a.id

    def scan(i: int) -> int:
        client = app.test_client()
        with client.session_transaction() as session:
            sign_in(session, user_id)
        return client.post(f"/polls/{poll_id}/scan", json={"text": texts[1], "choice": setup.ids[1]},
                           headers={"Idempotency-Key": "one-key"}).status_code

    codes = _concurrently(app, scan, 4)
    assert codes.count(201) == 1 and set(codes) <= {200, 201}, codes
    assert db.session.scalar(db.select(db.func.count(BallotScan.id))) == 1


def test_concurrent_second_entries_never_double_count(app, election):
    from election.counting import submit_entry
    from election.models import Figures

    setup = election(households=100, present=60)
    fig = Figures(60, 60, 60, 0, {setup.ids[0]: 51, setup.ids[1]: 9})
    submit_entry(setup.poll, setup.team_a, fig)
    db.session.commit()
    others = [setup.team_b.id, setup.committee.id, setup.team_b.id]
    poll_id, version = setup.poll.id, setup.poll.version

    def enter(i: int) -> int:
        client = app.test_client()
        with client.session_transaction() as session:
            sign_in(session, others[i])
        data = {"version": version, "ballots_issued": 60, "ballots_returned": 60, "valid_ballots": 60, "invalid_ballots": 0,
                f"votes_{setup.ids[0]}": 51, f"votes_{setup.ids[1]}": 9}
        return client.post(f"/polls/{poll_id}/count", data=data).status_code

    codes = _concurrently(app, enter, 3)
    db.session.expire_all()
    assert codes.count(302) >= 1 and set(codes) <= {302, 409, 200}, codes
    assert len(poll_entries(setup.poll)) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(
        db.select(BallotScan.id).subquery())) == 0
    assert setup.poll.status == PollStatus.SUBMITTED


def test_record_scan_requires_a_key(election):
    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 1, issued=1)
    from core.errors import RuleViolation

    with pytest.raises(RuleViolation):
        record_scan(scan_poll(setup.poll.id), setup.team_a, texts[0], setup.ids[0], "", "")


def test_finishing_waits_for_a_scan_in_flight_and_counts_it(app, election):
    """A scan not yet committed when the team finishes scanning is in the entry, never lost from it."""
    from ballots.scanning import finish_scanning
    from core.accounts import User
    from election.models import Poll

    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    for i in range(2):
        assert post_scan(client, setup.poll, texts[i], choice=setup.ids[0], key=f"early-{i}").status_code == 201
    poll_id, team_a, committee = setup.poll.id, setup.team_a.id, setup.committee.id
    scanned, order = threading.Event(), []

    def scan_slowly() -> None:  # the third ballot: written, then held uncommitted for a moment
        try:
            plan = plan_scan(scan_poll(poll_id), texts[2], setup.ids[1], "", "late")
            write_scan(plan, db.session.get(User, team_a))
            scanned.set()
            threading.Event().wait(0.4)
            order.append("scan committed")
            request_connection().commit()
        finally:
            scanned.set()

    def finish() -> None:
        scanned.wait(5)
        finish_scanning(db.session.get(Poll, poll_id), db.session.get(User, committee), 8, acknowledged=True)
        order.append("finished")
        db.session.commit()

    _in_parallel(app, scan_slowly, finish)
    assert order == ["scan committed", "finished"]
    db.session.expire_all()
    [entry] = poll_entries(setup.poll)
    assert (entry.ballots_returned, entry.valid_ballots) == (3, 3)
    assert entry.votes == {setup.ids[0]: 2, setup.ids[1]: 1}


def test_a_scan_arriving_while_scanning_finishes_is_refused_not_lost(app, election):
    """The other order: the entry is being written; the scan waits for it, then finds scanning closed."""
    from ballots.scanning import finish_scanning
    from core.accounts import User
    from election.models import Poll

    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 10, issued=8)
    client = client_for(app, setup.team_a)
    assert post_scan(client, setup.poll, texts[0], choice=setup.ids[0], key="first").status_code == 201
    poll_id, team_b, committee = setup.poll.id, setup.team_b.id, setup.committee.id
    finishing, results = threading.Event(), {}

    def finish() -> None:
        try:
            finish_scanning(db.session.get(Poll, poll_id), db.session.get(User, committee), 8, acknowledged=True)
            finishing.set()
            threading.Event().wait(0.4)
            db.session.commit()
        finally:
            finishing.set()

    def scan() -> None:
        finishing.wait(5)
        other = app.test_client()
        with other.session_transaction() as session:
            sign_in(session, team_b)
        results["scan"] = other.post(f"/polls/{poll_id}/scan", json={"text": texts[1], "choice": setup.ids[0]},
                                     headers={"Idempotency-Key": "second"})

    _in_parallel(app, finish, scan)
    assert results["scan"].status_code == 422, results["scan"].get_json()
    db.session.expire_all()
    [entry] = poll_entries(setup.poll)
    assert entry.ballots_returned == 1
    assert db.session.scalar(db.select(db.func.count(BallotScan.id))) == 1
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.serial == scan_serial(texts[1])))
    assert ballot.state == BallotState.PRINTED


def _in_parallel(app, *work) -> None:
    """Run each function in its own thread and app context (own session and connection), all at once."""
    def run(function) -> None:
        with app.app_context():
            try:
                function()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(w,)) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def scan_serial(text: str) -> str:
    from ballots.models import ballot_secret
    from ballots.qr import decode_payload

    return decode_payload(text, ballot_secret()).serial


def test_a_scan_writes_its_audit_entry_in_the_chain(app, election):
    from core.audit import AuditEntry, verify_chain

    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 3, issued=3)
    response = post_scan(client_for(app, setup.team_a), setup.poll, texts[0], choice=setup.ids[1], key="audited")
    assert response.status_code == 201
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "BallotScan"))
    assert entry.action == "create" and entry.record_id == str(response.get_json()["id"])
    assert (entry.user_id, entry.commune_id, entry.district_id) == (setup.team_a.id, setup.hamlet.commune_id,
                                                                    setup.hamlet.commune.district_id)
    assert response.get_json()["serial"] in entry.after and "An Phú" in entry.summary
    assert verify_chain().ok


def test_sqlite_write_queue_orders_writers_and_is_released(app):
    import fcntl

    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL queues writers on row locks")

    def free() -> bool:
        with open(db.engine.url.database + ".write-queue", "a+b") as other:  # another open file: excluded
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    with write_queue():
        assert not free()
    assert free()
    with pytest.raises(ZeroDivisionError), write_queue():
        raise ZeroDivisionError
    assert free()


def test_driver_level_statements_read_and_write_like_the_orm(app, election):
    """core.dbapi runs Core statements on the DBAPI cursor with the types' own processors: an enum, a
    boolean and a datetime written there read back through the ORM unchanged, and the other way round."""
    from ballots.scanning import scan_by_key

    setup = election(households=10, present=8)
    texts = print_ballots(setup.poll, 2, issued=2)
    assert post_scan(client_for(app, setup.team_a), setup.poll, texts[0], reason="extra_marks", key="typed").status_code == 201
    orm = db.session.scalar(db.select(BallotScan).where(BallotScan.idempotency_key == "typed"))
    direct = scan_by_key(setup.poll.id, "typed")
    assert (direct["valid"], direct["reason"], direct["at"], direct["serial"]) == (False, "extra_marks", orm.at, orm.serial)
    assert direct["valid"] is False and orm.valid is False
    polled = scan_poll(setup.poll.id)
    assert polled.status is PollStatus.COUNTING and polled.label == setup.poll.label
