"""Creating and managing user accounts (CLI and admin screens share these rules)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from workflow.errors import InvalidInput
from workflow.models import BUREAU_ROLES, ROLES, AuditEvent, Department, User, utcnow
from workflow.passwords import hash_password, password_problems
from workflow.states import Reason

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def find_department(session: Session, ref: str) -> Department | None:
    """A department by code, Japanese or English name."""
    ref = ref.strip()
    return session.scalar(select(Department).where(
        or_(Department.code == ref, Department.name == ref, func.lower(Department.name_en) == ref.lower())
    ))


def create_user(session: Session, *, email: str, name: str, role: str, password: str,
                department: Department | None = None, language: str = "ja",
                actor: User | None = None, now: datetime | None = None,
                check_password: bool = True) -> User:
    """Validate and add a user with its audit event; raises ``InvalidInput`` per bad field."""
    errors: dict[str, list[Reason]] = {}
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        errors["email"] = [Reason("invalid_email", "メールアドレスの形式が正しくありません",
                                  "The e-mail address is not valid")]
    elif session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors["email"] = [Reason("duplicate_email", "このメールアドレスは既に登録されています",
                                  "This e-mail address is already registered")]
    if not name.strip():
        errors["name"] = [Reason("missing_name", "氏名を入力してください", "Enter a name")]
    if role not in ROLES:
        errors["role"] = [Reason("invalid_role", f"役割は次から選んでください：{', '.join(ROLES)}",
                                 f"Role must be one of: {', '.join(ROLES)}")]
    elif role in BUREAU_ROLES and department is None:
        errors["department"] = [Reason("missing_department", "部局の職員には所属部局が必要です",
                                       "Bureau staff need a department")]
    if check_password:
        problems = password_problems(password)
        if problems:
            errors["password"] = [Reason("weak_password", ja, en) for ja, en in problems]
    if errors:
        raise InvalidInput(errors)
    user = User(email=email, name=name.strip(), role=role, language=language,
                department_id=department.id if department else None,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record(session, "user_admin", actor, data={"action": "create", "user": email, "role": role},
           now=now)
    session.commit()
    return user


def deactivate_user(session: Session, user: User, actor: User | None = None) -> None:
    user.active = False
    record(session, "user_admin", actor, data={"action": "deactivate", "user": user.email})
    session.commit()


def record(session: Session, kind: str, actor: User | None, *, data: dict | None = None,
           case_id: int | None = None, comment: str | None = None,
           now: datetime | None = None, on_behalf_of: User | None = None,
           case_version: int | None = None) -> None:
    """Append an audit event that is not a transition (edits, sign-ins, admin actions, ...)."""
    session.execute(insert(AuditEvent).values(
        kind=kind, actor_id=actor.id if actor else None, case_id=case_id, data=data,
        comment=comment, created_at=now or utcnow(), case_version=case_version,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
    ))
