"""Voter-roll pages (import with preview, list, edit, export, print) and the election-day check-in page."""
from __future__ import annotations

import io
from datetime import date

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import allow, sees_full_citizen_id, shown_birth_date, shown_citizen_id
from core.accounts import Role
from core.audit import describe
from core.citizen_id import citizen_id_problem, masked
from core.documents import OfficialDocument, Signature
from core.enums import Sex
from core.errors import RuleViolation
from core.models import Term
from core.sheet_layout import SheetChoiceNeeded
from core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, SheetSpec, export_filename, workbook_bytes
from core.transactions import STALE_MESSAGE, act, audit_export, check_version, commit, expected_version
from core.vietnamese import format_number, nfc, vietnam_today
from election import service
from election.access import CHECKIN_ROLES, ROLL_EDITORS, ROLL_READERS, load_entry, load_hamlet_term, poll_round
from election.forms import EntryForm, RollUploadForm
from election.models import CONFIRMATION_NOTE_MIN, CheckIn, Poll, VoterEntry, VoterRoll, registered_households
from election.rolls import (
    FIELD_LABELS,
    TEMPLATE_HEADERS,
    RollFileError,
    RollRules,
    full_years,
    read_rows,
    short_fingerprint,
    write_csv_template,
)
from election.service import SEARCH_LIMIT, mark_checked_in, poll_of, search_entries, search_total, undo_checked_in
from election.views import bp
from extensions import db

PREVIEW_PROBLEMS_SHOWN = 2000  # the page lists this many; the count says how many more there are
SEX_LABELS = {"": "", **{sex.value: sex.label for sex in Sex}}  # Vietnamese, as files print them; pages |tr


