"""Pages of the training package: courses, sessions, enrolment, attendance, closing, coverage, source pool."""
from __future__ import annotations

import io
import math
from collections.abc import Callable
from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core.access import (
    allow,
    load_person,
    reaches_person,
    scope_communes,
    sees_full_citizen_id,
    shown_birth_date,
    shown_citizen_id,
)
from core.accounts import Role
from core.api import people_filter
from core.audit import describe
from core.errors import RuleViolation
from core.i18n import tr
from core.models import Commune, District, Hamlet, Person, Position, Term, current_term
from core.sheet_layout import SheetChoiceNeeded
from core.spreadsheets import XLSX_MIMETYPE, SheetSpec, export_filename, workbook_bytes
from core.transactions import audit_export, commit
from core.vietnamese import vietnam_today
from extensions import db
from training.access import (
    EDITORS,
    READERS,
    home_district_id,
    load_course,
    load_session,
    may_edit,
    scope_courses,
    visible_enrolments,
)
from training.forms import (
    AttendanceImportForm,
    CloseCourseForm,
    CourseForm,
    EnrolFilterForm,
    SessionForm,
    SourcePoolForm,
)
from training.models import (
    Audience,
    Course,
    CourseKind,
    EnrolFilter,
    Enrolment,
    PoolKind,
    SourcePoolEntry,
    people_by_filter,
    training_facts,
)
from training.pdf import attendance_sheet as attendance_sheet_pdf, certificate as certificate_pdf
from training.rules import DEFAULT_MIN_ATTENDANCE_PERCENT, coverage as coverage_of, coverage_by_commune, gaps, percent
from training.sheets import AttendanceSheet, SheetError, read_attendance

bp = Blueprint("training", __name__, url_prefix="/training")


def post_labels(person_ids, shown: Callable[[str], str] = str) -> dict[int, str]:
    """person id -> their current posts (chức danh), one query; pages pass `shown=tr` (files keep Vietnamese)."""
    labels: dict[int, list[str]] = {}
    if person_ids:
        rows = db.session.execute(db.select(Position.person_id, Position.post).where(
            Position.person_id.in_(list(person_ids)), Position.ended_on.is_(None)).order_by(Position.id))
        for person_id, post in rows:
            labels.setdefault(person_id, []).append(shown(post.label))
    return {pid: ", ".join(values) for pid, values in labels.items()}


def _communes() -> list[Commune]:
    return db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()


def _back(course: Course):
    return redirect(url_for("training.show_course", course_id=course.id))


@bp.get("/")
@allow(*READERS)
def index():
    stmt = scope_courses(db.select(Course))
    if kind := request.args.get("kind"):
        if kind in {k.value for k in CourseKind}:
            stmt = stmt.where(Course.kind == kind)
    if term_id := request.args.get("term_id", type=int):
        stmt = stmt.where(Course.term_id == term_id)
    commune_arg = request.args.get("commune_id", "")
    if commune_arg == "district":
        stmt = stmt.where(Course.commune_id.is_(None))
    elif commune_arg.isdigit():
        stmt = stmt.where(Course.commune_id == int(commune_arg))
    page = db.paginate(stmt.order_by(Course.id.desc()), per_page=current_app.config["PER_PAGE"], error_out=False)
    ids = [c.id for c in page.items]
    enrolled = dict(db.session.execute(db.select(Enrolment.course_id, db.func.count(Enrolment.id))
                                       .where(Enrolment.course_id.in_(ids)).group_by(Enrolment.course_id)).tuples().all())
    terms = db.session.scalars(db.select(Term).where(Term.district_id == home_district_id())
                               .order_by(Term.starts_on.desc())).all()
    return render_template("training/index.html", page=page, enrolled=enrolled, terms=terms, communes=_communes(),
                           kinds=list(CourseKind), may_create=current_user.role in (Role.ADMIN, *EDITORS))


