"""Forms of the ballot pages: printing, accounting figures, marking serials, verification."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, Optional

from core.forms import idempotency_key_field

LAYOUT_LABELS = {"A5": _l("Mỗi phiếu một trang A5"), "A6": _l("Mỗi phiếu một trang A6"),
                 "A4x2": _l("Hai phiếu trên một tờ A4 (có dấu cắt)"), "A4x4": _l("Bốn phiếu trên một tờ A4 (có dấu cắt)")}


class PrintForm(FlaskForm):
    layout = SelectField(_l("Khổ phiếu"), choices=[(k, v) for k, v in LAYOUT_LABELS.items()], default="A5")
    kind = RadioField(_l("Loại"), choices=[("real", _l("Phiếu bầu chính thức (số hộ + dự phòng)")),
                                           ("supplementary", _l("In bổ sung")),
                                           ("test", _l("Phiếu thử (không có giá trị)"))], default="real")
    count = IntegerField(_l("Số phiếu (in bổ sung hoặc phiếu thử)"), validators=[Optional(), NumberRange(1, 5000)])
    spare_percent = IntegerField(_l("Dự phòng (%)"), validators=[Optional(), NumberRange(0, 50)])
    submit = SubmitField(_l("In phiếu"))


class FiguresForm(FlaskForm):
    idempotency_key = idempotency_key_field()
    issued = IntegerField(_l("Số phiếu phát ra (để trống: theo số hộ đã nhận phiếu)"),
                          validators=[Optional(), NumberRange(0)])
    spoiled = IntegerField(_l("Phiếu hỏng, đã đổi (để trống: theo số sê-ri đã đánh dấu)"),
                           validators=[Optional(), NumberRange(0)])
    cancelled = IntegerField(_l("Phiếu không dùng, đã hủy (để trống: theo số sê-ri đã đánh dấu)"),
                             validators=[Optional(), NumberRange(0)])
    returned = IntegerField(_l("Số phiếu thu vào"), validators=[Optional(), NumberRange(0)])
    submit = SubmitField(_l("Lưu số liệu"))


class MarkForm(FlaskForm):
    idempotency_key = idempotency_key_field()
    serials = TextAreaField(_l("Số sê-ri (mỗi dòng một số, hoặc quét mã QR)"))
    state = SelectField(_l("Đánh dấu là"), choices=[("spoiled", _l("Phiếu hỏng, đã đổi")),
                                                   ("cancelled", _l("Phiếu không dùng, đã hủy"))])
    submit = SubmitField(_l("Đánh dấu"))


class VerifyForm(FlaskForm):
    code = StringField(_l("Mã in dưới mã QR, hoặc nội dung mã QR (máy quét gõ vào đây, rồi Enter)"))
    image = FileField(_l("Hoặc ảnh chụp / bản quét phiếu"))
    submit = SubmitField(_l("Kiểm tra"))
