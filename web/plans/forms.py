"""The plan editor's forms: the plan's texts with the security checklist, and one KPI."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from web.form_choices import options, vocabulary_options
from workflow.vocabulary import KPI_DIRECTIONS, SECURITY_CHECKLIST

# A bare dash is how the city's plans print "no target" (－).
_DASHES = frozenset("-－ー―‐—–")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_NUMBER_LIKE = re.compile(r"[\d,.+\-\s]+")
# KPI figures are stored as Numeric(18, 4).
_MAX_INTEGER_DIGITS, _MAX_DECIMALS = 14, 4

SECURITY_ANSWER_CHOICES = (("yes", _l("はい")), ("no", _l("いいえ")),
                           ("not_applicable", _l("該当なし")))


class FigureError(ValueError):
    """A figure that looks like a number but is not one."""


def parse_figure(raw: str | None, unit: str = "") -> Decimal | str | None:
    """What a person typed as a baseline or target: a number, a text target, or nothing.

    Accepts "1,300", full-width "１３００", "1300件" when 件 is the KPI's unit, and blank or
    "－" for no value. Anything else containing letters is a text target (e.g. 運用開始);
    number-like input that is not a number ("1,3,00", "12.5.1") raises ``FigureError``.
    """
    typed = (raw or "").strip()
    text = unicodedata.normalize("NFKC", typed).strip()
    if not text or all(ch in _DASHES or ch.isspace() for ch in text):
        return None
    candidate = text.replace(" ", "")
    unit = unicodedata.normalize("NFKC", unit or "").strip()
    if unit and candidate.endswith(unit) and len(candidate) > len(unit):
        candidate = candidate[: -len(unit)]
    if _NUMBER.fullmatch(candidate):
        value = Decimal(candidate.replace(",", ""))
        integer, _dot, decimals = candidate.lstrip("+-").replace(",", "").partition(".")
        if len(integer.lstrip("0")) > _MAX_INTEGER_DIGITS:
            raise FigureError(_("数値が大きすぎます"))
        if len(decimals) > _MAX_DECIMALS:
            raise FigureError(_("小数点以下は4桁までで入力してください"))
        return value
    if any(ch.isdigit() for ch in text) and _NUMBER_LIKE.fullmatch(text):
        raise FigureError(_("「%(value)s」は数値として読み取れません。例：1,300　12.5",
                            value=typed))
    return typed


class FigureField(StringField):
    """A number or a text, as typed; ``figure`` holds the parsed value after validation."""

    figure: Decimal | str | None = None

    def pre_validate(self, form) -> None:
        unit = form.unit.data if hasattr(form, "unit") else ""
        try:
            self.figure = parse_figure(self.data, unit or "")
        except FigureError as exc:
            self.figure = None
            raise ValidationError(str(exc)) from None


class PlanForm(FlaskForm):
    """The plan's texts and the security checklist, saved together so no edit is lost."""

    as_is_notes = TextAreaField(_l("現状（As-Is）"), validators=[Length(max=20000)])
    to_be_notes = TextAreaField(_l("あるべき姿（To-Be）"), validators=[Length(max=20000)])
    kgi = TextAreaField(_l("KGI（2030年の目標）"), validators=[Length(max=5000)])
    kgi_note = TextAreaField(_l("KGIの補足"), validators=[Length(max=5000)])
    outcome = TextAreaField(_l("アウトカムの視点"), validators=[Length(max=5000)])
    review_cadence = SelectField(_l("KPI評価の頻度"), validators=[Optional()], choices=options([
        ("", _l("標準（システムの設定に従う）")), ("yearly", _l("年度ごと（年度終了後）")),
        ("quarterly", _l("四半期ごとの確認と年度ごとの評価"))]))

    TEXT_FIELDS = ("as_is_notes", "to_be_notes", "kgi", "kgi_note", "outcome")

    def checklist_fields(self):
        return [(key, self[f"check_{key}"]) for key in SECURITY_CHECKLIST]

    def changes(self, posted) -> dict:
        """The plan fields for ``workflow.plans.update_plan``: only the texts that were posted
        (a field missing from the request is left alone, not emptied), and answered items."""
        answers = {key: f.data for key, f in self.checklist_fields() if f.data}
        changes = {name: self[name].data or "" for name in self.TEXT_FIELDS if name in posted}
        if "review_cadence" in posted:
            changes["review_cadence"] = self.review_cadence.data or None
        return {**changes, "security_checklist": answers}


for _key in SECURITY_CHECKLIST:
    setattr(PlanForm, f"check_{_key}", RadioField(
        _key, choices=options(SECURITY_ANSWER_CHOICES), validators=[Optional()]))
del _key


class KpiForm(FlaskForm):
    """One KPI; the target fields (``target_<FY>``) are added per page by ``kpi_form``."""

    name = StringField(_l("KPI名"), validators=[DataRequired(_l("KPI名を入力してください")),
                                               Length(max=300)])
    unit = StringField(_l("単位"), validators=[Length(max=50)])
    direction = SelectField(_l("方向"))
    baseline = FigureField(_l("基準値"), validators=[Length(max=300)])
    baseline_label = StringField(_l("基準値の時点"), validators=[Length(max=50)])
    owner_id = SelectField(_l("KPIの担当者（所属長）"), validators=[Optional()])
    note = TextAreaField(_l("備考"), validators=[Length(max=5000)])

    years: tuple[int, ...] = ()

    def set_choices(self, lang: str, managers) -> None:
        self.direction.choices = vocabulary_options(KPI_DIRECTIONS, lang)
        self.owner_id.choices = options(
            [("", _("指定しない（所属長）"))] + [(str(u.id), u.name) for u in managers])

    def target_fields(self):
        return [(fy, self[f"target_{fy}"]) for fy in self.years]

    def owner(self) -> int | None:
        return int(self.owner_id.data) if self.owner_id.data else None


def kpi_form(years: tuple[int, ...], **kwargs) -> KpiForm:
    """A KPI form with one target field per fiscal year in ``years``."""
    form_class = type("KpiYearsForm", (KpiForm,), {"years": tuple(years)})
    for fy in years:
        setattr(form_class, f"target_{fy}", FigureField(str(fy), validators=[Length(max=300)]))
    return form_class(**kwargs)
