"""Forms of the training package (CSRF on every one through Flask-WTF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.enums import PoliticalTheory, Post
from core.forms import REQUIRED, strip_nfc
from core.i18n import choices
from training.models import Audience, CourseKind, EnrolFilter, PoolKind
from training.rules import DEFAULT_MIN_ATTENDANCE_PERCENT


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(FlaskForm):
    name = StringField(_l("Tên khóa học"), validators=[DataRequired(REQUIRED), Length(max=200)], filters=[strip_nfc])
    kind = SelectField(_l("Loại chương trình"), choices=choices(CourseKind))
    term_id = SelectField(_l("Nhiệm kỳ"), coerce=int)
    commune_id = SelectField(_l("Đơn vị tổ chức"), coerce=int)  # 0 = the district
    audience = SelectField(_l("Đối tượng"), choices=choices(Audience))
    posts = CheckboxesField(_l("Dành cho chức danh (bỏ trống: tất cả người hoạt động không chuyên trách)"),
                            choices=choices(Post))
    capacity = IntegerField(_l("Sức chứa (số học viên tối đa)"), default=50,
                            validators=[DataRequired(REQUIRED), NumberRange(1, 5000)])
    min_attendance_percent = IntegerField(_l("Tỷ lệ số buổi tối thiểu phải dự để hoàn thành (%)"),
                                          default=DEFAULT_MIN_ATTENDANCE_PERCENT,
                                          validators=[DataRequired(REQUIRED), NumberRange(1, 100)])
    raises_theory_to = SelectField(_l("Hoàn thành khóa học đạt trình độ lý luận chính trị"),
                                   choices=[("", _l("— Không thay đổi —"))]
                                   + choices(PoliticalTheory, list(PoliticalTheory)[1:]))  # every level but none
    organiser = StringField(_l("Cơ quan tổ chức (in trên danh sách, giấy chứng nhận)"),
                            validators=[Optional(), Length(max=200)], filters=[strip_nfc])
    signer_title = StringField(_l("Chức vụ người ký"), validators=[Optional(), Length(max=120)], filters=[strip_nfc])
    signer_name = StringField(_l("Họ tên người ký"), validators=[Optional(), Length(max=120)], filters=[strip_nfc])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional()], filters=[strip_nfc])
    submit = SubmitField(_l("Lưu"))


class SessionForm(FlaskForm):
    held_on = DateField(_l("Ngày học"), validators=[DataRequired(_l("Ngày không hợp lệ."))])
    place = StringField(_l("Địa điểm"), validators=[Optional(), Length(max=200)], filters=[strip_nfc])
    trainer = StringField(_l("Giảng viên, báo cáo viên"), validators=[Optional(), Length(max=120)],
                          filters=[strip_nfc])
    topic = StringField(_l("Nội dung"), validators=[Optional(), Length(max=300)], filters=[strip_nfc])
    submit = SubmitField(_l("Lưu buổi học"))


class EnrolFilterForm(FlaskForm):
    filter = SelectField(_l("Ghi danh theo nhóm"), choices=choices(EnrolFilter))
    commune_id = SelectField(_l("Xã, thị trấn"), coerce=int)  # 0 = the whole district
    submit = SubmitField(_l("Ghi danh cả nhóm"))


class AttendanceImportForm(FlaskForm):
    file = FileField(_l("Tệp điểm danh (CSV hoặc Excel: cột Số định danh và Có mặt)"),
                     validators=[FileRequired(REQUIRED), FileAllowed(["csv", "xlsx"], _l("Chỉ nhận tệp CSV hoặc XLSX."))])
    # Shown only when the file has several sheets with a list (the view sets the choices); validate_choice off:
    # the names come from the file, checked again when it is read.
    sheet = SelectField(_l("Trang tính cần nhập"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Nhập điểm danh"))


class CloseCourseForm(FlaskForm):
    closed_on = DateField(_l("Ngày kết thúc, đánh giá"), validators=[DataRequired(_l("Ngày không hợp lệ."))])
    submit = SubmitField(_l("Kết thúc và đánh giá khóa học"))


class SourcePoolForm(FlaskForm):
    citizen_id = StringField(_l("Số định danh cá nhân"), validators=[DataRequired(REQUIRED), Length(max=12)],
                             filters=[lambda v: v.replace(" ", "") if isinstance(v, str) else v])
    kind = SelectField(_l("Nguồn"), choices=choices(PoolKind))
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=300)], filters=[strip_nfc])
    submit = SubmitField(_l("Thêm vào nguồn"))