def _course_form(course: Course) -> CourseForm:
    form = CourseForm(obj=course)
    district_id = course.district_id or home_district_id()
    form.term_id.choices = [(t.id, t.name) for t in db.session.scalars(
        db.select(Term).where(Term.district_id == district_id).order_by(Term.starts_on.desc()))]
    if current_user.role == Role.COMMUNE_COMMITTEE:
        commune = db.session.get(Commune, current_user.commune_id)
        form.commune_id.choices = [(commune.id, commune.full_name)]
    else:
        form.commune_id.choices = [(0, _("Cấp huyện"))] + [
            (c.id, c.full_name) for c in db.session.scalars(db.select(Commune).where(
                Commune.district_id == district_id).order_by(Commune.name))]
    if request.method == "GET":
        form.commune_id.data = course.commune_id or 0
        form.posts.data = [p.value for p in course.posts]
        form.raises_theory_to.data = course.raises_theory_to.value if course.raises_theory_to else ""
        if course.id is None:
            term = current_term(district_id)
            form.term_id.data = term.id if term else None
    return form


@bp.route("/courses/new", methods=["GET", "POST"], defaults={"course_id": None})
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_course(course_id: int | None):
    if course_id is None:
        district_id = home_district_id()
        if district_id is None:
            abort(404)
        course = Course(district_id=district_id, kind=CourseKind.PRE_ELECTION, audience=Audience.ALL, capacity=50,
                        min_attendance_percent=DEFAULT_MIN_ATTENDANCE_PERCENT, target_posts="")
    else:
        course = load_course(course_id, edit=True)
        course.ensure_open()
    form = _course_form(course)
    if form.validate_on_submit():
        term = db.get_or_404(Term, form.term_id.data)
        if term.district_id != course.district_id:
            abort(404)
        commune_id = form.commune_id.data or None
        if current_user.role == Role.COMMUNE_COMMITTEE:
            commune_id = current_user.commune_id
        if commune_id is not None and db.session.get(Commune, commune_id).district_id != course.district_id:
            abort(404)
        if commune_id != course.commune_id and course.enrolments:
            form.commune_id.errors.append(_("Khóa học đã có học viên; không thể đổi đơn vị tổ chức."))
        elif course.enrolments and form.capacity.data < len(course.enrolments):
            form.capacity.errors.append(_("Sức chứa không thể nhỏ hơn số học viên đã ghi danh (%(n)s).",
                                          n=len(course.enrolments)))
        else:
            for name in ("name", "kind", "audience", "capacity", "min_attendance_percent", "organiser",
                         "signer_title", "signer_name", "note"):
                setattr(course, name, getattr(form, name).data)
            course.term_id = term.id
            course.commune_id = commune_id
            course.posts = form.posts.data or []
            course.raises_theory_to = form.raises_theory_to.data or None
            db.session.add(course)
            commit(f"Lưu khóa bồi dưỡng «{course.name}»")
            flash(_("Đã lưu khóa học."), "success")
            return _back(course)
    return render_template("training/edit_course.html", form=form, course=course)


@bp.get("/courses/<int:course_id>")
@allow(*READERS)
def show_course(course_id: int):
    course = load_course(course_id)
    enrolments = visible_enrolments(course)
    counts = course.attended_counts()
    results = {e.id: course.completion_of(counts.get(e.id, 0)) for e in enrolments}
    filter_form = EnrolFilterForm()
    filter_form.commune_id.choices = _filter_communes(course)
    close_form = CloseCourseForm(closed_on=course.last_day or vietnam_today())
    return render_template("training/show_course.html", course=course, enrolments=enrolments, results=results,
                           posts=post_labels({e.person_id for e in enrolments}, tr), editable=may_edit(course),
                           session_form=SessionForm(held_on=vietnam_today()), filter_form=filter_form,
                           close_form=close_form, percent=percent)


