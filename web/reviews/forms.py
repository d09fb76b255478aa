from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from web.form_choices import options, vocabulary_options
from workflow.vocabulary import ASSESSMENTS


class ReviewForm(FlaskForm):
    version = IntegerField(validators=[DataRequired()])
    assessment = SelectField(_l("評価"), validators=[DataRequired(_l("評価を選んでください"))])
    comment = TextAreaField(_l("評価コメント"), validators=[Length(max=10000)])
    next_actions = TextAreaField(_l("次の取組"), validators=[Length(max=10000)])
    outcome = RadioField(_l("評価後の扱い"), validators=[Optional()], default="")
    submit = SubmitField(_l("評価を提出する"))

    def set_choices(self, lang: str) -> None:
        self.assessment.choices = vocabulary_options(ASSESSMENTS, lang, blank="—")
        self.outcome.choices = options([
            ("", _l("モニタリングを続ける")),
            ("complete", _l("目標達成として完了する")),
            ("improve", _l("改善のため企画・BPRに戻す（理由をコメントに記入）")),
        ])