@bp.get("/hamlets/<int:hamlet_id>/roll")
@allow(*ROLL_READERS)
def roll_show(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll = service.roll_for(term, hamlet)
    q = request.args.get("q", "").strip()
    page = None
    if roll is not None:
        stmt = service.entry_search(db.select(VoterEntry).where(VoterEntry.roll_id == roll.id), q)
        page = db.paginate(stmt.order_by(VoterEntry.household_no, VoterEntry.id),
                           per_page=current_app.config["PER_PAGE"], error_out=False)
    lock = service.import_lock_reason(term, hamlet) if roll else None
    return render_template("election/roll_show.html", hamlet=hamlet, term=term, roll=roll, page=page, q=q,
                           lock=lock, short=short_fingerprint, sex_labels=SEX_LABELS,
                           can_edit=current_user.role in (*ROLL_EDITORS, Role.ADMIN), note_min=CONFIRMATION_NOTE_MIN)


@bp.post("/hamlets/<int:hamlet_id>/roll/households/confirm")
@allow(Role.COMMUNE_COMMITTEE)
def roll_confirm_households(hamlet_id: int):
    """The commune committee confirms, with a reason, a roll that came to differ from the register (entries added or
    removed one by one, or a register changed since the import): the R-V5/R-V7 denominator."""
    hamlet, term = load_hamlet_term(hamlet_id)
    roll = service.roll_for(term, hamlet) or abort(404)

    def work() -> None:
        check_version(roll)
        register = registered_households([hamlet.id]).get(hamlet.id, 0)
        roll.confirm_households(register, request.form.get("households_note", ""), current_user.id,
                                current_user.role)
        describe(f"Xác nhận số hộ danh sách cử tri {hamlet.full_name} ({roll.entry_count} hộ, sổ hộ {register} hộ): "
                 f"{roll.households_note}"[:300])

    try:
        act(None, work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã xác nhận tổng số hộ của thôn."), "success")
    return redirect(url_for("election.roll_show", hamlet_id=hamlet.id))


@bp.route("/hamlets/<int:hamlet_id>/roll/import", methods=["GET", "POST"])
@allow(*ROLL_EDITORS)
def roll_import(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    lock = service.import_lock_reason(term, hamlet)
    form = RollUploadForm()
    if lock is None and form.validate_on_submit():
        upload = form.file.data
        data, filename = upload.read(), upload.filename or "roll"
        try:
            table = read_rows(filename, data, limits=hamlet.commune.district.import_limits())
        except SheetChoiceNeeded as choice:
            token = _keep(data, filename, hamlet, term)
            return _render_choice(hamlet, term, choice, token, filename)
        except RollFileError as error:
            form.file.errors.append(error.message)
        else:
            preview = service.check_roll(table, term, hamlet, current_user.commune_id)
            token = _keep(data, filename, hamlet, term)
            return _render_preview(hamlet, term, table, preview, token, filename)
    return render_template("election/roll_import.html", hamlet=hamlet, term=term, form=form, lock=lock,
                           headers=TEMPLATE_HEADERS, labels=FIELD_LABELS)


def _keep(data: bytes, filename: str, hamlet, term) -> str:
    """Keep the upload in the database until the import (the next request may reach another app host)."""
    token = service.keep_upload(data, filename, hamlet.id, term.id, current_user.id)
    commit()
    return token


def _render_choice(hamlet, term, choice: SheetChoiceNeeded, token: str, filename: str):
    return render_template("election/roll_import_choose.html", hamlet=hamlet, term=term, choice=choice, token=token,
                           filename=filename)


def _render_preview(hamlet, term, table, preview, token, filename):
    problems = preview.problems[:PREVIEW_PROBLEMS_SHOWN]
    lines_with_problems = len({p.line for p in preview.problems})
    return render_template("election/roll_import_preview.html", hamlet=hamlet, term=term, table=table,
                           preview=preview, problems=problems, hidden=len(preview.problems) - len(problems),
                           lines_with_problems=lines_with_problems, token=token, filename=filename,
                           sample=preview.rows[:20], labels=FIELD_LABELS, sex_labels=SEX_LABELS,
                           roll_version=service.roll_version(term, hamlet),
                           difference=service.household_check(hamlet, preview),
                           may_confirm=current_user.role == Role.COMMUNE_COMMITTEE,
                           note_min=CONFIRMATION_NOTE_MIN)


def _kept_upload(hamlet, term, token: str):
    """(bytes, file name) of this user's kept upload for the hamlet, or a redirect saying why there is none: gone,
    or the roll locked since (printed ballots, households checked in), checked before the file is read."""
    kept = service.load_upload(token, hamlet.id, current_user.id)
    if kept is None or kept[2] != term.id:
        flash(_("Tệp đã tải lên không còn (quá hạn hoặc đã nhập); hãy tải lên lại."), "danger")
        return None, redirect(url_for("election.roll_import", hamlet_id=hamlet.id))
    lock = service.import_lock_reason(term, hamlet)
    if lock is not None:
        flash(lock, "danger")
        return None, redirect(url_for("election.roll_show", hamlet_id=hamlet.id))
    return kept[:2], None


@bp.get("/hamlets/<int:hamlet_id>/roll/import/<token>")
@allow(*ROLL_EDITORS)
def roll_preview(hamlet_id: int, token: str):
    """The preview of a kept upload, for the sheet the user chose (a workbook with several lists)."""
    hamlet, term = load_hamlet_term(hamlet_id)
    kept, refusal = _kept_upload(hamlet, term, token)
    if kept is None:
        return refusal
    data, filename = kept
    try:
        table = read_rows(filename, data, request.args.get("sheet") or None, hamlet.commune.district.import_limits())
    except SheetChoiceNeeded as choice:
        return _render_choice(hamlet, term, choice, token, filename)
    except RollFileError as error:
        flash(error.message, "danger")
        return redirect(url_for("election.roll_import", hamlet_id=hamlet.id))
    return _render_preview(hamlet, term, table, service.check_roll(table, term, hamlet, current_user.commune_id), token, filename)


@bp.post("/hamlets/<int:hamlet_id>/roll/import/<token>")
@allow(*ROLL_EDITORS)
def roll_commit(hamlet_id: int, token: str):
    hamlet, term = load_hamlet_term(hamlet_id)
    kept, refusal = _kept_upload(hamlet, term, token)
    if kept is None:
        expected = expected_version()
        if expected is not None and expected != service.roll_version(term, hamlet):
            abort(409, _(STALE_MESSAGE))  # the file was imported a moment ago: the second click of a double click
        return refusal
    data, filename = kept

    def work():
        # Checked again on the server from the kept bytes and the sheet previewed: nothing else from the browser.
        table = read_rows(filename, data, request.form.get("sheet") or None, hamlet.commune.district.import_limits())
        preview = service.check_roll(table, term, hamlet, current_user.commune_id)
        # The version previewed: a double click on "Nhập" (or a colleague's import since) answers 409. A roll whose
        # households differ from the register needs the commune committee's written reason (R-V5/R-V7 denominator).
        roll = service.replace_roll(term, hamlet, preview, filename, expected_version=expected_version(),
                                    households_note=request.form.get("households_note", ""), user=current_user)
        service.drop_upload(token)  # the kept file goes with the import, in its transaction
        return roll

    try:
        roll = act(None, work)  # replace_roll wrote the summary
    except (RollFileError, RuleViolation) as error:
        db.session.rollback()
        flash(error.message, "danger")
        if isinstance(error, RuleViolation) and error.field == "households_note":  # back to the preview, kept
            return redirect(url_for("election.roll_preview", hamlet_id=hamlet.id, token=token,
                                    sheet=request.form.get("sheet") or None))
        return redirect(url_for("election.roll_import", hamlet_id=hamlet.id))
    flash(_("Đã nhập %(n)s hộ vào danh sách cử tri. Mã kiểm tra: %(f)s", n=roll.entry_count,
            f=short_fingerprint(roll.fingerprint)), "success")
    return redirect(url_for("election.roll_show", hamlet_id=hamlet.id))


@bp.get("/roll-template.<fmt>")
@allow(*ROLL_EDITORS)
def roll_template(fmt: str):
    if fmt == "csv":
        return send_file(io.BytesIO(write_csv_template()), mimetype=CSV_MIMETYPE, as_attachment=True,
                         download_name="mau-danh-sach-cu-tri.csv")
    if fmt == "xlsx":
        return _xlsx_response(list(TEMPLATE_HEADERS), [], "mau-danh-sach-cu-tri.xlsx", title="Danh sách cử tri")
    abort(404)


def _xlsx_response(headers: list[str], rows: list[list], filename: str, title: str):
    # Citizen IDs as text: the leading zero stays; re-importing the export gives the same roll.
    data = workbook_bytes([SheetSpec(title, headers, rows, text_columns=(2,), widths=(10, 28, 18, 14, 10, 18, 30, 14),
                                     plain_columns=(3,))])
    return send_file(io.BytesIO(data), as_attachment=True, download_name=filename, mimetype=XLSX_MIMETYPE)


def _entries(roll: VoterRoll) -> list[VoterEntry]:
    return list(db.session.scalars(db.select(VoterEntry).where(VoterEntry.roll_id == roll.id)
                                   .order_by(VoterEntry.household_no, VoterEntry.id)))


def _birth(entry: VoterEntry) -> date | int | None:
    """The birth date as a date cell, or the year alone when only the year is known."""
    return entry.birth_date or entry.birth_year


@bp.get("/hamlets/<int:hamlet_id>/roll.xlsx")
@allow(*ROLL_READERS)
def roll_export(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll = service.roll_for(term, hamlet) or abort(404)
    headers = ["Số hộ", "Họ và tên", "Số định danh cá nhân (CCCD)", "Ngày sinh", "Giới tính", "Thôn/Tổ dân phố",
               "Địa chỉ"]
    rows = [[e.household_no, e.full_name, shown_citizen_id(e.citizen_id), shown_birth_date(_birth(e)),
             SEX_LABELS.get(e.sex, ""), hamlet.name, e.address] for e in _entries(roll)]
    if sees_full_citizen_id():
        audit_export(f"Xuất danh sách cử tri {hamlet.full_name} ({hamlet.commune.full_name}) ra Excel, đủ số định "
                     f"danh của {len(rows)} hộ", "VoterRoll", roll.id,
                     (hamlet.commune.district_id, hamlet.commune_id, hamlet.id))
    return _xlsx_response(headers, rows, export_filename("danh-sach-cu-tri", hamlet.code, vietnam_today(), "xlsx"),
                          title="Danh sách cử tri")


@bp.get("/hamlets/<int:hamlet_id>/roll.pdf")
@allow(*ROLL_READERS)
def roll_pdf(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll = service.roll_for(term, hamlet) or abort(404)
    commune = hamlet.commune
    doc = OfficialDocument(
        issuer_lines=[f"ỦY BAN NHÂN DÂN {commune.full_name.upper()}", f"TỔ BẦU CỬ {hamlet.full_name.upper()}"],
        place=commune.name, date=vietnam_today(), title="DANH SÁCH CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH",
        subtitle=f"Bầu cử trưởng {hamlet.name_in_text}, nhiệm kỳ {term.name} – "
                 f"ngày bầu cử {term.election_day:%d/%m/%Y}")
    doc.paragraph(f"Tổng số hộ gia đình: {format_number(roll.entry_count)} (mỗi hộ một người đại diện đi bầu).")
    # The roll is posted publicly: the citizen ID shows its last 4 digits only (Decree 13/2023/NĐ-CP), enough for
    # a voter to find their line; the fingerprint is checked against the stored roll, not recomputed from paper.
    entries = _entries(roll)
    addresses = any(e.address for e in entries)  # a roll without addresses prints no empty column
    doc.table(["STT", "Số hộ", "Họ và tên", "Năm sinh", "Giới tính", "Số định danh"] + (["Địa chỉ"] if addresses else []),
              [[i, e.household_no, e.full_name, e.birth_date.year if e.birth_date else (e.birth_year or ""),
                SEX_LABELS.get(e.sex, ""), masked(e.citizen_id)] + ([e.address] if addresses else [])
               for i, e in enumerate(entries, 1)],
              col_widths=[0.6, 0.9, 2.6, 0.9, 0.9, 1.4] + ([2.6] if addresses else []),
              align=["right", "center", "left", "center", "center", "center", "left"][:7 if addresses else 6],
              compact=True)
    doc.paragraph(f"Danh sách gồm {format_number(roll.entry_count)} hộ gia đình, được niêm yết công khai tại nhà văn "
                  f"hóa {hamlet.name_in_text}.")
    doc.signatures([Signature("TỔ TRƯỞNG", authority="TM. TỔ BẦU CỬ")])
    fingerprint = short_fingerprint(roll.fingerprint)
    doc.footer(f"Mã kiểm tra danh sách: {fingerprint} · {roll.entry_count} hộ")
    doc.qr(f"DANHSACH:{roll.fingerprint.upper()}")
    buffer = io.BytesIO()
    doc.build(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/pdf", download_name=f"danh-sach-cu-tri-{hamlet.code}.pdf")


def _entry_problems(form: EntryForm, roll: VoterRoll, term: Term, entry_id: int | None) -> bool:
    """Field errors for one entry (the same checks as the import, for one row); True when clean."""
    citizen_id = (form.citizen_id.data or "").strip()
    born = form.birth_date.data
    problem = citizen_id_problem(citizen_id, born or (date(form.birth_year.data, 1, 1) if form.birth_year.data
                                                      else None), form.sex.data or None)
    if problem:
        form.citizen_id.errors.append(problem.message)
    if born is None and form.birth_year.data is None:
        form.birth_date.errors.append(_("Cần ngày sinh hoặc năm sinh."))
    minimum = RollRules().min_voter_age  # R-V1: the representative is an adult on election day
    if born is not None and full_years(born, term.election_day) < minimum:
        form.birth_date.errors.append(_("Chưa đủ %(n)s tuổi vào ngày bầu cử (R-V1).", n=minimum))
    if born is None and form.birth_year.data and term.election_day.year - form.birth_year.data - 1 < minimum:
        form.birth_year.errors.append(_("Chỉ có năm sinh: không chắc đã đủ %(n)s tuổi; hãy ghi ngày sinh.",
                                        n=minimum))
    others = db.select(VoterEntry.id).where(VoterEntry.roll_id == roll.id, VoterEntry.id != (entry_id or 0))
    if db.session.scalar(others.where(VoterEntry.household_no == nfc(form.household_no.data))):
        form.household_no.errors.append(_("Số hộ này đã có trong danh sách (mỗi hộ một người đại diện, R-V1)."))
    if db.session.scalar(others.where(VoterEntry.citizen_id == citizen_id)):
        form.citizen_id.errors.append(_("Số định danh này đã có trong danh sách."))
    return not (form.citizen_id.errors or form.birth_date.errors or form.birth_year.errors
                or form.household_no.errors)


def _copy(form: EntryForm, entry: VoterEntry) -> None:
    entry.household_no = nfc(form.household_no.data)
    entry.full_name = nfc(form.full_name.data)
    entry.name_folded = service.fast_fold(entry.full_name)
    entry.citizen_id = form.citizen_id.data.strip()
    entry.birth_date = form.birth_date.data
    entry.birth_year = form.birth_date.data.year if form.birth_date.data else form.birth_year.data
    entry.sex = form.sex.data or ""
    entry.address = nfc(form.address.data)


@bp.route("/hamlets/<int:hamlet_id>/roll/entries/new", methods=["GET", "POST"])
@allow(*ROLL_EDITORS)
def roll_add_entry(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    form = EntryForm()
    if form.validate_on_submit():
        roll = service.roll_for(term, hamlet, create=True)
        if _entry_problems(form, roll, term, None):
            entry = VoterEntry(roll=roll)
            _copy(form, entry)
            describe(f"Thêm hộ {entry.household_no} ({entry.full_name}) vào danh sách cử tri {hamlet.full_name}")
            db.session.add(entry)
            service.refresh_roll(roll)
            commit()
            flash(_("Đã thêm."), "success")
            return redirect(url_for("election.roll_show", hamlet_id=hamlet.id))
    return render_template("election/roll_edit_entry.html", hamlet=hamlet, form=form, entry=None)


@bp.route("/hamlets/<int:hamlet_id>/roll/entries/<int:entry_id>", methods=["GET", "POST"])
@allow(*ROLL_EDITORS)
def roll_edit_entry(hamlet_id: int, entry_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll, entry = load_entry(hamlet, term, entry_id)
    form = EntryForm(obj=entry)
    if form.validate_on_submit() and _entry_problems(form, roll, term, entry.id):
        _copy(form, entry)
        describe(f"Sửa hộ {entry.household_no} trong danh sách cử tri {hamlet.full_name}")
        service.refresh_roll(roll)
        commit()
        flash(_("Đã lưu."), "success")
        return redirect(url_for("election.roll_show", hamlet_id=hamlet.id))
    return render_template("election/roll_edit_entry.html", hamlet=hamlet, form=form, entry=entry)


@bp.post("/hamlets/<int:hamlet_id>/roll/entries/<int:entry_id>/delete")
@allow(*ROLL_EDITORS)
def roll_delete_entry(hamlet_id: int, entry_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll, entry = load_entry(hamlet, term, entry_id)
    if db.session.scalar(db.select(CheckIn.id).where(CheckIn.entry_id == entry.id).limit(1)):
        flash(_("Hộ này đã nhận phiếu bầu; không thể xóa khỏi danh sách."), "danger")
        return redirect(url_for("election.roll_show", hamlet_id=hamlet.id))
    describe(f"Xóa hộ {entry.household_no} ({entry.full_name}) khỏi danh sách cử tri {hamlet.full_name}")
    db.session.delete(entry)
    service.refresh_roll(roll)
    commit()
    flash(_("Đã xóa."), "success")
    return redirect(url_for("election.roll_show", hamlet_id=hamlet.id))


@bp.get("/hamlets/<int:hamlet_id>/checkin")
@allow(*CHECKIN_ROLES)
def checkin(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    latest = Poll.latest_of(term.id, hamlet.id)
    if "round_no" not in request.args and latest is not None and latest.round_no != 1:
        # An old link without its round: the open round, never silently round 1 (issue 15).
        return redirect(url_for("election.checkin", hamlet_id=hamlet.id, round_no=latest.round_no))
    roll = service.roll_for(term, hamlet)
    poll = poll_of(term, hamlet, poll_round(), create=False)
    if poll is None:
        refusal = _("Vòng %(n)s chưa khai mạc bỏ phiếu: chưa ghi nhận nhận phiếu được.", n=poll_round())
    else:
        refusal = poll.check_in_refusal()
    return render_template("election/checkin.html", hamlet=hamlet, term=term, roll=roll, round_no=poll_round(),
                           turnout=service.turnout(poll, roll), poll=poll, refusal=refusal, open_poll=latest)


@bp.get("/hamlets/<int:hamlet_id>/checkin/search")
@allow(*CHECKIN_ROLES)
def checkin_search(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll = service.roll_for(term, hamlet)
    poll = poll_of(term, hamlet, poll_round(), create=False)
    q = request.args.get("q", "")
    items = search_entries(roll, poll, q)
    # total: every match, of which items are the first `limit` (the page says how many more, to type more)
    total = len(items) if len(items) < SEARCH_LIMIT else search_total(roll, q)
    return jsonify({"items": items, "total": total, "limit": SEARCH_LIMIT})


@bp.get("/hamlets/<int:hamlet_id>/checkin/turnout")
@allow(*CHECKIN_ROLES)
def checkin_turnout(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    return jsonify(service.turnout(poll_of(term, hamlet, poll_round(), create=False), service.roll_for(term, hamlet)).as_dict())


@bp.post("/hamlets/<int:hamlet_id>/checkin/<int:entry_id>")
@allow(*CHECKIN_ROLES)
def checkin_mark(hamlet_id: int, entry_id: int):
    try:
        answer = mark_checked_in(hamlet_id, entry_id, poll_round())
    except RuleViolation as error:  # the round is not voting: the phone's script shows the reason
        db.session.rollback()
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    commit()
    return jsonify(answer)


@bp.post("/hamlets/<int:hamlet_id>/checkin/<int:entry_id>/undo")
@allow(*CHECKIN_ROLES)
def checkin_undo(hamlet_id: int, entry_id: int):
    try:
        answer = undo_checked_in(hamlet_id, entry_id, poll_round())
    except RuleViolation as error:
        db.session.rollback()
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    commit()
    return jsonify(answer)
