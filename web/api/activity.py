"""A case's moves and history over the API: transitions, events, comments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from web.api.auth import api_roles, api_user
from web.api.blueprint import bp
from web.api.inputs import json_body, typed_fields, visible_case
from web.api.serializers import case_json, comment_json, event_json, transition_json
from web.authz import ALL_ROLES
from web.extensions import db
from workflow import engine
from workflow.comments import KINDS, add_comment
from workflow.models import AuditEvent, Comment
from workflow.states import TRANSITIONS

# Roles some transition allows; others are refused before the case is even looked at.
FIRING_ROLES = tuple(sorted({r for t in TRANSITIONS for r in t.roles}))
COMMENTER_ROLES = ("requester", "dept_manager", "office", "office_lead", "expert")


@bp.get("/cases/<int:case_id>/transitions")
@api_roles(*ALL_ROLES)
def list_transitions(case_id: int):
    case = visible_case(case_id)
    options = engine.available_transitions(db.session, case, api_user())
    return {"case_id": case.id, "state": case.state, "version": case.version,
            "items": [transition_json(o) for o in options]}


@bp.post("/cases/<int:case_id>/transitions/<trigger>")
@api_roles(*FIRING_ROLES)
def fire_transition(case_id: int, trigger: str):
    case = visible_case(case_id)
    fields = typed_fields(json_body(), {"comment": (str, None), "expected_version": int},
                          required=("expected_version",))
    result = engine.fire(db.session, case, trigger, api_user(), comment=fields.get("comment"),
                         expected_version=fields["expected_version"], data={"via": "api"})
    return {
        "transition": {"trigger": result.trigger, "from_state": result.from_state,
                       "to_state": result.to_state, "version": result.version,
                       "event_id": result.event_id},
        "case": case_json(case),
    }


@bp.get("/cases/<int:case_id>/events")
@api_roles(*ALL_ROLES)
def list_events(case_id: int):
    case = visible_case(case_id)
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.on_behalf_of))
        .where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    ).all()
    return {"items": [event_json(e) for e in events]}


@bp.get("/cases/<int:case_id>/comments")
@api_roles(*ALL_ROLES)
def list_comments(case_id: int):
    case = visible_case(case_id)
    comments = db.session.scalars(
        select(Comment).options(joinedload(Comment.author), joinedload(Comment.on_behalf_of))
        .where(Comment.case_id == case.id).order_by(Comment.id)
    ).all()
    return {"items": [comment_json(c) for c in comments]}


@bp.post("/cases/<int:case_id>/comments")
@api_roles(*COMMENTER_ROLES)
def add_comment_(case_id: int):
    case = visible_case(case_id)
    fields = typed_fields(json_body(), {"body": str, "kind": str}, required=("body",))
    comment = add_comment(db.session, case, api_user(), fields["body"],
                          kind=fields.get("kind", KINDS[0]))
    return comment_json(comment), 201
