"""Writing the office's proposal (提案), with similar past cases at hand to cite."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.authz import acting_principal, get_case_or_404, principals, roles
from web.extensions import db
from web.i18n import lang
from web.office.blueprint import bp
from web.office.forms import ProposalForm, check_version
from workflow import engine
from workflow.cases import update_case
from workflow.errors import InvalidInput, StaleVersion, WorkflowError
from workflow.models import OFFICE_ROLES, Case
from workflow.queries.similar import similar_cases
from workflow.states import BY_TRIGGER

# The state the proposal is written in → the move that follows saving it, and its button.
NEXT_MOVE = {
    "consultation_hearing": ("draft_proposal", _l("保存して提案作成に進む")),
    "consultation_proposing": ("send_proposal", _l("保存して提案を送る")),
}


def _next_option(case: Case):
    """The move after saving, if the user (or whom they stand in for) may make it."""
    trigger = NEXT_MOVE[case.state][0]
    for principal in principals():
        for option in engine.available_transitions(db.session, case, principal):
            if option.trigger == trigger:
                return option
    return None


def _move_on(case: Case, trigger: str) -> str | None:
    """Fire the next move; the reason it was refused, or None when it happened."""
    actor, behalf = acting_principal(case, BY_TRIGGER[trigger].roles)
    try:
        engine.fire(db.session, case, trigger, actor, expected_version=case.version,
                    on_behalf_of=behalf)
    except StaleVersion:
        raise
    except WorkflowError as exc:
        return exc.message(lang())
    return None


def _save(case: Case, form: ProposalForm):
    """Save the text, then make the next move when asked to; returns the redirect."""
    actor, behalf = acting_principal(case, OFFICE_ROLES)
    update_case(db.session, case, actor, {"proposal_text": form.proposal_text.data or ""},
                expected_version=form.version.data, on_behalf_of=behalf)
    if not form.save_and_send.data:
        flash(_("提案を保存しました。"), "success")
        return redirect(url_for("office.proposal", case_id=case.id))
    trigger = NEXT_MOVE[case.state][0]
    refused = _move_on(case, trigger)
    if refused is not None:
        flash(_("提案を保存しましたが、次に進めませんでした：%(reason)s", reason=refused), "error")
    elif trigger == "send_proposal":
        flash(_("提案を保存して送りました。所管部局での検討を待ちます。"), "success")
        return redirect(url_for("cases.detail", case_id=case.id, _anchor="proposal"))
    else:
        flash(_("提案を保存し、「提案作成」に進みました。仕上がったら部局へ送ってください。"),
              "success")
    return redirect(url_for("office.proposal", case_id=case.id))


@bp.route("/cases/<int:case_id>/proposal", methods=["GET", "POST"])
@roles("office", "office_lead")
def proposal(case_id: int):
    case = get_case_or_404(case_id, need="change")
    if case.state not in NEXT_MOVE:
        flash(_("提案を作成・編集できるのは「ヒアリング」「提案作成」の段階の案件です。"), "info")
        return redirect(url_for("cases.detail", case_id=case.id))
    form = ProposalForm(obj=case)
    if form.validate_on_submit():
        try:
            return _save(case, form)
        except StaleVersion:
            raise
        except InvalidInput as exc:
            form.proposal_text.errors = [r.text(lang()) for r in exc.reasons]
        except WorkflowError as exc:
            flash(exc.message(lang()), "error")
    check_version(form)
    option = _next_option(case)
    form.save_and_send.label.text = str(NEXT_MOVE[case.state][1])
    similar = similar_cases(db.session, case, limit=8, viewer=principals())
    return render_template("office/proposal.html", case=case, form=form, similar=similar,
                           next_option=option)
