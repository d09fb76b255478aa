"""Creating and editing cases: validated fields, case numbers, a version check and an audit
event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow import access
from workflow.errors import AccessDenied, InvalidInput, StaleVersion
from workflow.models import BUREAU_ROLES, AuditEvent, Case, Department, User, utcnow
from workflow.numbering import next_case_number
from workflow.states import Reason
from workflow.vocabulary import CASE_TYPES, CATEGORIES, PRIORITIES, VALUES

EDITABLE_FIELDS = (
    "title", "case_type", "priority", "category", "values", "description",
    "current_problem", "desired_outcome", "proposal_text", "assignee_id", "department_id",
)
# States in which the bureau may still edit what it asked for.
BUREAU_EDITABLE_STATES = frozenset({"draft", "consultation_submitted", "consultation_hearing"})
MAX_TITLE = 200


def _invalid(field: str, ja: str, en: str) -> dict[str, list[Reason]]:
    return {field: [Reason(f"invalid_{field}", ja, en)]}


def validate_fields(session: Session, fields: dict) -> dict:
    """Normalise ``fields`` or raise ``InvalidInput`` naming each bad field."""
    errors: dict[str, list[Reason]] = {}
    clean = {}
    for key, value in fields.items():
        if key not in EDITABLE_FIELDS:
            errors.update(_invalid(key, f"項目「{key}」は変更できません",
                                   f"Field '{key}' cannot be set"))
            continue
        if value is None and not Case.__table__.c[key].nullable:
            # A form posted without the field (a script, a tampered page) must not reach the
            # NOT NULL column as NULL: that is a database error, not an answer.
            errors.update(_invalid(key, "この項目が送信されていません。画面を再読み込みして"
                                        "入力し直してください",
                                   "This field was not sent; reload the page and try again"))
            continue
        if isinstance(value, str):
            value = value.strip()
        clean[key] = value
    title = clean.get("title")
    if "title" in clean and not title:
        errors.update(_invalid("title", "件名を入力してください", "Enter a title"))
    elif title and len(title) > MAX_TITLE:
        errors.update(_invalid("title", f"件名は{MAX_TITLE}文字以内にしてください",
                               f"Keep the title within {MAX_TITLE} characters"))
    for key, vocabulary in (("case_type", CASE_TYPES), ("priority", PRIORITIES),
                            ("category", CATEGORIES)):
        if clean.get(key) and clean[key] not in vocabulary:
            errors.update(_invalid(key, "選択肢から選んでください", "Choose one of the options"))
        elif key == "category" and key in clean and not clean[key]:
            clean[key] = None
    if "values" in clean:
        values = list(dict.fromkeys(clean["values"] or []))
        if any(v not in VALUES for v in values):
            errors.update(_invalid("values", "選択肢から選んでください",
                                   "Choose one of the options"))
        clean["values"] = values
    if clean.get("department_id") is not None:
        dept = session.get(Department, clean["department_id"])
        if dept is None or not dept.active:
            errors.update(_invalid("department_id", "所管部局を選んでください",
                                   "Choose a department"))
    if clean.get("assignee_id") is not None:
        assignee = session.get(User, clean["assignee_id"])
        if assignee is None or not assignee.active or not assignee.is_office:
            errors.update(_invalid("assignee_id", "デジタル統括室の職員を選んでください",
                                   "Choose a Digital Office member"))
    if errors:
        raise InvalidInput(errors)
    return clean


def create_case(session: Session, actor: User, fields: dict, *, now: datetime | None = None,
                on_behalf_of: User | None = None, commit: bool = True,
                audit_data: dict | None = None) -> Case:
    """Create a draft case numbered for ``now``'s fiscal year, with its 'created' audit event.

    Cases that arrive in a later state come from ``workflow.interchange.importer`` (bulk, with
    an 'imported' event); a draft made here only moves on through ``engine.fire``.
    """
    now = now or utcnow()
    principal = on_behalf_of or actor
    fields = dict(fields)
    if principal.role in BUREAU_ROLES:
        fields.setdefault("department_id", principal.department_id)
        if fields["department_id"] != principal.department_id:
            raise AccessDenied("他の部局の案件は作成できません",
                               "You may only create your own bureau's cases")
    elif principal.role not in {"office", "office_lead"}:
        raise AccessDenied("案件を作成する権限がありません", "You may not create cases")
    clean = validate_fields(session, fields)
    if clean.get("department_id") is None:
        raise InvalidInput(_invalid("department_id", "所管部局を選んでください",
                                    "Choose a department"))
    try:
        fy, seq, number = next_case_number(session, now)
        case = Case(number=number, fiscal_year=fy, seq=seq, state="draft", version=1,
                    requester_id=principal.id if principal.role in BUREAU_ROLES else None,
                    created_at=now, updated_at=now, **clean)
        session.add(case)
        session.flush()
        session.execute(insert(AuditEvent).values(
            case_id=case.id, kind="created", to_state="draft", case_version=1, actor_id=actor.id,
            on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
            data=audit_data, created_at=now,
        ))
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


def may_edit_fields(session: Session, user: User, case: Case) -> bool:
    """Bureau staff edit their request early on; the office edits while the case is open."""
    if not access.can_change(session, user, case) or case.state.startswith("closed"):
        return False
    if user.role in BUREAU_ROLES:
        return case.state in BUREAU_EDITABLE_STATES
    return user.is_office


def bump_version(session: Session, case: Case, expected_version: int | None,
                 now: datetime, **values) -> int:
    """Write ``values`` on the case row only if nobody changed it since ``expected_version``."""
    version = case.version if expected_version is None else expected_version
    result = session.execute(
        update(Case.__table__)
        .where(Case.__table__.c.id == case.id, Case.__table__.c.version == version)
        .values(version=version + 1, updated_at=now, **values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise StaleVersion(version, None)
    for key, value in {"version": version + 1, "updated_at": now, **values}.items():
        set_committed_value(case, key, value)
    return version + 1


def update_case(session: Session, case: Case, actor: User, changes: dict, *,
                expected_version: int | None = None, on_behalf_of: User | None = None,
                now: datetime | None = None, commit: bool = True) -> dict:
    """Change fields of ``case``; returns {field: (old, new)} of what really changed."""
    now = now or utcnow()
    principal = on_behalf_of or actor
    if not may_edit_fields(session, principal, case):
        raise AccessDenied("この案件の内容は現在変更できません", "This case cannot be edited now")
    clean = validate_fields(session, changes)
    moved = clean.get("department_id", case.department_id) != case.department_id
    if principal.role in BUREAU_ROLES and moved:
        raise AccessDenied("所管部局は変更できません",
                           "You may not move the case to another bureau")
    if principal.role in BUREAU_ROLES:
        clean.pop("assignee_id", None)
    diff = {k: (getattr(case, k), v) for k, v in clean.items() if getattr(case, k) != v}
    if expected_version is not None and expected_version != case.version:
        raise StaleVersion(expected_version, case.version)
    if not diff:
        return {}
    try:
        version = bump_version(session, case, expected_version, now,
                               **{k: v for k, (_, v) in diff.items()})
        session.execute(insert(AuditEvent).values(
            case_id=case.id, kind="updated", case_version=version, actor_id=actor.id,
            on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
            data={k: [_jsonable(o), _jsonable(n)] for k, (o, n) in diff.items()}, created_at=now,
        ))
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(case)
    return diff


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool, list)):
        return value
    return str(value)
