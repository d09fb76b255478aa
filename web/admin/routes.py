"""User administration: list, create, edit, deactivate, unlock and reset passwords."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from web.admin.auditlog import cases_of, summary
from web.admin.blueprint import bp
from web.admin.forms import ConfirmForm, UserCreateForm, UserProfileForm
from web.auth import sessions as web_sessions
from web.authz import roles
from web.extensions import db
from web.i18n import lang
from web.request_input import page_number, query_int
from workflow import lockouts, mfa
from workflow import sessions as user_sessions
from workflow.errors import InvalidInput
from workflow.models import (
    ROLES,
    AuditEvent,
    Department,
    LoginLockout,
    User,
    UserSession,
    utcnow,
)
from workflow.people.users import (
    create_user,
    deactivate_user,
    generate_password,
    reactivate_user,
    reset_password,
    unlock_user,
    update_user,
)

PER_PAGE = 50
STATUSES = ("active", "inactive", "locked")
ROLE_ORDER = case({r: i for i, r in enumerate(ROLES)}, value=User.role)


def _departments(include_id: int | None = None):
    """Active departments for pickers (plus the user's current one, even if retired)."""
    condition = Department.active.is_(True)
    if include_id:
        condition = or_(condition, Department.id == include_id)
    stmt = select(Department).where(condition).order_by(Department.sort_order)
    return db.session.scalars(stmt).all()


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def apply_errors(form, exc: InvalidInput, aliases: dict[str, str] | None = None) -> None:
    """Put the domain's reasons next to the form fields they concern (flash the rest)."""
    for name, reasons in exc.field_errors.items():
        target = getattr(form, (aliases or {}).get(name, name), None)
        messages = [r.text(lang()) for r in reasons]
        if target is not None:
            target.errors = list(target.errors) + messages
        else:
            for message in messages:
                flash(message, "error")


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/users")
@roles("admin")
def users():
    args = request.args
    role, status, q = args.get("role", ""), args.get("status", ""), args.get("q", "").strip()[:100]
    department_id = query_int("department")
    now = utcnow()
    locked_now = select(LoginLockout.user_id).where(LoginLockout.locked_until > now)
    stmt = select(User).options(joinedload(User.department))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    elif status == "locked":
        stmt = stmt.where(User.id.in_(locked_now))
    if q:
        like = "%" + q.replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(or_(User.name.ilike(like), User.email.ilike(like)))
    stmt = stmt.order_by(User.active.desc(), ROLE_ORDER, User.name, User.id)
    page = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    locked_count = db.session.scalar(select(func.count(func.distinct(LoginLockout.user_id)))
                                     .where(LoginLockout.locked_until > now))
    locks = dict(db.session.execute(
        select(LoginLockout.user_id, func.max(LoginLockout.locked_until))
        .where(LoginLockout.locked_until > now,
               LoginLockout.user_id.in_([u.id for u in page.items]))
        .group_by(LoginLockout.user_id)).all())
    return render_template(
        "admin/users.html", page=page, roles=ROLES, departments=_departments(),
        filters={"role": role, "status": status, "q": q, "department": department_id},
        statuses=STATUSES, locked_count=locked_count, now=now, locks=locks,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles("admin")
def user_new():
    form = UserCreateForm()
    departments = _departments()
    form.set_choices(departments, lang())
    if form.validate_on_submit():
        generated = form.password_mode.data != "manual"
        password = generate_password() if generated else (form.password.data or "")
        department = db.session.get(Department, form.department_id_value() or 0)
        try:
            user = create_user(db.session, email=form.email.data, name=form.name.data,
                               role=form.role.data, password=password, department=department,
                               language=form.language.data, actor=_me())
        except InvalidInput as exc:
            db.session.rollback()
            apply_errors(form, exc, {"department": "department_id"})
        else:
            if generated:
                return _password_page(user, password, created=True)
            flash(_("ユーザー「%(name)s」を作成しました。", name=user.name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    form = UserProfileForm(obj=user if request.method == "GET" else None)
    form.set_choices(_departments(include_id=user.department_id), lang())
    if request.method == "GET":
        form.department_id.data = str(user.department_id or "")
    if form.validate_on_submit():
        department = db.session.get(Department, form.department_id_value() or 0)
        try:
            changes = update_user(db.session, user, name=form.name.data, role=form.role.data,
                                  department=department, language=form.language.data, actor=_me())
        except InvalidInput as exc:
            db.session.rollback()
            apply_errors(form, exc, {"department": "department_id"})
        else:
            if changes:
                flash(_("「%(name)s」の登録内容を保存しました。", name=user.name), "success")
            else:
                flash(_("変更はありませんでした。"), "info")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    recent = db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == user.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(10)
    ).all()
    return render_template("admin/user_edit.html", user=user, form=form, confirm=ConfirmForm(),
                           recent=recent, cases=cases_of(db.session, recent), summary=summary,
                           sessions=web_sessions.open_sessions(user),
                           locks=lockouts.active_locks(db.session, user),
                           failures=lockouts.recent_failures(db.session, user))


def _confirmed_user(user_id: int) -> User:
    """The target of a one-button action; the CSRF check already ran (CSRFProtect)."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return user


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles("admin")
def user_deactivate(user_id: int):
    user = _confirmed_user(user_id)
    try:
        deactivate_user(db.session, user, actor=_me())
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message(lang()), "error")
    else:
        flash(_("「%(name)s」を無効にしました。このユーザーはログインできなくなります。",
                name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles("admin")
def user_reactivate(user_id: int):
    user = _confirmed_user(user_id)
    reactivate_user(db.session, user, actor=_me())
    flash(_("「%(name)s」を再び有効にしました。", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles("admin")
def user_unlock(user_id: int):
    user = _confirmed_user(user_id)
    unlock_user(db.session, user, actor=_me())
    flash(_("「%(name)s」のロックを解除しました。", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@roles("admin")
def user_session_end(user_id: int, session_id: int):
    user = _confirmed_user(user_id)
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        abort(404)
    user_sessions.end(db.session, row, reason="admin", actor=_me())
    db.session.commit()
    flash(_("「%(name)s」のセッションを1件終了しました。", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id) + "#sessions")


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@roles("admin")
def user_sessions_end(user_id: int):
    user = _confirmed_user(user_id)
    count = user_sessions.end_all(db.session, user, reason="admin", actor=_me())
    db.session.commit()
    flash(_("「%(name)s」のセッションを%(count)s件終了しました。", name=user.name, count=count),
          "success")
    return redirect(url_for("admin.user_edit", user_id=user.id) + "#sessions")


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@roles("admin")
def user_reset_password(user_id: int):
    user = _confirmed_user(user_id)
    password = reset_password(db.session, user, actor=_me())
    return _password_page(user, password, created=False)


@bp.route("/users/<int:user_id>/reset-mfa", methods=["POST"])
@roles("admin")
def user_reset_mfa(user_id: int):
    """A lost phone: remove the factor; the user sets it up again at next sign-in."""
    user = _confirmed_user(user_id)
    mfa.admin_reset(db.session, user, actor=_me())
    flash(_("「%(name)s」の二要素認証をリセットしました。", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _password_page(user: User, password: str, *, created: bool):
    """Shown once: the password is in this response only, never stored or flashed."""
    response = make_response(render_template("admin/password_issued.html", user=user,
                                             password=password, created=created))
    response.headers["Cache-Control"] = "no-store"
    return response
