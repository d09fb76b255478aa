"""Writing the office's proposal (提案), with similar past cases at hand to cite."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from web.authz import acting_principal, get_case_or_404, principals, roles
from web.cases.forms import TransitionForm
from web.extensions import db
from web.i18n import lang
from web.office import bp
from web.office.forms import ProposalForm
from workflow import engine
from workflow.cases import update_case
from workflow.errors import InvalidInput, StaleVersion, WorkflowError
from workflow.models import OFFICE_ROLES, Case
from workflow.similar import similar_cases
from workflow.states import BY_TRIGGER

PROPOSAL_STATES = ("consultation_hearing", "consultation_proposing")
# The moves that belong on this page: into proposing, and sending the proposal.
PROPOSAL_TRIGGERS = ("draft_proposal", "send_proposal")


def _options(case: Case) -> list:
    """The proposal moves the user (or someone they stand in for) may make, with guard reasons."""
    found = {}
    for principal in principals():
        for option in engine.available_transitions(db.session, case, principal):
            if option.trigger in PROPOSAL_TRIGGERS and option.trigger not in found:
                found[option.trigger] = (option, principal)
    return [found[t] for t in PROPOSAL_TRIGGERS if t in found]


def _send(case: Case) -> str | None:
    """Fire send_proposal; the reason it was refused, or None when it went out."""
    transition = BY_TRIGGER["send_proposal"]
    actor, behalf = acting_principal(case, transition.roles)
    try:
        engine.fire(db.session, case, "send_proposal", actor, expected_version=case.version,
                    on_behalf_of=behalf)
    except StaleVersion:
        raise
    except WorkflowError as exc:
        return exc.message(lang())
    return None


@bp.route("/cases/<int:case_id>/proposal", methods=["GET", "POST"])
@roles("office", "office_lead")
def proposal(case_id: int):
    case = get_case_or_404(case_id, need="change")
    if case.state not in PROPOSAL_STATES:
        flash(_("提案を作成・編集できるのは「ヒアリング」「提案作成」の段階の案件です。"), "info")
        return redirect(url_for("cases.detail", case_id=case.id))
    form = ProposalForm(obj=case)
    if form.validate_on_submit():
        actor, behalf = acting_principal(case, OFFICE_ROLES)
        try:
            update_case(db.session, case, actor, {"proposal_text": form.proposal_text.data or ""},
                        expected_version=form.version.data, on_behalf_of=behalf)
        except StaleVersion:
            raise
        except InvalidInput as exc:
            form.proposal_text.errors = [r.text(lang()) for r in exc.reasons]
        except WorkflowError as exc:
            flash(exc.message(lang()), "error")
        else:
            if form.save_and_send.data and case.state == "consultation_proposing":
                refused = _send(case)
                if refused is None:
                    flash(_("提案を保存して送りました。所管部局での検討を待ちます。"), "success")
                    return redirect(url_for("cases.detail", case_id=case.id, _anchor="proposal"))
                flash(_("提案を保存しましたが、送れませんでした：%(reason)s", reason=refused),
                      "error")
            else:
                flash(_("提案を保存しました。"), "success")
            return redirect(url_for("office.proposal", case_id=case.id))
    elif not form.is_submitted():
        form.version.data = case.version
    similar = similar_cases(db.session, case, limit=8, viewer=principals())
    return render_template("office/proposal.html", case=case, form=form, similar=similar,
                           options=_options(case), transition_form=TransitionForm())
