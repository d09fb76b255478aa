from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

from web.form_choices import options

NOT_A_CHOICE = _l("一覧から選んでください")


def within(limit: int) -> Length:
    return Length(max=limit, message=_l("%(max)d文字以内で入力してください"))


def optional_int(value):
    """'' → None, so a select can offer a blank first option and still coerce to int."""
    return None if value in ("", None) else int(value)


def person_options(users, blank=None):
    pairs = [(u.id, u.name) for u in users]
    return options(([("", blank)] if blank is not None else []) + pairs)


class VersionField(IntegerField):
    """The case version the page was rendered from (optimistic lock)."""

    widget = HiddenInput()


def check_version(form) -> None:
    """A missing or garbled hidden version is no typing mistake: answer 400, not a form error."""
    if form.is_submitted() and form.version.errors:
        abort(400)


class BulkAssignForm(FlaskForm):
    assignee_id = SelectField(_l("新しい担当者"), coerce=optional_int,
                              validators=[InputRequired(_l("担当者を選んでください"))],
                              invalid_choice_message=NOT_A_CHOICE)
    reassign = SubmitField(_l("選択した案件の担当を変更"))


class TriageForm(FlaskForm):
    version = VersionField(validators=[DataRequired()])
    assignee_id = SelectField(_l("担当者"), coerce=optional_int,
                              invalid_choice_message=NOT_A_CHOICE)
    comment = TextAreaField(_l("コメント"), validators=[within(10000)])


class IntakeForm(FlaskForm):
    """Accepting a new consultation on the triage desk, optionally with its proposal."""

    version = VersionField(validators=[DataRequired()])
    assignee_id = SelectField(_l("担当者"), coerce=optional_int,
                              invalid_choice_message=NOT_A_CHOICE)
    proposal_text = TextAreaField(_l("提案内容（Markdown可）"), validators=[within(20000)])
    accept = SubmitField(_l("受け付ける"))
    accept_and_send = SubmitField(_l("受け付けて提案を送る"))


class AssigneeForm(FlaskForm):
    version = VersionField(validators=[DataRequired()])
    assignee_id = SelectField(_l("担当者"), coerce=optional_int,
                              validators=[InputRequired(_l("担当者を選んでください"))],
                              invalid_choice_message=NOT_A_CHOICE)
    change = SubmitField(_l("担当を変更"))


class SupporterForm(FlaskForm):
    version = VersionField(validators=[DataRequired()])
    kind = HiddenField()
    user_id = SelectField(_l("ユーザー"), coerce=optional_int, invalid_choice_message=NOT_A_CHOICE)
    organization = StringField(_l("名称"), validators=[within(200)])
    note = StringField(_l("メモ（役割・契約名など）"), validators=[within(200)])
    add = SubmitField(_l("追加"))


class RemoveSupporterForm(FlaskForm):
    version = VersionField(validators=[DataRequired()])


class ProposalForm(FlaskForm):
    version = VersionField(validators=[DataRequired()])
    proposal_text = TextAreaField(_l("提案内容（Markdown可）"), validators=[within(20000)])
    save = SubmitField(_l("保存"))
    save_and_send = SubmitField(_l("保存して提案を送る"))
