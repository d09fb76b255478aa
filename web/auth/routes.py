"""Sign-in with lock-out after repeated failures, sign-out, password and language change."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from web.auth import sessions as web_sessions
from web.auth import throttle
from web.auth.blueprint import bp
from web.auth.forms import ConfirmForm, LanguageForm, LoginForm, PasswordChangeForm
from web.auth.landing import home_url, safe_next
from web.auth.signin import directory_sign_in, finish_sign_in, mfa_required
from web.authz import ANY_SIGNED_IN, public, roles
from web.extensions import db, limiter, login_manager
from web.i18n import LANGUAGES, lang
from workflow import sessions as user_sessions
from workflow.models import User
from workflow.people.audit import record
from workflow.people.passwords import hash_password, password_problems, verify_password


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not web_sessions.accepts(user):
        return None
    return user


@bp.route("/")
@public
def root():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(throttle.ip_limit, methods=["POST"])
@limiter.limit(throttle.account_limit, key_func=throttle.account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        # Directory (LDAP/AD) accounts: web/auth/signin.py; None means a local password.
        directory_answer = directory_sign_in(form, email, form.password.data)
        if directory_answer is not None:
            return directory_answer
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        locked = user is not None and throttle.is_locked(user)
        usable = user is not None and user.active and not locked
        # One Argon2 verification whatever the case (a dummy hash when unusable): the answer
        # time must not tell whether the e-mail is registered.
        if verify_password(user.password_hash if usable else None, form.password.data):
            # Second factor, session and audit event: web/auth/signin.py.
            return finish_sign_in(user, "password")
        if user is not None and not locked:
            throttle.failed(user)
        record(db.session, "login_failed", user,
               data={"email": email[:254], "ip": request.remote_addr, "locked": bool(locked)})
        db.session.commit()
        # One message for every failure: never tell which part was wrong or that an account exists.
        flash(_("メールアドレスまたはパスワードが正しくないか、"
                "アカウントが一時的にロックされています。"), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def logout():
    user = current_user._get_current_object()
    record(db.session, "logout", user)
    web_sessions.sign_out(user)
    flash(_("ログアウトしました。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@roles(*ANY_SIGNED_IN)
def sign_out_everywhere():
    user = current_user._get_current_object()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    web_sessions.sign_out(user, reason="everywhere")
    flash(_("すべての端末からログアウトしました。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@roles(*ANY_SIGNED_IN)
def account():
    password_form = PasswordChangeForm(prefix="pw")
    language_form = LanguageForm(prefix="lang", language=current_user.language)
    if password_form.submit.data and password_form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, password_form.current.data):
            password_form.current.errors.append(_("現在のパスワードが正しくありません"))
        else:
            problems = password_problems(password_form.new.data, (user.name, user.email))
            if problems:
                password_form.new.errors.extend(en if lang() == "en" else ja for ja, en in problems)
            else:
                user.password_hash = hash_password(password_form.new.data)
                record(db.session, "password", user)
                # Whoever knew the old password keeps no session; this browser stays signed in.
                user_sessions.end_all(db.session, user, reason="password", actor=user,
                                      keep=web_sessions.current())
                db.session.commit()
                flash(_("パスワードを変更しました。"), "success")
                return redirect(url_for("auth.account"))
    return render_template("auth/account.html", password_form=password_form,
                           language_form=language_form, mfa_form=ConfirmForm(),
                           mfa_required=mfa_required(current_user), confirm=ConfirmForm(),
                           sessions=web_sessions.open_sessions(current_user),
                           this_session=web_sessions.current())


@bp.route("/language", methods=["POST"])
@public
def language():
    """Switch language; remembered on the account when signed in, in the session otherwise."""
    form = LanguageForm(prefix="lang")
    if form.validate_on_submit() and form.language.data in LANGUAGES:
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            current_user.language = form.language.data
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("auth.root"))
