"""The triage desk: open a new consultation beside the queue, accept it, write and send the
proposal there, and go on to the next one.

Every answer is a redirect back to the desk (``/office/triage?open=…``): without JavaScript
that is an ordinary page load, with it office.js fetches the same page and swaps the queue
and the panel in place, so accepting and proposing never leave the page.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from web.authz import acting_principal, get_case_or_404, principals, roles, visible_cases_clause
from web.errors import render_error
from web.extensions import db
from web.i18n import lang
from web.office.blueprint import bp
from web.office.forms import IntakeForm, ProposalForm, check_version, person_options
from web.office.queries import office_members
from web.request_input import parse_int
from workflow import engine
from workflow.cases import update_case
from workflow.errors import StaleVersion, WorkflowError
from workflow.models import OFFICE_ROLES, Case, User
from workflow.office import assign
from workflow.states import BY_TRIGGER

# A proposal is written while the case is in hearing or proposing; these moves follow.
PROPOSAL_MOVES = {
    "consultation_submitted": ("accept", "draft_proposal", "send_proposal"),
    "consultation_hearing": ("draft_proposal", "send_proposal"),
    "consultation_proposing": ("send_proposal",),
}
DESK_STATES = tuple(PROPOSAL_MOVES)
MINE_LIMIT = 20


def may_fire(case: Case, trigger: str) -> bool:
    """Whether the user, or someone they stand in for, holds a role the move allows."""
    allowed = BY_TRIGGER[trigger].roles
    return any(p.role in allowed for p in principals())


def my_accepted() -> list[Case]:
    """Cases the user took on that still wait for their proposal (my accepted)."""
    ids = [p.id for p in principals() if p.role in OFFICE_ROLES]
    if not ids:
        return []
    return list(db.session.scalars(
        select(Case).where(visible_cases_clause(), Case.assignee_id.in_(ids),
                           Case.state.in_(("consultation_hearing", "consultation_proposing")))
        .options(joinedload(Case.department))
        .order_by(func.coalesce(Case.submitted_at, Case.created_at), Case.id)
        .limit(MINE_LIMIT)
    ))


def desk_url(open_id: int | None = None, done: int | None = None) -> str:
    args = {k: v for k, v in (("open", open_id), ("done", done)) if v}
    return url_for("office.triage", **args)


def next_consultation(after: Case) -> Case | None:
    """The next case waiting in the queue (urgent first, then the longest waiting)."""
    return db.session.scalar(
        select(Case).where(visible_cases_clause(), Case.state == "consultation_submitted",
                           Case.id != after.id)
        .order_by((Case.priority == "urgent").desc(),
                  func.coalesce(Case.submitted_at, Case.created_at), Case.id)
        .limit(1)
    )


def _fire_moves(case: Case, triggers, comment: str | None = None) -> None:
    """Fire each move in turn inside the caller's transaction (nothing commits until the end)."""
    for trigger in triggers:
        actor, behalf = acting_principal(case, BY_TRIGGER[trigger].roles)
        engine.fire(db.session, case, trigger, actor, expected_version=case.version,
                    on_behalf_of=behalf, comment=comment if trigger == "accept" else None,
                    commit=False)


def _save_text(case: Case, text: str, version: int) -> None:
    actor, behalf = acting_principal(case, OFFICE_ROLES)
    update_case(db.session, case, actor, {"proposal_text": text}, expected_version=version,
                on_behalf_of=behalf, commit=False)


def _form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


@bp.route("/triage/<int:case_id>/take", methods=["POST"])
@roles("office", "office_lead")
def take(case_id: int):
    """Accept a new consultation with its assignee, and send the proposal too when asked."""
    case = get_case_or_404(case_id, need="change")
    form = IntakeForm()
    form.assignee_id.choices = person_options(office_members(), blank="")
    if not form.validate_on_submit():
        check_version(form)
        _form_errors(form)
        return redirect(desk_url(case.id))
    if case.state != "consultation_submitted":
        flash(_("%(number)s はすでに受付済みです。", number=case.number), "info")
        return redirect(desk_url(case.id))
    send = bool(form.accept_and_send.data)
    text = (form.proposal_text.data or "").strip()
    if send and not text:
        flash(_("提案を送るには提案内容を入力してください。"), "error")
        return redirect(desk_url(case.id))
    version = form.version.data
    try:
        if text != (case.proposal_text or ""):
            _save_text(case, text, version)
            version = case.version
        if form.assignee_id.data:
            assignee = db.session.get(User, form.assignee_id.data)
            assign(db.session, case, acting_principal(case, OFFICE_ROLES)[0], assignee,
                   expected_version=version, on_behalf_of=acting_principal(case, OFFICE_ROLES)[1],
                   commit=False)
        _fire_moves(case, PROPOSAL_MOVES["consultation_submitted"] if send else ("accept",))
        db.session.commit()
    except StaleVersion as exc:
        db.session.rollback()
        return render_error(409, exc.message(lang()))
    except WorkflowError as exc:
        db.session.rollback()
        flash(_("%(number)s：%(reason)s", number=case.number, reason=exc.message(lang())), "error")
        return redirect(desk_url(case.id))
    name = case.assignee.name if case.assignee else "—"
    if send:
        flash(_("%(number)s を受け付けて提案を送りました（担当：%(name)s）。",
                number=case.number, name=name), "success")
        following = next_consultation(case)
        return redirect(desk_url(following.id if following else None, done=case.id))
    flash(_("%(number)s を受け付けました（担当：%(name)s）。", number=case.number, name=name),
          "success")
    return redirect(desk_url(case.id, done=case.id))


