"""Department administration: bureaus, wards and offices with their Digital Office liaison."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from web.admin.blueprint import bp
from web.admin.forms import KIND_LABELS, DepartmentCreateForm, DepartmentForm, LiaisonForm
from web.admin.routes import apply_errors
from web.authz import roles
from web.extensions import db
from web.i18n import lang
from workflow.errors import InvalidInput
from workflow.models import OFFICE_ROLES, Department, User
from workflow.models.org import DEPARTMENT_KINDS
from workflow.people.users import create_department, update_department


def _office_users() -> list[User]:
    """Who may be a liaison: active Digital Office staff."""
    return db.session.scalars(
        select(User).where(User.role.in_(OFFICE_ROLES), User.active.is_(True)).order_by(User.name)
    ).all()


def _department_or_404(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    return department


def _liaison(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


def _saved(department: Department, changes: dict) -> None:
    if changes:
        flash(_("「%(name)s」を保存しました。", name=department.name), "success")
    else:
        flash(_("変更はありませんでした。"), "info")


@bp.route("/departments")
@roles("admin")
def departments():
    kind = request.args.get("kind", "")
    stmt = select(Department).order_by(Department.sort_order, Department.id)
    if kind in DEPARTMENT_KINDS:
        stmt = stmt.where(Department.kind == kind)
    rows = db.session.scalars(stmt).all()
    office_users = _office_users()
    liaison_ids = {d.liaison_id for d in rows if d.liaison_id}
    # Liaisons who left the office or were deactivated still show, marked, until replaced.
    people = {u.id: u for u in db.session.scalars(
        select(User).where(or_(User.id.in_(liaison_ids), User.role.in_(OFFICE_ROLES))))}
    user_counts = dict(db.session.execute(
        select(User.department_id, func.count(User.id)).where(User.active.is_(True))
        .group_by(User.department_id)).all())
    forms = {}
    for department in rows:
        form = LiaisonForm(prefix=f"d{department.id}", formdata=None)
        form.set_choices(office_users)
        form.liaison_id.data = str(department.liaison_id or "")
        forms[department.id] = form
    groups = [(k, [d for d in rows if d.kind == k]) for k in DEPARTMENT_KINDS]
    return render_template(
        "admin/departments.html", groups=[g for g in groups if g[1]], kind=kind,
        kind_labels=KIND_LABELS, kinds=DEPARTMENT_KINDS, people=people, user_counts=user_counts,
        forms=forms, no_office_users=not office_users,
        unassigned=sum(1 for d in rows if d.active and d.kind != "office" and not d.liaison_id),
    )


@bp.route("/departments/<int:department_id>/liaison", methods=["POST"])
@roles("admin")
def department_liaison(department_id: int):
    department = _department_or_404(department_id)
    form = LiaisonForm(prefix=f"d{department.id}")
    form.set_choices(_office_users())
    if not form.validate_on_submit():
        flash(_("担当者はデジタル統括室の有効なユーザーから選んでください"), "error")
    else:
        try:
            changes = update_department(
                db.session, department, name=department.name, name_en=department.name_en,
                active=department.active, liaison=_liaison(form.liaison_value()),
                actor=current_user._get_current_object())
        except InvalidInput as exc:
            db.session.rollback()
            flash(exc.message(lang()), "error")
        else:
            _saved(department, changes)
    return redirect(url_for("admin.departments", kind=request.args.get("kind") or None,
                            _anchor=f"dept-{department.id}"))


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles("admin")
def department_edit(department_id: int):
    department = _department_or_404(department_id)
    form = DepartmentForm(obj=department if request.method == "GET" else None)
    office_users = _office_users()
    form.set_choices(office_users)
    if request.method == "GET":
        form.liaison_id.data = str(department.liaison_id or "")
    if form.validate_on_submit():
        try:
            changes = update_department(
                db.session, department, name=form.name.data, name_en=form.name_en.data or "",
                active=form.active.data, liaison=_liaison(form.liaison_value()),
                actor=current_user._get_current_object())
        except InvalidInput as exc:
            db.session.rollback()
            apply_errors(form, exc, {"liaison": "liaison_id"})
        else:
            _saved(department, changes)
            return redirect(url_for("admin.departments", _anchor=f"dept-{department.id}"))
    members = db.session.scalars(
        select(User).where(User.department_id == department.id)
        .order_by(User.active.desc(), User.name)
    ).all()
    return render_template("admin/department_edit.html", department=department, form=form,
                           members=members, kind_labels=KIND_LABELS)


@bp.route("/departments/new", methods=["GET", "POST"])
@roles("admin")
def department_new():
    form = DepartmentCreateForm()
    if form.validate_on_submit():
        try:
            department = create_department(
                db.session, code=form.code.data, name=form.name.data, kind=form.kind.data,
                name_en=form.name_en.data or "", actor=current_user._get_current_object())
        except InvalidInput as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            flash(_("「%(name)s」を追加しました。統括室の担当者を設定してください。",
                    name=department.name), "success")
            return redirect(url_for("admin.department_edit", department_id=department.id))
    return render_template("admin/department_new.html", form=form)