@bp.post("/courses/<int:course_id>/close")
@allow(*EDITORS)
def close_course(course_id: int):
    course = load_course(course_id, edit=True)
    form = CloseCourseForm()
    if not form.validate_on_submit():
        flash(_("Ngày kết thúc không hợp lệ."), "danger")
        return _back(course)
    try:
        result = course.close(form.closed_on.data)
    except RuleViolation as error:
        flash(error.message, "danger")
        return _back(course)
    summary = (f"Kết thúc khóa «{course.name}»: {len(result.completed)}/{len(course.enrolments)} học viên hoàn thành")
    if result.raised:
        summary += f"; nâng trình độ LLCT {len(result.raised)} người; {len(result.plans_met)} kế hoạch khắc phục đạt"
    commit(summary)
    flash(summary + ".", "success")
    return _back(course)


@bp.post("/courses/<int:course_id>/sessions")
@allow(*EDITORS)
def add_session(course_id: int):
    course = load_course(course_id, edit=True)
    form = SessionForm()
    if not form.validate_on_submit():
        flash(_("Buổi học cần có ngày hợp lệ."), "danger")
        return _back(course)
    try:
        course.add_session(form.held_on.data, form.place.data or "", form.trainer.data or "", form.topic.data or "")
    except RuleViolation as error:
        flash(error.message, "danger")
        return _back(course)
    commit(f"Thêm buổi học ngày {form.held_on.data:%d/%m/%Y} vào khóa «{course.name}»")
    flash(_("Đã thêm buổi học."), "success")
    return _back(course)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_session(session_id: int):
    session = load_session(session_id, edit=True)
    session.course.ensure_open()
    form = SessionForm(obj=session)
    if form.validate_on_submit():
        form.populate_obj(session)
        commit(f"Sửa buổi học ngày {session.held_on:%d/%m/%Y} của khóa «{session.course.name}»")
        flash(_("Đã lưu buổi học."), "success")
        return _back(session.course)
    return render_template("training/edit_session.html", form=form, session=session)


@bp.post("/sessions/<int:session_id>/delete")
@allow(*EDITORS)
def delete_session(session_id: int):
    session = load_session(session_id, edit=True)
    course = session.course
    course.remove_session(session)
    commit(f"Xóa buổi học ngày {session.held_on:%d/%m/%Y} của khóa «{course.name}»")
    flash(_("Đã xóa buổi học và điểm danh của buổi đó."), "success")
    return _back(course)


def _filter_communes(course: Course) -> list[tuple[int, str]]:
    if course.commune_id is not None:
        return [(course.commune_id, course.commune.full_name)]
    communes = db.session.scalars(db.select(Commune).where(Commune.district_id == course.district_id)
                                  .order_by(Commune.name)).all()
    return [(0, _("Toàn huyện"))] + [(c.id, c.full_name) for c in communes]


@bp.get("/courses/<int:course_id>/enrol")
@allow(*EDITORS)
def enrol(course_id: int):
    course = load_course(course_id, edit=True)
    q = request.args.get("q", "").strip()
    page = None
    if q:
        stmt = (db.select(Person).join(Hamlet, Person.hamlet_id == Hamlet.id).join(Commune)
                .where(Commune.district_id == course.district_id))
        if course.commune_id is not None:
            stmt = stmt.where(Hamlet.commune_id == course.commune_id)
        stmt = people_filter(stmt, q).order_by(Person.name_folded, Person.id)
        page = db.paginate(stmt, per_page=20, error_out=False)
    enrolled = {e.person_id for e in course.enrolments}
    filter_form = EnrolFilterForm()
    filter_form.commune_id.choices = _filter_communes(course)
    return render_template("training/enrol.html", course=course, q=q, page=page, enrolled=enrolled,
                           filter_form=filter_form)


@bp.post("/courses/<int:course_id>/enrol/<int:person_id>")
@allow(*EDITORS)
def enrol_person(course_id: int, person_id: int):
    course = load_course(course_id, edit=True)
    person = load_person(person_id)
    try:
        course.enrol(person, vietnam_today(), source="Ghi danh từng người")
    except RuleViolation as error:
        flash(error.message, "danger")
        return redirect(url_for("training.enrol", course_id=course.id, q=request.form.get("q", "")))
    commit(f"Ghi danh {person.full_name} vào khóa «{course.name}»")
    flash(_("Đã ghi danh %(name)s.", name=person.full_name), "success")
    return redirect(url_for("training.enrol", course_id=course.id, q=request.form.get("q", "")))


