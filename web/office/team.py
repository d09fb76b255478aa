"""Who works on a case: the office contact (統括室担当) and the supporters (支援体制)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web.authz import acting_principal, get_case_or_404, roles
from web.extensions import db
from web.i18n import lang
from web.office.blueprint import bp
from web.office.forms import (
    AssigneeForm,
    RemoveSupporterForm,
    SupporterForm,
    check_version,
    person_options,
)
from web.office.queries import experts, office_members
from workflow.errors import InvalidInput, StaleVersion, WorkflowError
from workflow.models import OFFICE_ROLES, Case, Supporter, User
from workflow.office import add_supporter, assign, remove_supporter
from workflow.states import CLOSED_STATES
from workflow.vocabulary import SUPPORTER_KINDS

OFFICE = ("office", "office_lead")


def _supporter_forms(case: Case, members, expert_users, failed: SupporterForm | None = None):
    """One small form per kind of supporter; ``failed`` is the one just sent back with errors."""
    forms = {}
    for kind in SUPPORTER_KINDS:
        form = failed if failed is not None and failed.kind.data == kind else \
            SupporterForm(formdata=None, prefix=kind, version=case.version, kind=kind)
        users = {"office": members, "expert": expert_users}.get(kind, [])
        form.user_id.choices = person_options(users, blank=_("選んでください") if kind == "office"
                                              else _("（登録ユーザー以外）"))
        form.version.data = case.version
        forms[kind] = form
    return forms


def _render(case: Case, assignee_form=None, failed=None):
    members = office_members()
    if assignee_form is None:
        assignee_form = AssigneeForm(formdata=None, version=case.version,
                                     assignee_id=case.assignee_id)
    assignee_form.assignee_id.choices = person_options(members, blank=_("未割当"))
    supporters = db.session.scalars(
        select(Supporter).options(joinedload(Supporter.user))
        .where(Supporter.case_id == case.id).order_by(Supporter.id)
    ).all()
    return render_template(
        "office/team.html", case=case, assignee_form=assignee_form, supporters=supporters,
        supporter_forms=_supporter_forms(case, members, experts(), failed),
    )


def _closed(case: Case):
    """A redirect to the case page when the case is closed (its team is history by then)."""
    if case.state not in CLOSED_STATES:
        return None
    flash(_("完了した案件の担当・支援者は変更できません。"), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


def _apply_errors(form, exc: WorkflowError) -> None:
    if isinstance(exc, InvalidInput):
        for name, reasons in exc.field_errors.items():
            target = getattr(form, name, None)
            messages = [r.text(lang()) for r in reasons]
            if target is not None:
                target.errors = list(target.errors) + messages
            else:
                form.form_errors.extend(messages)
    else:
        form.form_errors.append(exc.message(lang()))


@bp.route("/cases/<int:case_id>/team")
@roles(*OFFICE)
def team(case_id: int):
    case = get_case_or_404(case_id, need="change")
    return _closed(case) or _render(case)


@bp.route("/cases/<int:case_id>/team/assignee", methods=["POST"])
@roles(*OFFICE)
def change_assignee(case_id: int):
    case = get_case_or_404(case_id, need="change")
    if (closed := _closed(case)) is not None:
        return closed
    form = AssigneeForm()
    form.assignee_id.choices = person_options(office_members(), blank=_("未割当"))
    if form.validate_on_submit():
        actor, behalf = acting_principal(case, OFFICE_ROLES)
        try:
            changed = assign(db.session, case, actor, db.session.get(User, form.assignee_id.data),
                             expected_version=form.version.data, on_behalf_of=behalf)
        except StaleVersion:
            raise
        except WorkflowError as exc:
            _apply_errors(form, exc)
        else:
            if changed:
                flash(_("統括室担当を %(name)s さんに変更しました。", name=case.assignee.name),
                      "success")
            return redirect(url_for("office.team", case_id=case.id))
    check_version(form)
    return _render(case, assignee_form=form)


@bp.route("/cases/<int:case_id>/team/supporters", methods=["POST"])
@roles(*OFFICE)
def add_supporter_view(case_id: int):
    case = get_case_or_404(case_id, need="change")
    if (closed := _closed(case)) is not None:
        return closed
    kind = next((k for k in SUPPORTER_KINDS if f"{k}-kind" in request.form), None)
    if kind is None:
        abort(400)
    form = SupporterForm(prefix=kind)
    users = {"office": office_members(), "expert": experts()}.get(kind, [])
    form.user_id.choices = person_options(users, blank="")
    if form.validate_on_submit():
        actor, behalf = acting_principal(case, OFFICE_ROLES)
        user = db.session.get(User, form.user_id.data) if form.user_id.data else None
        try:
            supporter = add_supporter(
                db.session, case, actor, kind=kind, user=user,
                organization=form.organization.data or "", note=form.note.data or "",
                expected_version=form.version.data, on_behalf_of=behalf)
        except StaleVersion:
            raise
        except WorkflowError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("支援者を追加しました：%(name)s", name=supporter.display_name), "success")
            return redirect(url_for("office.team", case_id=case.id))
    check_version(form)
    return _render(case, failed=form)


@bp.route("/cases/<int:case_id>/team/supporters/<int:supporter_id>/remove", methods=["POST"])
@roles(*OFFICE)
def remove_supporter_view(case_id: int, supporter_id: int):
    case = get_case_or_404(case_id, need="change")
    if (closed := _closed(case)) is not None:
        return closed
    supporter = db.session.scalar(select(Supporter).where(
        Supporter.id == supporter_id, Supporter.case_id == case.id))
    if supporter is None:
        abort(404)
    form = RemoveSupporterForm()
    if not form.validate_on_submit():
        abort(400)
    actor, behalf = acting_principal(case, OFFICE_ROLES)
    name = supporter.display_name
    try:
        remove_supporter(db.session, case, actor, supporter, expected_version=form.version.data,
                         on_behalf_of=behalf)
    except StaleVersion:
        raise
    except WorkflowError as exc:
        flash(exc.message(lang()), "error")
    else:
        flash(_("支援者から外しました：%(name)s", name=name), "success")
    return redirect(url_for("office.team", case_id=case.id))
