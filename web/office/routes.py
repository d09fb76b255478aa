"""Digital Office: the case board with bulk reassignment, and the triage queue of new cases."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from web.authz import (
    acting_principal,
    get_case_or_404,
    principals,
    roles,
    today,
    visible_cases_clause,
)
from web.errors import render_error
from web.extensions import db
from web.i18n import lang
from web.office import intake
from web.office.blueprint import bp
from web.office.forms import BulkAssignForm, TriageForm, check_version, person_options
from web.office.queries import (
    COLUMNS,
    BoardFilters,
    board_counts,
    board_tiles,
    departments,
    fiscal_years,
    office_members,
    triage_queue,
)
from web.request_input import parse_int
from workflow import engine
from workflow.business_days import business_days_between
from workflow.errors import StaleVersion, WorkflowError
from workflow.fiscal import TOKYO
from workflow.models import OFFICE_ROLES, Case, User
from workflow.office import assign, bulk_assign
from workflow.states import BY_TRIGGER

BOARD_ROLES = ("office", "office_lead", "executive")
TRIAGE_ACTIONS = ("accept", "send_back", "reject")


def _may_reassign() -> bool:
    return any(p.role in OFFICE_ROLES for p in principals())


@bp.route("/board")
@roles(*BOARD_ROLES)
def board():
    filters = BoardFilters.from_request(request)
    members = office_members()
    form = None
    if _may_reassign():
        form = BulkAssignForm()
        form.assignee_id.choices = person_options(members, blank=_("担当者を選ぶ"))
    return render_template(
        "office/board.html", filters=filters, columns=COLUMNS, tiles=board_tiles(filters),
        counts=board_counts(filters), members=members, departments=departments(),
        fiscal_years=fiscal_years(), form=form, today=today(),
    )


def _selected_cases() -> list[tuple[int, int]] | None:
    """The ticked tiles as (case id, version the board showed); None when one is malformed."""
    selected = []
    for value in request.form.getlist("case_ids"):
        case_id, _sep, version = value.partition(":")
        case_id, version = parse_int(case_id), parse_int(version)
        if case_id is None or version is None:
            return None
        selected.append((case_id, version))
    return selected


@bp.route("/board/assign", methods=["POST"])
@roles("office", "office_lead")
def reassign():
    filters = BoardFilters.from_request(request)
    back = redirect(url_for("office.board", **filters.args()))
    form = BulkAssignForm()
    form.assignee_id.choices = person_options(office_members(), blank=_("担当者を選ぶ"))
    selected = _selected_cases()
    if selected is None:
        return render_error(400)
    if not selected:
        flash(_("担当を変更する案件を選んでください。"), "error")
        return back
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return back
    versions = dict(selected)
    cases = db.session.scalars(
        select(Case).where(Case.id.in_(versions), visible_cases_clause()).order_by(Case.id)
    ).all()
    if len(cases) != len(versions):
        flash(_("選択した案件の一部が見つかりません。画面を再読み込みしてください。"), "error")
        return back
    assignee = db.session.get(User, form.assignee_id.data)
    actor, behalf = acting_principal(cases[0], OFFICE_ROLES)
    try:
        changed = bulk_assign(db.session, [(c, versions[c.id]) for c in cases], actor, assignee,
                              on_behalf_of=behalf)
    except StaleVersion:
        return render_error(409, _("選択した案件のうち、他の人が先に変更したものがあります。"
                                   "どの案件も変更していません。画面を再読み込みしてください。"))
    except WorkflowError as exc:
        flash(_("どの案件も変更していません：%(reason)s", reason=exc.message(lang())), "error")
        return back
    if changed:
        flash(_("%(count)s件の案件の担当を %(name)s さんに変更しました。",
                count=changed, name=assignee.name), "success")
    else:
        flash(_("選択した案件はすでに %(name)s さんの担当です。", name=assignee.name), "info")
    return back


@bp.route("/triage")
@roles("office", "office_lead")
def triage():
    page = triage_queue()
    members = office_members()
    me = next((p.id for p in principals() if p.role in OFFICE_ROLES), None)
    day = today()
    rows = []
    for case in page.items:
        submitted = (case.submitted_at or case.created_at).astimezone(TOKYO).date()
        form = TriageForm(formdata=None, version=case.version)
        form.assignee_id.choices = person_options(members)
        # Suggest who already has it, else the bureau's liaison (担当窓口), else oneself.
        form.assignee_id.data = case.assignee_id or case.department.liaison_id or me
        rows.append((case, business_days_between(submitted, day), form))
    my_roles = {p.role for p in principals()}
    allowed = {t: bool(BY_TRIGGER[t].roles & my_roles) for t in TRIAGE_ACTIONS}
    open_id = intake.request_open_id()
    return render_template("office/triage.html", rows=rows, allowed=allowed, page=page,
                           panel=intake.desk_panel(open_id), mine=intake.my_accepted(),
                           done=intake.request_done_case(), open_id=open_id)


@bp.route("/triage/<int:case_id>/<any(accept, send_back, reject):action>", methods=["POST"])
@roles("office", "office_lead")
def triage_action(case_id: int, action: str):
    case = get_case_or_404(case_id, need="change")
    transition = BY_TRIGGER[action]
    form = TriageForm()
    form.assignee_id.choices = person_options(office_members(), blank="")
    if not form.validate_on_submit():
        check_version(form)
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("office.triage"))
    actor, behalf = acting_principal(case, transition.roles)
    version = form.version.data
    try:
        if action == "accept" and form.assignee_id.data:
            assignee = db.session.get(User, form.assignee_id.data)
            assign(db.session, case, actor, assignee, expected_version=version,
                   on_behalf_of=acting_principal(case, OFFICE_ROLES)[1], commit=False)
            version = case.version
        engine.fire(db.session, case, action, actor, comment=form.comment.data,
                    expected_version=version, on_behalf_of=behalf)
    except StaleVersion as exc:
        db.session.rollback()
        return render_error(409, exc.message(lang()))
    except WorkflowError as exc:
        db.session.rollback()
        flash(_("%(number)s：%(reason)s", number=case.number, reason=exc.message(lang())), "error")
        return redirect(url_for("office.triage"))
    messages = {
        "accept": _("%(number)s を受け付けました（担当：%(name)s）。",
                    number=case.number, name=case.assignee.name if case.assignee else "—"),
        "send_back": _("%(number)s を相談者に差し戻しました。", number=case.number),
        "reject": _("%(number)s を対象外としました。", number=case.number),
    }
    flash(messages[action], "success")
    if action == "accept":
        # The accepted case leaves the queue but stays on the desk, ready for its proposal.
        return redirect(intake.desk_url(case.id, done=case.id))
    return redirect(url_for("office.triage"))