@bp.post("/courses/<int:course_id>/enrol-filter")
@allow(*EDITORS)
def enrol_filter(course_id: int):
    course = load_course(course_id, edit=True)
    form = EnrolFilterForm()
    form.commune_id.choices = _filter_communes(course)
    if not form.validate_on_submit():
        flash(_("Bộ lọc không hợp lệ."), "danger")
        return _back(course)
    key = EnrolFilter(form.filter.data)
    people = people_by_filter(course, key, form.commune_id.data or None)
    try:
        added, skipped = course.enrol_many(people, vietnam_today(), source=key.label[:120])
    except RuleViolation as error:
        flash(error.message, "danger")
        return _back(course)
    commit(f"Ghi danh {len(added)} người vào khóa «{course.name}» theo nhóm: {key.label}")
    message = _("Đã ghi danh %(n)s người.", n=len(added))
    if skipped:
        message += " " + _("%(n)s người đã có trong khóa học.", n=skipped)
    if not people:
        message = _("Không có ai thuộc nhóm này.")
    flash(message, "success" if added else "warning")
    return _back(course)


@bp.post("/enrolments/<int:enrolment_id>/withdraw")
@allow(*EDITORS)
def withdraw(enrolment_id: int):
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    course = load_course(enrolment.course_id, edit=True)
    try:
        course.withdraw(enrolment)
    except RuleViolation as error:
        flash(error.message, "danger")
        return _back(course)
    commit(f"Rút {enrolment.person.full_name} khỏi khóa «{course.name}»")
    flash(_("Đã rút tên khỏi khóa học."), "success")
    return _back(course)


@bp.get("/sessions/<int:session_id>/attendance")
@allow(*READERS)
def attendance(session_id: int):
    session = load_session(session_id)
    enrolments = visible_enrolments(session.course)
    return render_template("training/attendance.html", session=session, course=session.course,
                           enrolments=enrolments, present=session.present_ids(),
                           editable=may_edit(session.course) and not session.course.closed)


@bp.post("/sessions/<int:session_id>/attendance/<int:enrolment_id>")
@allow(*EDITORS)
def mark_attendance(session_id: int, enrolment_id: int):
    session = load_session(session_id, edit=True)
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    present = request.form.get("present") == "1"
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        session.mark(enrolment, present)
    except RuleViolation as error:
        if wants_json:
            return jsonify({"error": error.message}), 409
        flash(error.message, "danger")
        return redirect(url_for("training.attendance", session_id=session.id))
    state = _("có mặt") if present else _("vắng")
    commit(f"Điểm danh {enrolment.person.full_name} {state}, buổi {session.held_on:%d/%m/%Y}")
    if wants_json:
        return jsonify({"enrolment_id": enrolment.id, "present": present, "present_count": len(session.present_ids())})
    return redirect(url_for("training.attendance", session_id=session.id) + f"#e{enrolment.id}")


