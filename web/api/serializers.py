"""Domain objects as the JSON documents the OpenAPI description promises (web/api/openapi.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import url_for

from web.i18n import lang
from workflow.engine import Option
from workflow.models import AuditEvent, Case, Comment, Kpi, Plan, Review, User
from workflow.states import phase_of, state_label


def when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def person(user: User | None) -> dict | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def case_json(case: Case) -> dict:
    dept = case.department
    return {
        "id": case.id,
        "number": case.number,
        "title": case.title,
        "fiscal_year": case.fiscal_year,
        "state": case.state,
        "state_label": state_label(case.state, lang()),
        "phase": phase_of(case.state).name,
        "department": {"id": dept.id, "code": dept.code,
                       "name": dept.name_en if lang() == "en" and dept.name_en else dept.name},
        "requester": person(case.requester),
        "assignee": person(case.assignee),
        "case_type": case.case_type,
        "priority": case.priority,
        "category": case.category,
        "values": list(case.values or []),
        "description": case.description,
        "current_problem": case.current_problem,
        "desired_outcome": case.desired_outcome,
        "proposal_text": case.proposal_text,
        "hold_return_state": case.hold_return_state,
        "version": case.version,
        "created_at": when(case.created_at),
        "updated_at": when(case.updated_at),
        "submitted_at": when(case.submitted_at),
        "closed_at": when(case.closed_at),
        "links": {
            "self": url_for("api.get_case", case_id=case.id),
            "transitions": url_for("api.list_transitions", case_id=case.id),
            "events": url_for("api.list_events", case_id=case.id),
            "comments": url_for("api.list_comments", case_id=case.id),
            "kpis": url_for("api.get_kpis", case_id=case.id),
            "html": url_for("cases.detail", case_id=case.id),
        },
    }


def transition_json(option: Option) -> dict:
    t = option.transition
    return {
        "trigger": t.trigger,
        "label": t.label(lang()),
        "allowed": option.allowed,
        "comment_required": t.comment_required,
        "blocked_reasons": [{"code": r.code, "message": r.text(lang())} for r in option.reasons],
    }


def event_json(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "kind": event.kind,
        "trigger": event.trigger,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "case_version": event.case_version,
        "actor": person(event.actor),
        "on_behalf_of": person(event.on_behalf_of),
        "comment": event.comment,
        "data": event.data,
        "created_at": when(event.created_at),
    }


def comment_json(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "kind": comment.kind,
        "body": comment.body,
        "author": person(comment.author),
        "on_behalf_of": person(comment.on_behalf_of),
        "created_at": when(comment.created_at),
    }


def kpi_json(kpi: Kpi) -> dict:
    return {
        "id": kpi.id,
        "name": kpi.name,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "baseline": number(kpi.baseline),
        "baseline_text": kpi.baseline_text,
        "baseline_label": kpi.baseline_label,
        "outcome": kpi.outcome,
        "note": kpi.note,
        "owner": person(kpi.owner),
        "targets": [{
            "fiscal_year": t.fiscal_year,
            "value": number(t.value),
            "text": t.text,
            "original_value": number(t.original_value) if t.is_revised else number(t.value),
            "original_text": t.original_text if t.is_revised else t.text,
            "revised": t.is_revised,
            "revised_at": when(t.revised_at),
        } for t in kpi.targets],
        "actuals": [{
            "fiscal_year": a.fiscal_year,
            "period": a.period,
            "value": number(a.value),
            "text": a.text,
            "recorded_at": when(a.recorded_at),
        } for a in kpi.actuals],
    }


def plan_json(case: Case, plan: Plan | None) -> dict:
    return {
        "case_id": case.id,
        "case_version": case.version,
        "plan": None if plan is None else {
            "kgi": plan.kgi,
            "kgi_note": plan.kgi_note,
            "outcome": plan.outcome,
            "approved_at": when(plan.approved_at),
            "review_cadence": plan.review_cadence,
        },
        "kpis": [kpi_json(k) for k in (plan.kpis if plan else [])],
    }


def review_json(review: Review, case: Case) -> dict:
    return {
        "id": review.id,
        "case": {"id": case.id, "number": case.number, "title": case.title,
                 "state": case.state},
        "fiscal_year": review.fiscal_year,
        "period": review.period,
        "due_date": when(review.due_date),
        "status": review.status,
        "assessment": review.assessment,
        "comment": review.comment,
        "next_actions": review.next_actions,
        "owner": person(review.owner),
        "submitted_at": when(review.submitted_at),
        "submitted_by": person(review.submitted_by),
    }
