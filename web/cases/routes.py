"""Bureau side: our cases, the consultation form, and the case page every role shares."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web.authz import ANY_SIGNED_IN, acting_principal, get_case_or_404, principals, roles
from web.cases.blueprint import bp
from web.cases.forms import CaseForm, CommentForm, TransitionForm
from web.cases.queries import CaseFilters, visible_cases
from web.extensions import db
from web.i18n import lang
from web.request_input import page_number, parse_int
from workflow import access, engine
from workflow.cases import create_case, may_edit_fields, update_case
from workflow.comments import add_comment, kinds_for
from workflow.errors import InvalidInput, WorkflowError
from workflow.models import Attachment, Case, Department, Review, Supporter
from workflow.plans import plan_for
from workflow.queries.timeline import case_timeline
from workflow.states import MAIN_PHASES

CREATOR_ROLES = ("requester", "office", "office_lead")
SORTS = {"updated": Case.updated_at.desc(), "number": Case.number.desc(), "title": Case.title}


def _departments():
    return db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.sort_order)
    ).all()


@bp.route("/")
@roles(*ANY_SIGNED_IN)
def index():
    filters = CaseFilters.from_request(request)
    sort = request.args.get("sort", "updated")
    stmt = visible_cases(filters).options(joinedload(Case.department), joinedload(Case.assignee))
    stmt = stmt.order_by(SORTS.get(sort, SORTS["updated"]), Case.id.desc())
    page = db.paginate(stmt, page=page_number(), per_page=30, error_out=False)
    return render_template("cases/index.html", page=page, filters=filters, sort=sort)


def _form_fields(form: CaseForm) -> dict:
    fields = {name: getattr(form, name).data for name in (
        "title", "case_type", "priority", "category", "values", "description", "current_problem",
        "desired_outcome")}
    if current_user.is_office and form.department_id.data is not None:
        fields["department_id"] = form.department_id.data
    return fields


def _apply_errors(form: CaseForm, exc: InvalidInput) -> None:
    for name, reasons in exc.field_errors.items():
        target = getattr(form, name, None)
        messages = [r.text(lang()) for r in reasons]
        if target is not None:
            target.errors = list(target.errors) + messages
        else:
            for m in messages:
                flash(m, "error")


def _submit(case: Case) -> bool:
    """Fire submit right after saving; guard reasons come back as messages on the form."""
    try:
        actor, behalf = acting_principal(case, {"requester"})
        engine.fire(db.session, case, "submit", actor, on_behalf_of=behalf)
    except WorkflowError as exc:
        for reason in exc.reasons:
            flash(reason.text(lang()), "error")
        return False
    flash(_("相談を提出しました。デジタル統括室が内容を確認します。"), "success")
    return True


@bp.route("/new", methods=["GET", "POST"])
@roles(*CREATOR_ROLES)
def new():
    form = CaseForm()
    form.set_choices(lang(), _departments())
    if request.method == "GET":
        form.case_type.data, form.priority.data = "dx_project", "normal"
        if current_user.department_id:
            form.department_id.data = current_user.department_id
    if form.validate_on_submit():
        try:
            case = create_case(db.session, current_user._get_current_object(), _form_fields(form))
        except InvalidInput as exc:
            _apply_errors(form, exc)
        else:
            if form.submit_case.data and current_user.role == "requester":
                _submit(case)
            else:
                flash(_("下書きを保存しました（%(number)s）。", number=case.number), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/form.html", form=form, case=None)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@roles(*CREATOR_ROLES, "dept_manager")
def edit(case_id: int):
    case = get_case_or_404(case_id, need="change")
    actor, behalf = acting_principal(case)
    if not may_edit_fields(db.session, behalf or actor, case):
        abort(403)
    form = CaseForm(obj=case if request.method == "GET" else None)
    form.set_choices(lang(), _departments())
    if request.method == "GET":
        form.version.data = case.version
    if form.validate_on_submit():
        version = parse_int(form.version.data)
        try:
            update_case(db.session, case, actor, _form_fields(form), expected_version=version,
                        on_behalf_of=behalf)
        except InvalidInput as exc:
            _apply_errors(form, exc)
        else:
            if form.submit_case.data and case.state == "draft":
                _submit(case)
            else:
                flash(_("保存しました。"), "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/form.html", form=form, case=case)


@bp.route("/<int:case_id>")
@roles(*ANY_SIGNED_IN)
def detail(case_id: int):
    case = get_case_or_404(case_id)
    options = []
    for principal in principals():
        for option in engine.available_transitions(db.session, case, principal):
            if option.trigger not in {o.trigger for o, _p in options}:
                options.append((option, principal))
    can_comment = any(access.can_comment(db.session, p, case) for p in principals())
    can_edit = any(may_edit_fields(db.session, p, case) for p in principals())
    supporters = db.session.scalars(
        select(Supporter).options(joinedload(Supporter.user)).where(Supporter.case_id == case.id)
    ).all()
    return render_template(
        "cases/detail.html", case=case, options=options, main_phases=MAIN_PHASES,
        timeline=case_timeline(db.session, case), plan=plan_for(db.session, case),
        supporters=supporters, can_comment=can_comment, can_edit=can_edit,
        comment_form=_comment_form(), transition_form=TransitionForm(),
        attachments=db.session.scalars(select(Attachment).where(Attachment.case_id == case.id)
                                       .order_by(Attachment.id)).all(),
        reviews=db.session.scalars(select(Review).where(Review.case_id == case.id)
                                   .order_by(Review.due_date)).all(),
    )


def _comment_form() -> CommentForm:
    form = CommentForm()
    form.offer_kinds(kinds_for(current_user._get_current_object(), *principals()))
    return form


@bp.route("/<int:case_id>/comments", methods=["POST"])
@roles("requester", "dept_manager", "office", "office_lead", "expert")
def comment(case_id: int):
    case = get_case_or_404(case_id, need="comment")
    form = _comment_form()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
        return redirect(url_for("cases.detail", case_id=case.id, _anchor="comment"))
    me = current_user._get_current_object()
    behalf = next((p for p in principals() if access.can_comment(db.session, p, case)), me)
    try:
        add_comment(db.session, case, me, form.body.data, kind=form.kind.data,
                    on_behalf_of=None if behalf.id == me.id else behalf)
    except WorkflowError as exc:
        flash(exc.message(lang()), "error")
    else:
        flash(_("コメントを投稿しました。"), "success")
    return redirect(url_for("cases.detail", case_id=case.id, _anchor="timeline"))
