"""Forms of the chapter congress pages (CSRF on every one)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from chapters.models import EXCLUSION_LABELS, NomineeSource
from chapters.supervision import AwardKind, SupervisionKind, SupervisorRank
from core.enums import Post
from core.forms import REQUIRED, strip_nfc
from core.i18n import choices

POST_CHOICES = choices(Post, (Post.CHAPTER_SECRETARY, Post.CHAPTER_DEPUTY_SECRETARY, Post.CHAPTER_COMMITTEE_MEMBER))
SOURCE_CHOICES = choices(NomineeSource, (NomineeSource.CHAPTER, NomineeSource.FLOOR))
COUNT = [InputRequired(), NumberRange(min=0, max=10000)]


def _excluded(name: str) -> IntegerField:
    """One of the five exclusions from the vote base (R-P2), labelled as the minutes label it."""
    return IntegerField(_l(EXCLUSION_LABELS[name]), default=0, validators=COUNT)


class OpenCongressForm(FlaskForm):
    held_on = DateField(_l("Ngày đại hội"), validators=[DataRequired()])
    submit = SubmitField(_l("Mở hồ sơ đại hội"))


class AttendanceForm(FlaskForm):
    official_members_convened = IntegerField(_l("Đảng viên chính thức được triệu tập"), validators=COUNT)
    temporarily_transferred_out = _excluded("temporarily_transferred_out")
    exempted_and_absent = _excluded("exempted_and_absent")
    suspended = _excluded("suspended")
    prosecuted_or_detained = _excluded("prosecuted_or_detained")
    absent_with_approved_reason = _excluded("absent_with_approved_reason")
    present = IntegerField(_l("Đảng viên có mặt, biểu quyết"), validators=COUNT)
    committee_seats = IntegerField(_l("Số lượng chi ủy viên cần bầu (chi bộ từ 9 đảng viên chính thức)"),
                                   validators=[Optional(), NumberRange(min=1, max=7)])
    submit = SubmitField(_l("Lưu số đảng viên"))


class NomineeForm(FlaskForm):
    person_id = SelectField(_l("Đảng viên"), coerce=int, validators=[DataRequired()])
    post = SelectField(_l("Giới thiệu vào chức danh"), choices=POST_CHOICES, default=Post.CHAPTER_SECRETARY.value)
    source = SelectField(_l("Nguồn giới thiệu"), choices=SOURCE_CHOICES)
    agreeing = IntegerField(_l("Số đảng viên có mặt đồng ý (đề cử tại đại hội)"),
                            validators=[Optional(), NumberRange(min=0)])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Thêm người được giới thiệu"))


class AppointmentForm(FlaskForm):
    person_id = SelectField(_l("Người được chỉ định làm bí thư"), coerce=int, validators=[DataRequired()])
    number = StringField(_l("Số quyết định chỉ định"), validators=[DataRequired(), Length(max=60)])
    on = DateField(_l("Ngày quyết định"), validators=[DataRequired()])
    submit = SubmitField(_l("Ghi quyết định chỉ định (R-P4)"))


class ApprovalForm(FlaskForm):
    number = StringField(_l("Số quyết định chuẩn y"), validators=[DataRequired(), Length(max=60)])
    on = DateField(_l("Ngày chuẩn y"), validators=[DataRequired()])
    submit = SubmitField(_l("Chuẩn y kết quả đại hội (R-P5)"))


# -- supervision (59-KH/HU §2.7) and commendations (§2.6): the models check the rules, the forms the shapes --------
BAD_DATE = _l("Ngày không hợp lệ.")


class SupervisorForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    post = StringField(_l("Chức vụ"), validators=[DataRequired(REQUIRED), Length(max=200)], filters=[strip_nfc])
    rank = SelectField(_l("Thuộc"), choices=choices(SupervisorRank, tuple(SupervisorRank)))
    submit = SubmitField(_l("Thêm người phụ trách"))


class AssignmentForm(FlaskForm):
    kind = SelectField(_l("Nội dung phân công"), choices=choices(SupervisionKind, tuple(SupervisionKind)))
    commune_id = SelectField(_l("Xã, thị trấn"), coerce=int, validate_choice=False)
    chapter_id = SelectField(_l("Chi bộ (khó khăn về cán bộ)"), coerce=int, validate_choice=False)
    supervisor_id = SelectField(_l("Người phụ trách"), coerce=int, validate_choice=False)
    assigned_on = DateField(_l("Ngày phân công"), validators=[DataRequired(BAD_DATE)])
    decision = StringField(_l("Văn bản phân công (nếu có)"), validators=[Optional(), Length(max=120)],
                           filters=[strip_nfc])
    submit = SubmitField(_l("Phân công"))


class EndAssignmentForm(FlaskForm):
    ended_on = DateField(_l("Ngày kết thúc"), validators=[DataRequired(BAD_DATE)])
    end_reason = StringField(_l("Lý do"), validators=[DataRequired(REQUIRED), Length(max=300)], filters=[strip_nfc])
    version = HiddenField()  # core.transactions.check_version: a colleague's change since answers 409
    submit = SubmitField(_l("Kết thúc phân công"))


class VisitForm(FlaskForm):
    visited_on = DateField(_l("Ngày làm việc"), validators=[DataRequired(BAD_DATE)])
    notes = TextAreaField(_l("Nội dung làm việc"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                          filters=[strip_nfc])
    findings = TextAreaField(_l("Kết quả, kiến nghị"), validators=[Optional(), Length(max=2000)], filters=[strip_nfc])
    submit = SubmitField(_l("Ghi lần làm việc"))


class CommendationForm(FlaskForm):
    year = IntegerField(_l("Năm được khen"), validators=[InputRequired(REQUIRED), NumberRange(min=2000, max=2100)])
    kind = SelectField(_l("Hình thức"), choices=choices(AwardKind, tuple(AwardKind)))
    reason = TextAreaField(_l("Thành tích"), validators=[DataRequired(REQUIRED), Length(max=1000)], filters=[strip_nfc])
    decision_number = StringField(_l("Số quyết định"), validators=[DataRequired(REQUIRED), Length(max=60)],
                                  filters=[strip_nfc])
    decision_date = DateField(_l("Ngày quyết định"), validators=[DataRequired(BAD_DATE)])
    issued_by = StringField(_l("Cấp khen thưởng"), validators=[DataRequired(REQUIRED), Length(max=200)],
                            filters=[strip_nfc])
    submit = SubmitField(_l("Ghi khen thưởng"))
