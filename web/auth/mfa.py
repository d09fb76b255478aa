"""The second factor's pages: the code at sign-in, enrolment with a locally drawn QR code,
recovery codes (shown once), and turning an optional factor off."""

from __future__ import annotations

import segno
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from web.auth.blueprint import bp
from web.auth.forms import ConfirmForm, SecondFactorForm
from web.auth.signin import mfa_required, pending_user, start_session
from web.authz import ANY_SIGNED_IN, public, roles
from web.extensions import db, limiter
from workflow import mfa

ENROL_SLOT = "mfa_enrol"  # the not yet confirmed secret, in the session


@bp.route("/login/mfa", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def mfa_verify():
    pending = pending_user()
    if pending is None or not mfa.enabled(pending[0]):
        flash(_("もう一度ログインしてください。"), "info")
        return redirect(url_for("auth.login"))
    user, info = pending
    form = SecondFactorForm()
    if form.validate_on_submit():
        factor = mfa.verify(db.session, user, form.code.data, ip=request.remote_addr)
        if factor is not None:
            if factor == "recovery_code":
                flash(_("回復コードを使いました。残り%(n)s個です。",
                        n=mfa.remaining_recovery_codes(db.session, user)), "info")
            return start_session(user, info["method"], info.get("next"), factor=factor)
        if mfa.locked(user):
            form.code.errors.append(_("確認コードの誤りが続いたため、しばらくの間ロックされています。"))
        else:
            form.code.errors.append(_("確認コードが正しくありません。"))
    return render_template("auth/mfa_verify.html", form=form)


def _qr_svg(uri: str) -> Markup:
    # Drawn here, not by a web service: the secret never leaves the server.
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="QR")
    return Markup(svg)  # noqa: S704 - segno's own SVG markup around a URI it encoded


@bp.route("/account/mfa", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def mfa_enrol():
    """Enrol an authenticator app: signed in, or half-way through a sign-in that requires it."""
    pending = None if current_user.is_authenticated else pending_user()
    if not current_user.is_authenticated and pending is None:
        return redirect(url_for("auth.login"))
    user = current_user._get_current_object() if pending is None else pending[0]
    if mfa.enabled(user):
        return redirect(url_for("auth.account"))
    secret = session.get(ENROL_SLOT) or mfa.new_secret()
    session[ENROL_SLOT] = secret
    form = SecondFactorForm()
    if form.validate_on_submit():
        codes = mfa.confirm_enrolment(db.session, user, secret, form.code.data,
                                      ip=request.remote_addr)
        if codes is not None:
            session.pop(ENROL_SLOT, None)
            if pending is not None:
                start_session(user, pending[1]["method"], None, factor="totp_enrolled")
            return render_template("auth/recovery_codes.html", codes=codes)
        form.code.errors.append(_("確認コードが正しくありません。"))
    uri = mfa.provisioning_uri(secret, user.email, current_app.config["MFA_ISSUER"])
    return render_template("auth/mfa_enrol.html", form=form, qr=_qr_svg(uri),
                           secret=secret, required=mfa_required(user))


@bp.route("/account/mfa/recovery-codes", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def mfa_recovery_codes():
    if not ConfirmForm().validate_on_submit() or not mfa.enabled(current_user):
        abort(400)
    codes = mfa.regenerate_recovery_codes(db.session, current_user._get_current_object())
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/account/mfa/disable", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def mfa_disable():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if mfa_required(current_user):
        flash(_("この役割では二要素認証を無効にできません。"), "error")
    elif mfa.enabled(current_user):
        mfa.disable(db.session, current_user._get_current_object())
        flash(_("二要素認証を無効にしました。"), "success")
    return redirect(url_for("auth.account"))
