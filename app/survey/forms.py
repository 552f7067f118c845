"""The survey form, built from the questionnaire definition the campaign uses."""


from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain.integrity import PRESSURE_KINDS
from app.domain.screening import CHANNEL_IN_PERSON, CHANNEL_ONLINE, CHANNEL_POSTAL
from app.forms import Form

CHANNEL_CHOICES = [
    SelectChoice(CHANNEL_IN_PERSON, _l("Trực tiếp tại Bộ phận Một cửa")),
    SelectChoice(CHANNEL_ONLINE, _l("Trực tuyến")),
    SelectChoice(CHANNEL_POSTAL, _l("Qua dịch vụ bưu chính công ích")),
]
YES_NO_CHOICES = [SelectChoice("yes", _l("Có")), SelectChoice("no", _l("Không"))]

YES_NO_VALUES = {"yes": 1, "no": 0}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class RequiredWhen:
    """An answer needed only when another question got a given answer; optional otherwise."""

    def __init__(self, other: str, value: str, message: str) -> None:
        self.other, self.value, self.message = other, value, message

    def __call__(self, form, field) -> None:
        if field.raw_data and field.raw_data[0]:
            return  # answered: the field's own check of the choice stands
        field.errors[:] = []
        if form[self.other].data == self.value:
            raise StopValidation(self.message)
        raise StopValidation()


class SurveyForm(Form):
    """Fields every survey has; rating questions are added per questionnaire version."""

    class Meta:
        # A citizen may leave the page open for hours; the token must outlive that.
        csrf_time_limit = 24 * 3600  # seconds

    ticket = HiddenField()
    channel = RadioField(
        _l("Ông/Bà đã nộp hồ sơ bằng cách nào?"),
        choices=CHANNEL_CHOICES,
        validators=[InputRequired(message=_l("Vui lòng chọn cách Ông/Bà đã nộp hồ sơ."))],
    )
    immediate = RadioField(
        _l("Kết quả có được trả ngay khi Ông/Bà nộp hồ sơ không?"),
        choices=YES_NO_CHOICES,
        # Only asked of in-person cases; hidden (by CSS) once online or postal is picked.
        validators=[RequiredWhen("channel", CHANNEL_IN_PERSON, _l("Vui lòng chọn Có hoặc Không."))],
    )
    decline = SubmitField(_l("Không tham gia"))
    submit = SubmitField(_l("Gửi"))

    question_keys: tuple[str, ...] = ()
    comment_max_length: int = 0

    def answers(self) -> dict[str, int]:
        """The rating and yes/no answers as stored values."""
        result = {}
        for key in self.question_keys:
            value = self[key].data
            if value in YES_NO_VALUES:
                value = YES_NO_VALUES[value]
            if value is not None:
                result[key] = int(value)
        return result


_form_classes: dict[tuple[str, int, str], type[SurveyForm]] = {}


def survey_form_class(definition: dict, locale: str) -> type[SurveyForm]:
    """Return (and cache) the form class for one questionnaire version in one language."""
    cache_key = (definition["code"], definition["version"], locale)
    if cache_key not in _form_classes:
        fields = {}
        scale = definition["scale"][locale]
        for q in definition["questions"]:
            required = q.get("required", False)
            validators = (
                [InputRequired(message=_l("Vui lòng chọn một câu trả lời."))]
                if required
                else [Optional()]
            )
            if q["kind"] == "scale":
                choices = [SelectChoice(i, label) for i, label in enumerate(scale, start=1)]
                fields[q["key"]] = RadioField(
                    q[locale], choices=choices, coerce=int, validators=validators
                )
            else:
                fields[q["key"]] = RadioField(
                    q[locale], choices=YES_NO_CHOICES, validators=validators
                )
        comment = definition["comment"]
        fields["comment"] = TextAreaField(
            comment[locale],
            filters=[_strip],
            validators=[
                Optional(),
                Length(
                    max=comment["max_length"],
                    message=_l("Góp ý dài tối đa %(max)d ký tự.", max=comment["max_length"]),
                ),
            ],
        )
        fields["question_keys"] = tuple(q["key"] for q in definition["questions"])
        fields["comment_max_length"] = comment["max_length"]
        _form_classes[cache_key] = type("QuestionnaireForm", (SurveyForm,), fields)
    return _form_classes[cache_key]


PRESSURE_TEXT_MAX = 500


class PressureForm(Form):
    """A citizen's anonymous report of pressure or interference at a counter."""

    kinds = SelectMultipleField(
        _l("Ông/Bà đã gặp việc gì? (chọn một hoặc nhiều)"),
        choices=[SelectChoice(key, label) for key, label in PRESSURE_KINDS],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    text = TextAreaField(
        _l("Mô tả thêm (không bắt buộc; đừng ghi họ tên hay số điện thoại)"),
        filters=[_strip],
        validators=[Optional(), Length(max=PRESSURE_TEXT_MAX, message=_l(
            "Mô tả dài tối đa %(max)d ký tự.", max=PRESSURE_TEXT_MAX))])
    send = SubmitField(_l("Gửi phản ánh"))

    def validate_kinds(self, field) -> None:
        if not field.data and not (self.text.data or "").strip():
            raise StopValidation(_l("Vui lòng chọn ít nhất một việc, hoặc mô tả việc đã gặp."))