@bp.route("/sessions/<int:session_id>/import", methods=["GET", "POST"])
@allow(*EDITORS)
def import_attendance(session_id: int):
    session = load_session(session_id, edit=True)
    course = session.course
    form = AttendanceImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            sheet = read_attendance(upload.filename or "", upload.read(), form.sheet.data or None,
                                    course.district.import_limits())
        except SheetChoiceNeeded as choice:
            errors.append(choice.message + " " + _("Chọn lại tệp và trang tính bên dưới rồi nhập lại."))
            form.sheet.choices = [(name, name) for name in choice.names]
            sheet = AttendanceSheet([])
        except SheetError as error:
            errors.append(str(error))
            sheet = AttendanceSheet([])
        rows = sheet.rows
        by_citizen = {e.person.citizen_id: e for e in course.enrolments}
        marks: dict[int, tuple[Enrolment, bool]] = {}
        for row in rows:
            enrolment = by_citizen.get(row.citizen_id)
            if not row.citizen_id:
                errors.append(_("Dòng %(n)s: thiếu số định danh.", n=row.line))
            elif enrolment is None:
                errors.append(_("Dòng %(n)s: số định danh %(id)s không có trong danh sách học viên của khóa.",
                                n=row.line, id=row.citizen_id))
            elif enrolment.id in marks:
                errors.append(_("Dòng %(n)s: số định danh %(id)s bị lặp.", n=row.line, id=row.citizen_id))
            elif row.present is None:
                errors.append(_("Dòng %(n)s: cột Có mặt cần ghi x/1/có hoặc để trống/0/vắng.", n=row.line))
            else:
                marks[enrolment.id] = (enrolment, row.present)
        if not errors and not marks:
            errors.append(_("Tệp không có dòng điểm danh nào."))
        if not errors:  # all or nothing
            try:
                for enrolment, present in marks.values():
                    session.mark(enrolment, present)
            except RuleViolation as error:
                db.session.rollback()
                flash(error.message, "danger")
                return _back(course)
            describe(f"Nhập điểm danh buổi {session.held_on:%d/%m/%Y} khóa «{course.name}» từ tệp "
                     f"({len(marks)} dòng)")
            commit()
            flash(_("Đã nhập điểm danh %(n)s học viên.", n=len(marks)), "success")
            for note in sheet.notes:
                flash(note, "info")
            if sheet.footer is not None:
                flash(_("Đã bỏ qua %(n)s dòng cuối tệp (từ dòng %(line)s: «%(text)s»): tổng cộng, chữ ký.",
                        n=sheet.footer.count, line=sheet.footer.first_line, text=sheet.footer.first_text), "info")
            return redirect(url_for("training.attendance", session_id=session.id))
    if not form.sheet.choices:
        del form.sheet  # one list in the file (or none read yet): nothing to choose
    return render_template("training/import_attendance.html", form=form, session=session, course=course,
                           errors=errors)


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _xlsx(data: bytes, filename: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


@bp.get("/sessions/<int:session_id>/sheet.pdf")
@allow(*READERS)
def attendance_sheet(session_id: int):
    session = load_session(session_id)
    people = [e.person for e in visible_enrolments(session.course)]
    data = attendance_sheet_pdf(session, people, post_labels({p.id for p in people}))
    return _pdf(data, f"diem-danh-{session.course_id}-{session.id}.pdf")


@bp.get("/enrolments/<int:enrolment_id>/certificate.pdf")
@allow(*READERS)
def certificate(enrolment_id: int):
    enrolment = db.get_or_404(Enrolment, enrolment_id)
    course = load_course(enrolment.course_id)
    if current_user.commune_id is not None and enrolment.person.hamlet.commune_id != current_user.commune_id:
        abort(404)
    if enrolment.completed_on is None:
        abort(409, _("Học viên chưa hoàn thành khóa học; chưa thể cấp giấy chứng nhận."))
    attended = course.attended_counts().get(enrolment.id, 0)
    return _pdf(certificate_pdf(enrolment, attended, enrolment.completed_on), f"chung-nhan-{enrolment.id}.pdf")


@bp.get("/courses/<int:course_id>/enrolments.xlsx")
@allow(*READERS)
def export_enrolments(course_id: int):
    course = load_course(course_id)
    enrolments = visible_enrolments(course)
    counts = course.attended_counts()
    posts = post_labels({e.person_id for e in enrolments})
    rows = []
    for n, e in enumerate(enrolments, start=1):
        result = course.completion_of(counts.get(e.id, 0))
        status = ("Hoàn thành" if e.completed_on else "Không hoàn thành") if course.closed else "Đang học"
        rows.append([n, e.person.full_name, shown_birth_date(e.person.birth_date), shown_citizen_id(e.person.citizen_id),
                     posts.get(e.person_id, ""), e.person.hamlet.name, e.person.hamlet.commune.name,
                     f"{result.attended}/{result.sessions}", status])
    headers = ["STT", "Họ và tên", "Ngày sinh", "Số định danh", "Chức danh", "Thôn, TDP", "Xã", "Số buổi dự",
               "Kết quả"]
    if sees_full_citizen_id() and rows:
        audit_export(f"Xuất danh sách học viên khóa «{course.name}» ra Excel, đủ số định danh của {len(rows)} người",
                     "Course", course.id, (course.district_id, course.commune_id, None))
    return _xlsx(workbook_bytes([SheetSpec("Học viên", headers, rows, text_columns=(3,), plain_columns=(2,))]),
                 export_filename("hoc-vien", f"khoa-{course.id}", vietnam_today(), "xlsx"))


def _coverage_data():
    """Term, commune filter, communes in view, per-commune and total coverage, gaps for the filter."""
    district_id = home_district_id()
    term = None
    if term_id := request.args.get("term_id", type=int):
        term = db.session.get(Term, term_id)
        if term is None or term.district_id != district_id:
            abort(404)
    term = term or (current_term(district_id) if district_id else None)
    commune_id = current_user.commune_id or request.args.get("commune_id", type=int)
    communes = [c for c in _communes() if c.district_id == district_id]
    if commune_id is not None and commune_id not in {c.id for c in communes}:
        abort(404)
    if term is None:
        return SimpleNamespace(term=None, district_id=district_id, communes=communes, commune_id=commune_id)
    facts = training_facts(district_id, term, commune_id=current_user.commune_id)
    by_commune = coverage_by_commune(facts)
    rows = [(c, by_commune.get(c.id) or coverage_of([], c.id)) for c in communes]
    chosen = [f for f in facts if commune_id is None or f.commune_id == commune_id]
    return SimpleNamespace(term=term, district_id=district_id, communes=communes, commune_id=commune_id, rows=rows,
                           total=coverage_of(facts), gaps=gaps(chosen))


@bp.get("/coverage")
@allow(*READERS)
def coverage():
    data = _coverage_data()
    page = people = posts = None
    if data.term is not None:
        per_page = current_app.config["PER_PAGE"]
        number = max(request.args.get("page", 1, type=int) or 1, 1)
        total = len(data.gaps)
        pages = max(math.ceil(total / per_page), 1)
        items = data.gaps[(number - 1) * per_page:number * per_page]
        page = SimpleNamespace(items=items, page=number, pages=pages, total=total, has_prev=number > 1,
                               has_next=number < pages, prev_num=number - 1, next_num=number + 1)
        ids = [g.person_id for g in items]
        people = {p.id: p for p in db.session.scalars(db.select(Person).where(Person.id.in_(ids))
                                                      .options(joinedload(Person.hamlet)))}
        posts = post_labels(ids, tr)
    terms = db.session.scalars(db.select(Term).where(Term.district_id == data.district_id)
                               .order_by(Term.starts_on.desc())).all()
    return render_template("training/coverage.html", data=data, page=page, people=people, posts=posts,
                           terms=terms, percent=percent, commune_names={c.id: c.name for c in data.communes})


@bp.get("/coverage.xlsx")
@allow(*READERS)
def export_coverage():
    data = _coverage_data()
    if data.term is None:
        abort(404, _("Chưa có nhiệm kỳ hiện hành."))
    headers = ["Xã, thị trấn", "Người HĐKCT", "Đã bồi dưỡng", "Tỷ lệ", "Trưởng thôn", "Đã bồi dưỡng theo chức danh",
               "Tỷ lệ", "Bí thư chi bộ", "Đã bồi dưỡng theo chức danh", "Tỷ lệ"]

    def line(label: str, cov) -> list:
        out: list = [label]
        for figure in cov.figures:
            out += [figure.denominator, figure.numerator, figure.share]
        return out

    summary = [line(c.full_name, cov) for c, cov in data.rows] + [line("Tổng cộng", data.total)]
    people = {p.id: p for p in db.session.scalars(db.select(Person).where(
        Person.id.in_([g.person_id for g in data.gaps])).options(joinedload(Person.hamlet).joinedload(Hamlet.commune)))}
    posts = post_labels(list(people))
    missing = [[n, people[g.person_id].full_name, shown_citizen_id(people[g.person_id].citizen_id), posts.get(g.person_id, ""),
                people[g.person_id].hamlet.name, people[g.person_id].hamlet.commune.name, "; ".join(g.reasons)]
               for n, g in enumerate(data.gaps, start=1)]
    book = workbook_bytes([
        SheetSpec("Tỷ lệ bồi dưỡng", headers, summary, percent_columns=(3, 6, 9)),
        SheetSpec("Chưa bồi dưỡng", ["STT", "Họ và tên", "Số định danh", "Chức danh", "Thôn, TDP", "Xã", "Còn thiếu"],
                  missing, text_columns=(2,)),
    ])
    # Named after the commune when filtered to one (a commune user always is), else after the district.
    code = next(c.code for c in data.communes if c.id == data.commune_id) if data.commune_id else \
        db.get_or_404(District, data.district_id).code
    if sees_full_citizen_id() and missing:
        audit_export(f"Xuất báo cáo bồi dưỡng ra Excel, đủ số định danh của {len(missing)} người chưa bồi dưỡng",
                     "District", data.district_id, (data.district_id, data.commune_id, None))
    return _xlsx(book, export_filename("bao-phu-boi-duong", code, vietnam_today(), "xlsx"))


@bp.route("/source-pool", methods=["GET", "POST"])
@allow(*READERS)
def source_pool():
    form = SourcePoolForm()
    editable = current_user.role in (Role.ADMIN, *EDITORS)
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit():
            person = db.session.scalar(db.select(Person).where(Person.citizen_id == form.citizen_id.data))
            if person is None or not reaches_person(person):
                form.citizen_id.errors.append(_("Không tìm thấy người có số định danh này trong phạm vi của bạn."))
            elif db.session.scalar(db.select(SourcePoolEntry.id).where(SourcePoolEntry.person_id == person.id,
                                                                       SourcePoolEntry.kind == form.kind.data)):
                form.citizen_id.errors.append(_("Người này đã có trong nguồn với loại này."))
            else:
                kind = PoolKind(form.kind.data)
                db.session.add(SourcePoolEntry(person=person, kind=kind, note=form.note.data or "",
                                               recorded_on=vietnam_today()))
                if kind != PoolKind.OTHER:
                    person.source_pool = kind.value
                commit(f"Thêm {person.full_name} vào nguồn cán bộ ({kind.label})")
                flash(_("Đã thêm %(name)s vào nguồn.", name=person.full_name), "success")
                return redirect(url_for("training.source_pool"))
    stmt = (db.select(SourcePoolEntry).join(Person).join(Hamlet, Person.hamlet_id == Hamlet.id).join(Commune)
            .where(Commune.district_id == home_district_id()).options(joinedload(SourcePoolEntry.person)))
    if current_user.commune_id is not None:
        stmt = stmt.where(Hamlet.commune_id == current_user.commune_id)
    if q := request.args.get("q", "").strip():
        stmt = people_filter(stmt, q)
    page = db.paginate(stmt.order_by(Person.name_folded, SourcePoolEntry.id), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template("training/source_pool.html", form=form, page=page, editable=editable, q=q)


@bp.post("/source-pool/<int:entry_id>/delete")
@allow(*EDITORS)
def remove_from_pool(entry_id: int):
    entry = db.get_or_404(SourcePoolEntry, entry_id)
    if not reaches_person(entry.person):
        abort(404)
    db.session.delete(entry)
    commit(f"Xóa {entry.person.full_name} khỏi nguồn cán bộ ({entry.kind.label})")
    flash(_("Đã xóa khỏi nguồn."), "success")
    return redirect(url_for("training.source_pool"))
