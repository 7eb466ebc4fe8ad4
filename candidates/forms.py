"""Forms of the candidates package (CSRF on every one through Flask-WTF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from candidates.models import ProposedBy, RemedyKind
from core.forms import REQUIRED, strip_nfc
from core.i18n import choices

SOURCES = [("registry", _l("Chọn người trong sổ đăng ký")), ("new", _l("Nhập người mới"))]


class CandidacyForm(FlaskForm):
    """Who stands and who proposed them; the person comes from the registry or a PersonForm (prefix "p")."""

    source = RadioField(_l("Người ứng cử"), choices=SOURCES, default="registry")
    person_id = IntegerField(_l("Người trong sổ đăng ký"), validators=[Optional()])
    proposed_by = SelectField(_l("Người giới thiệu"), choices=choices(ProposedBy))
    proposal_note = StringField(_l("Ghi chú (biên bản hội nghị, số văn bản…)"),
                                validators=[Optional(), Length(max=500)], filters=[strip_nfc])
    submit = SubmitField(_l("Thêm vào danh sách"))


class ReasonForm(FlaskForm):
    version = HiddenField()  # the list's version when the page was loaded: a concurrent reopening answers 409
    reason = TextAreaField(_l("Lý do mở lại danh sách"), validators=[DataRequired(REQUIRED), Length(min=5, max=300)],
                           filters=[strip_nfc])
    submit = SubmitField(_l("Mở lại danh sách"))


class ExceptionRequestForm(FlaskForm):
    shortage_reason = TextAreaField(
        _l("Lý do thôn, tổ dân phố thiếu nhân sự đạt chuẩn"),
        validators=[DataRequired(REQUIRED), Length(min=20, message=_l("Cần nêu rõ lý do (ít nhất 20 ký tự)."))],
        filters=[strip_nfc])
    submit = SubmitField(_l("Gửi đề nghị ngoại lệ"))


class PlanForm(Form):
    """One remediation plan (per excepted rule); a plain sub-form (the outer form carries the CSRF token)."""

    rule = HiddenField()
    kind = SelectField(_l("Biện pháp"), choices=choices(RemedyKind))
    # Not "description": a FormField has its own `description` attribute that would shadow the sub-field.
    details = StringField(_l("Nội dung (khóa học, người thay thế…)"),
                          validators=[DataRequired(REQUIRED), Length(max=500)], filters=[strip_nfc])
    deadline = DateField(_l("Hạn hoàn thành"), validators=[DataRequired(_l("Ngày không hợp lệ."))])


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Quyết định"), choices=[("approve", _l("Chấp thuận")), ("reject", _l("Không chấp thuận"))],
                          default="approve")
    decision_number = StringField(_l("Số quyết định"), validators=[DataRequired(REQUIRED), Length(max=60)],
                                  filters=[strip_nfc])
    decision_date = DateField(_l("Ngày quyết định"), validators=[DataRequired(_l("Ngày không hợp lệ."))])
    signer = StringField(_l("Người ký"), validators=[DataRequired(REQUIRED), Length(max=120)], filters=[strip_nfc])
    decision_notes = TextAreaField(_l("Ghi chú / lý do"), validators=[Optional()], filters=[strip_nfc])
    plans = FieldList(FormField(PlanForm), min_entries=0)
    submit = SubmitField(_l("Ghi quyết định"))

    def validate(self, extra_validators=None) -> bool:
        # Plans are only required (and validated) for an approval.
        if self.decision.data != "reject":
            return super().validate(extra_validators)
        ok = all([field.validate(self) for name, field in self._fields.items() if name != "plans"])
        if not (self.decision_notes.data or "").strip():
            self.decision_notes.errors = list(self.decision_notes.errors) + [_l("Cần ghi lý do không chấp thuận.")]
            ok = False
        return ok


class MetForm(FlaskForm):
    note = StringField(_l("Ghi chú cách đã khắc phục"), validators=[DataRequired(REQUIRED), Length(min=5, max=300)],
                       filters=[strip_nfc])
    submit = SubmitField(_l("Ghi nhận đã đạt"))


class ImportForm(FlaskForm):
    file = FileField(_l("Tệp Excel (.xlsx)"), validators=[
        FileRequired(_l("Chọn một tệp.")), FileAllowed(["xlsx", "xls", "ods"], _l("Chỉ nhận tệp Excel (.xlsx)."))])
    # Shown only when the file has several sheets with a list (the view sets the choices); validate_choice off:
    # the names come from the file, checked again when it is read.
    sheet = SelectField(_l("Trang tính cần nhập"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Nhập danh sách"))
