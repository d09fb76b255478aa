from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from web.form_choices import options, vocabulary_options
from workflow.vocabulary import CASE_TYPES, CATEGORIES, PRIORITIES, VALUES


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CaseForm(FlaskForm):
    """The consultation form (相談票); required-ness is enforced on submit by the engine's guard."""

    version = HiddenField()
    title = StringField(_l("件名"),
                        validators=[DataRequired(_l("件名を入力してください")), Length(max=200)])
    department_id = SelectField(_l("所管部局"), coerce=int, validators=[Optional()])
    case_type = SelectField(_l("相談の種類"))
    priority = SelectField(_l("優先度"))
    category = SelectField(_l("分類（DX戦略の柱）"), validators=[Optional()])
    values = MultiCheckboxField(_l("VALUE（目指す価値）"), validators=[Optional()])
    description = TextAreaField(_l("相談内容"), validators=[Length(max=20000)])
    current_problem = TextAreaField(_l("現在の課題"), validators=[Length(max=20000)])
    desired_outcome = TextAreaField(_l("目指す姿・期待する効果"), validators=[Length(max=20000)])
    save = SubmitField(_l("下書き保存"))
    submit_case = SubmitField(_l("保存して提出"))

    def set_choices(self, lang: str, departments) -> None:
        self.case_type.choices = vocabulary_options(CASE_TYPES, lang)
        self.priority.choices = vocabulary_options(PRIORITIES, lang)
        self.category.choices = vocabulary_options(CATEGORIES, lang, blank="—")
        self.values.choices = vocabulary_options(VALUES, lang)
        self.department_id.choices = options(
            (d.id, d.name_en if lang == "en" and d.name_en else d.name) for d in departments)


class TransitionForm(FlaskForm):
    version = IntegerField(validators=[DataRequired()])
    comment = TextAreaField(_l("コメント"), validators=[Length(max=10000)])


COMMENT_KIND_LABELS = {"comment": _l("コメント"), "advice": _l("外部有識者の助言")}


class CommentForm(FlaskForm):
    body = TextAreaField(_l("コメント"), validators=[DataRequired(_l("コメントを入力してください")),
                                                    Length(max=10000)])
    # Which kinds a user may post is the domain's rule (workflow.comments.kinds_for); a
    # tampered value gets its reason from there rather than WTForms' "Not a valid choice".
    kind = SelectField(_l("種類"), default="comment", validate_choice=False)
    post = SubmitField(_l("投稿する"))

    def offer_kinds(self, kinds: list[str]) -> None:
        """Only the kinds this user may post appear in the select."""
        self.kind.choices = options((k, COMMENT_KIND_LABELS[k]) for k in kinds)
