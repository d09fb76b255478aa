"""The Digital Office's own records on a case: who is assigned and who supports it.

Each change bumps the case version (optimistic lock) and appends one audit event, in the
caller's transaction; ``bulk_assign`` reassigns several cases all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow import access
from workflow.cases import bump_version
from workflow.errors import AccessDenied, InvalidInput, StaleVersion
from workflow.models import OFFICE_ROLES, Case, Supporter, User, utcnow
from workflow.people.audit import record
from workflow.states import CLOSED_STATES, Reason
from workflow.vocabulary import SUPPORTER_KINDS

MAX_NAME = 200


def _invalid(field: str, code: str, ja: str, en: str) -> InvalidInput:
    return InvalidInput({field: [Reason(code, ja, en)]})


def _check_office(session: Session, case: Case, principal: User) -> None:
    if principal.role not in OFFICE_ROLES or not access.can_change(session, principal, case):
        raise AccessDenied("担当・支援体制を変更できるのはデジタル統括室です",
                           "Only the Digital Office may change who works on a case")
    if case.state in CLOSED_STATES:
        raise AccessDenied("完了した案件の体制は変更できません（再開してから変更してください）",
                           "A closed case's team cannot be changed; reopen it first")


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise StaleVersion(expected_version, case.version)


def _bump(session: Session, case: Case, expected_version: int | None, now: datetime,
          **values) -> int:
    version = bump_version(session, case, expected_version, now, **values)
    for key, value in {"version": version, "updated_at": now, **values}.items():
        set_committed_value(case, key, value)
    return version


def _finish(session: Session, commit: bool) -> None:
    if commit:
        session.commit()


def assign(session: Session, case: Case, actor: User, assignee: User, *,
           expected_version: int | None = None, on_behalf_of: User | None = None,
           now: datetime | None = None, commit: bool = True) -> bool:
    """Make ``assignee`` (an active office member) the case's office contact (統括室担当).

    Returns False, writing nothing, when they already are.
    """
    now = now or utcnow()
    _check_office(session, case, on_behalf_of or actor)
    if assignee is None or not assignee.active or assignee.role not in OFFICE_ROLES:
        raise _invalid("assignee_id", "invalid_assignee", "デジタル統括室の職員を選んでください",
                       "Choose a Digital Office member")
    _check_version(case, expected_version)
    if case.assignee_id == assignee.id:
        return False
    previous = case.assignee_id
    try:
        version = _bump(session, case, expected_version, now, assignee_id=assignee.id)
        session.expire(case, ["assignee"])
        record(session, "assigned", actor, case_id=case.id, case_version=version, now=now,
               on_behalf_of=on_behalf_of,
               data={"name": assignee.name, "from": previous, "to": assignee.id})
        _finish(session, commit)
    except BaseException:
        session.rollback()
        raise
    return True


def bulk_assign(session: Session, cases: Iterable[tuple[Case, int | None]], actor: User,
                assignee: User, *, on_behalf_of: User | None = None,
                now: datetime | None = None, commit: bool = True) -> int:
    """Reassign every (case, expected_version) to ``assignee`` in one transaction.

    All or nothing: one refused or stale case leaves every case as it was. Returns how many
    cases changed hands (those already with ``assignee`` are left alone).
    """
    now = now or utcnow()
    changed = 0
    try:
        for case, expected_version in cases:
            changed += assign(session, case, actor, assignee, expected_version=expected_version,
                              on_behalf_of=on_behalf_of, now=now, commit=False)
        _finish(session, commit)
    except BaseException:
        session.rollback()
        raise
    return changed


def _supporter_fields(session: Session, kind: str, user: User | None,
                      organization: str) -> tuple[User | None, str]:
    """Check who may be which kind of supporter; returns the (user, organization) to store."""
    if kind not in SUPPORTER_KINDS:
        raise _invalid("kind", "invalid_kind", "支援者の種類を選んでください",
                       "Choose the kind of supporter")
    if len(organization) > MAX_NAME:
        raise _invalid("organization", "name_too_long", f"{MAX_NAME}文字以内で入力してください",
                       f"Keep it within {MAX_NAME} characters")
    if user is not None and not user.active:
        raise _invalid("user_id", "inactive_user", "利用停止中のユーザーは選べません",
                       "This user is deactivated")
    if kind == "office":
        if user is None or user.role not in OFFICE_ROLES:
            raise _invalid("user_id", "office_user_required",
                           "デジタル統括室の職員を選んでください", "Choose a Digital Office member")
        return user, ""
    if kind == "expert":
        # A registered expert can then open the case; an unregistered one is recorded by name.
        if user is not None and user.role != "expert":
            raise _invalid("user_id", "expert_user_required",
                           "外部専門人材のユーザーを選んでください",
                           "Choose a user with the external expert role")
        if user is None and not organization:
            raise _invalid("organization", "expert_required",
                           "外部専門人材をユーザーから選ぶか、氏名を入力してください",
                           "Choose an expert user or enter the expert's name")
        return user, organization
    if not organization:
        ja, en = {
            "consultant": ("コンサルティング事業者名を入力してください",
                           "Enter the consulting firm's name"),
            "adviser": ("外部有識者の氏名を入力してください", "Enter the adviser's name"),
        }[kind]
        raise _invalid("organization", f"{kind}_name_required", ja, en)
    return None, organization


def add_supporter(session: Session, case: Case, actor: User, *, kind: str,
                  user: User | None = None, organization: str = "", note: str = "",
                  expected_version: int | None = None, on_behalf_of: User | None = None,
                  now: datetime | None = None, commit: bool = True) -> Supporter:
    """Add a supporter: office staff, a consulting firm, an external expert or an adviser."""
    now = now or utcnow()
    _check_office(session, case, on_behalf_of or actor)
    organization, note = (organization or "").strip(), (note or "").strip()[:MAX_NAME]
    user, organization = _supporter_fields(session, kind, user, organization)
    _check_version(case, expected_version)
    duplicate = session.scalar(select(Supporter.id).where(
        Supporter.case_id == case.id, Supporter.kind == kind,
        Supporter.user_id.is_(None) if user is None else Supporter.user_id == user.id,
        Supporter.organization == organization,
    ))
    if duplicate is not None:
        raise _invalid("organization" if user is None else "user_id", "duplicate_supporter",
                       "この支援者は既に登録されています", "This supporter is already on the case")
    try:
        supporter = Supporter(case_id=case.id, kind=kind, user_id=user.id if user else None,
                              organization=organization, note=note, added_at=now)
        session.add(supporter)
        session.flush()
        version = _bump(session, case, expected_version, now)
        session.expire(case, ["supporters"])
        name = user.name + (f"（{organization}）" if organization else "") if user else organization
        record(session, "supporter", actor, case_id=case.id, case_version=version, now=now,
               on_behalf_of=on_behalf_of,
               data={"name": name, "action": "added", "kind": kind, "supporter_id": supporter.id})
        _finish(session, commit)
    except BaseException:
        session.rollback()
        raise
    return supporter


def remove_supporter(session: Session, case: Case, actor: User, supporter: Supporter, *,
                     expected_version: int | None = None, on_behalf_of: User | None = None,
                     now: datetime | None = None, commit: bool = True) -> None:
    """Take a supporter off the case (the audit log keeps who it was)."""
    now = now or utcnow()
    _check_office(session, case, on_behalf_of or actor)
    if supporter.case_id != case.id:
        raise _invalid("supporter", "unknown_supporter", "この案件の支援者ではありません",
                       "Not a supporter of this case")
    _check_version(case, expected_version)
    name, kind = supporter.display_name, supporter.kind
    try:
        session.delete(supporter)
        session.flush()
        version = _bump(session, case, expected_version, now)
        session.expire(case, ["supporters"])
        record(session, "supporter", actor, case_id=case.id, case_version=version, now=now,
               on_behalf_of=on_behalf_of, data={"name": name, "action": "removed", "kind": kind})
        _finish(session, commit)
    except BaseException:
        session.rollback()
        raise
