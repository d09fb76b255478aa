"""The account page's API tokens: create one (shown once), see when each was used, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from web.api.forms import RevokeForm, TokenForm
from web.authz import ANY_SIGNED_IN, roles
from web.extensions import db
from web.i18n import lang
from workflow.errors import InvalidInput
from workflow.models import ApiToken, utcnow
from workflow.people import tokens

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


def _page(form: TokenForm):
    me = current_user._get_current_object()
    return render_template("api/tokens.html", form=form,
                           tokens=tokens.tokens_of(db.session, me), now=utcnow())


@bp.route("/", methods=["GET", "POST"])
@roles(*ANY_SIGNED_IN)
def index():
    form = TokenForm()
    if form.validate_on_submit():
        me = current_user._get_current_object()
        try:
            token, secret = tokens.create_token(db.session, me, form.name.data,
                                                expires_in_days=form.expires_in_days())
        except InvalidInput as exc:
            for reasons in exc.field_errors.values():
                form.name.errors = list(form.name.errors) + [r.text(lang()) for r in reasons]
        else:
            # Shown in this response only; never stored, so it must not be cached either.
            response = make_response(render_template("api/token_created.html", token=token,
                                                     secret=secret))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _page(form)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        if tokens.revoke_token(db.session, token, current_user._get_current_object()):
            flash(_("APIトークン「%(name)s」を無効にしました。", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