@bp.route("/triage/<int:case_id>/propose", methods=["POST"])
@roles("office", "office_lead")
def propose(case_id: int):
    """Save an accepted case's proposal, or save and send it in one step."""
    case = get_case_or_404(case_id, need="change")
    form = ProposalForm()
    if not form.validate_on_submit():
        check_version(form)
        _form_errors(form)
        return redirect(desk_url(case.id))
    if case.state not in ("consultation_hearing", "consultation_proposing"):
        flash(_("提案を作成・編集できるのは「ヒアリング」「提案作成」の段階の案件です。"), "info")
        return redirect(desk_url(None))
    try:
        _save_text(case, form.proposal_text.data or "", form.version.data)
        if form.save_and_send.data:
            _fire_moves(case, PROPOSAL_MOVES[case.state])
        db.session.commit()
    except StaleVersion as exc:
        db.session.rollback()
        return render_error(409, exc.message(lang()))
    except WorkflowError as exc:
        db.session.rollback()
        flash(_("%(number)s：%(reason)s", number=case.number, reason=exc.message(lang())), "error")
        return redirect(desk_url(case.id))
    if not form.save_and_send.data:
        flash(_("提案を保存しました。"), "success")
        return redirect(desk_url(case.id))
    flash(_("%(number)s の提案を送りました。所管部局での検討を待ちます。", number=case.number),
          "success")
    following = next_consultation(case)
    return redirect(desk_url(following.id if following else None, done=case.id))


@bp.route("/triage/<int:case_id>/draft", methods=["POST"])
@roles("office", "office_lead")
def save_draft(case_id: int):
    """The automatic draft save of the proposal text: JSON with the new version, for the page
    to keep its optimistic lock current."""
    case = get_case_or_404(case_id, need="change")
    form = ProposalForm()
    if not form.validate_on_submit():
        if form.version.errors:
            return jsonify(error=_("画面を再読み込みしてください。")), 400
        return jsonify(error=" ".join(m for e in form.errors.values() for m in e)), 400
    if case.state not in DESK_STATES:
        return jsonify(error=_("この案件の提案は現在編集できません。")), 409
    try:
        _save_text(case, form.proposal_text.data or "", form.version.data)
        db.session.commit()
    except StaleVersion:
        db.session.rollback()
        return jsonify(error=_("他の人が先に変更しました。画面を再読み込みしてください。")), 409
    except WorkflowError as exc:
        db.session.rollback()
        return jsonify(error=exc.message(lang())), 409
    return jsonify(version=case.version, saved=_("下書きを自動保存しました。"))


def desk_panel(open_id: int | None):
    """What the side panel shows for ``?open=``: the case, its similar cases and its forms."""
    from workflow.queries.similar import similar_cases

    if open_id is None:
        return None
    case = db.session.scalar(select(Case).where(Case.id == open_id, visible_cases_clause()))
    if case is None:
        return None
    panel = {"case": case, "similar": similar_cases(db.session, case, limit=5,
                                                    viewer=principals())}
    if case.state == "consultation_submitted":
        form = IntakeForm(formdata=None, obj=case)
        form.assignee_id.choices = person_options(office_members())
        me = next((p.id for p in principals() if p.role in OFFICE_ROLES), None)
        form.assignee_id.data = case.assignee_id or case.department.liaison_id or me
        panel["intake"] = form
        panel["may_send"] = all(may_fire(case, t) for t in PROPOSAL_MOVES[case.state])
    elif case.state in DESK_STATES:
        panel["proposal"] = ProposalForm(formdata=None, obj=case)
        panel["may_send"] = all(may_fire(case, t) for t in PROPOSAL_MOVES[case.state])
    return panel


def request_open_id() -> int | None:
    return parse_int(request.args.get("open"))


def request_done_case() -> Case | None:
    case_id = parse_int(request.args.get("done"))
    if case_id is None:
        return None
    return db.session.scalar(select(Case).where(Case.id == case_id, visible_cases_clause()))
