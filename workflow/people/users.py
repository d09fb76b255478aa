"""User accounts and departments: the rules the CLI and the admin screens share.

Every change here appends an audit event (kind ``user_admin`` or ``department_admin``) whose
data names the action and its target, so the log reads without joining other tables.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow import lockouts
from workflow import sessions as user_sessions
from workflow.errors import InvalidInput
from workflow.models import BUREAU_ROLES, OFFICE_ROLES, ROLES, Department, User
from workflow.models.org import DEPARTMENT_KINDS
from workflow.people.audit import record
from workflow.people.passwords import hash_password, password_problems
from workflow.states import Reason

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LANGUAGES = ("ja", "en")
# No 0/O, 1/l/I: generated passwords are read out or copied from a screen.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105


def find_department(session: Session, ref: str) -> Department | None:
    """A department by code, Japanese or English name."""
    ref = ref.strip()
    return session.scalar(select(Department).where(
        or_(Department.code == ref, Department.name == ref,
            func.lower(Department.name_en) == ref.lower())
    ))


def generate_password() -> str:
    """A random password such as ``k7Qm-x3Fp-9dRt`` that passes ``password_problems``."""
    while True:
        groups = ["".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
        password = "-".join(groups)
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def _reason(code: str, ja: str, en: str) -> list[Reason]:
    return [Reason(code, ja, en)]


def _profile_errors(name: str, role: str, department: Department | None,
                    language: str) -> dict[str, list[Reason]]:
    errors: dict[str, list[Reason]] = {}
    if not name.strip():
        errors["name"] = _reason("missing_name", "氏名を入力してください", "Enter a name")
    elif len(name.strip()) > 100:
        errors["name"] = _reason("long_name", "氏名は100文字以内にしてください",
                                 "Use at most 100 characters")
    if role not in ROLES:
        errors["role"] = _reason("invalid_role", f"役割は次から選んでください：{', '.join(ROLES)}",
                                 f"Role must be one of: {', '.join(ROLES)}")
    elif role in BUREAU_ROLES and department is None:
        errors["department"] = _reason("missing_department", "部局の職員には所属部局が必要です",
                                       "Bureau staff need a department")
    if language not in LANGUAGES:
        errors["language"] = _reason("invalid_language", "表示言語は日本語か英語を選んでください",
                                     "Choose Japanese or English")
    return errors


def create_user(session: Session, *, email: str, name: str, role: str, password: str,
                department: Department | None = None, language: str = "ja",
                actor: User | None = None, now: datetime | None = None,
                check_password: bool = True) -> User:
    """Validate and add a user with its audit event; raises ``InvalidInput`` per bad field."""
    errors: dict[str, list[Reason]] = {}
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = _reason("invalid_email", "メールアドレスの形式が正しくありません",
                                  "The e-mail address is not valid")
    elif session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors["email"] = _reason("duplicate_email", "このメールアドレスは既に登録されています",
                                  "This e-mail address is already registered")
    errors.update(_profile_errors(name, role, department, language))
    if check_password:
        problems = password_problems(password, (name, email))
        if problems:
            errors["password"] = [Reason("weak_password", ja, en) for ja, en in problems]
    if errors:
        raise InvalidInput(errors)
    user = User(email=email, name=name.strip(), role=role, language=language,
                department_id=department.id if department else None,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record(session, "user_admin", actor, now=now, data={
        "action": "create", "target": email, "role": role,
        "department": department.name if department else None,
    })
    session.commit()
    return user


def update_user(session: Session, user: User, *, name: str, role: str,
                department: Department | None, language: str,
                actor: User | None = None, now: datetime | None = None) -> dict:
    """Change a user's profile; returns the changes as {field: [before, after]} (empty: nothing)."""
    errors = _profile_errors(name, role, department, language)
    if actor is not None and actor.id == user.id and role != user.role:
        # An administrator who demotes themself may lock everyone out of these screens.
        errors["role"] = _reason("own_role", "自分自身の役割は変更できません",
                                 "You cannot change your own role")
    if errors:
        raise InvalidInput(errors)
    changes: dict[str, list] = {}
    new_values = {"name": name.strip(), "role": role, "language": language}
    for field, value in new_values.items():
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    new_department_id = department.id if department else None
    if user.department_id != new_department_id:
        changes["department"] = [user.department.name if user.department else None,
                                 department.name if department else None]
        user.department_id = new_department_id
        user.department = department
    if changes:
        record(session, "user_admin", actor, now=now,
               data={"action": "update", "target": user.email, "changes": changes})
        if "role" in changes:
            # What the open sessions were allowed to see was decided under the old role.
            user_sessions.end_all(session, user, reason="role", actor=actor, now=now)
        session.commit()
    return changes


def deactivate_user(session: Session, user: User, actor: User | None = None) -> None:
    """Stop a user signing in; their cases, comments and history stay."""
    if actor is not None and actor.id == user.id:
        raise InvalidInput({"active": _reason(
            "own_account", "自分自身のアカウントは無効にできません",
            "You cannot deactivate your own account")})
    user.active = False
    record(session, "user_admin", actor, data={"action": "deactivate", "target": user.email})
    user_sessions.end_all(session, user, reason="deactivated", actor=actor)
    session.commit()


def reactivate_user(session: Session, user: User, actor: User | None = None) -> None:
    user.active = True
    lockouts.clear(session, user)
    record(session, "user_admin", actor, data={"action": "reactivate", "target": user.email})
    session.commit()


def unlock_user(session: Session, user: User, actor: User | None = None) -> None:
    """Lift every lock-out after repeated failed sign-ins (from any source address)."""
    lockouts.clear(session, user)
    record(session, "user_admin", actor, data={"action": "unlock", "target": user.email})
    session.commit()


def reset_password(session: Session, user: User, actor: User | None = None) -> str:
    """Give the user a generated password (returned once, stored only hashed); unlocks too."""
    password = generate_password()
    user.password_hash = hash_password(password)
    lockouts.clear(session, user)
    record(session, "user_admin", actor, data={"action": "reset_password", "target": user.email})
    user_sessions.end_all(session, user, reason="password_reset", actor=actor)
    session.commit()
    return password


def _department_errors(session: Session, department: Department | None, *, name: str,
                       name_en: str, liaison: User | None) -> dict[str, list[Reason]]:
    errors: dict[str, list[Reason]] = {}
    name = name.strip()
    if not name:
        errors["name"] = _reason("missing_name", "名称を入力してください", "Enter a name")
    elif len(name) > 100:
        errors["name"] = _reason("long_name", "名称は100文字以内にしてください",
                                 "Use at most 100 characters")
    else:
        clash = select(Department.id).where(Department.name == name)
        if department is not None:
            clash = clash.where(Department.id != department.id)
        if session.scalar(clash):
            errors["name"] = _reason("duplicate_name", "この名称の部局は既にあります",
                                     "A department with this name already exists")
    if len(name_en.strip()) > 100:
        errors["name_en"] = _reason("long_name_en", "英語名は100文字以内にしてください",
                                    "Use at most 100 characters")
    if liaison is not None and (liaison.role not in OFFICE_ROLES or not liaison.active):
        errors["liaison"] = _reason(
            "liaison_not_office", "担当者はデジタル統括室の有効なユーザーから選んでください",
            "Choose an active Digital Office user as liaison")
    return errors


def create_department(session: Session, *, code: str, name: str, kind: str, name_en: str = "",
                      actor: User | None = None, now: datetime | None = None) -> Department:
    """Add an organisation (a new bureau after a reorganisation, say), listed last in its kind."""
    code = code.strip().lower()
    errors = _department_errors(session, None, name=name, name_en=name_en, liaison=None)
    if not CODE_RE.match(code):
        errors["code"] = _reason(
            "invalid_code", "コードは半角英小文字で始まる英数字・_（2〜40文字）にしてください",
            "Use 2-40 lower-case letters, digits or _, starting with a letter")
    elif session.scalar(select(Department.id).where(Department.code == code)):
        errors["code"] = _reason("duplicate_code", "このコードは既に使われています",
                                 "This code is already used")
    if kind not in DEPARTMENT_KINDS:
        errors["kind"] = _reason("invalid_kind", "種別を選んでください", "Choose a kind")
    if errors:
        raise InvalidInput(errors)
    last = session.scalar(select(func.max(Department.sort_order)).where(Department.kind == kind))
    if last is None:
        last = (session.scalar(select(func.max(Department.sort_order))) or 0) + 9
    department = Department(code=code, name=name.strip(), name_en=name_en.strip(), kind=kind,
                            sort_order=last + 1)
    session.add(department)
    session.flush()
    record(session, "department_admin", actor, now=now, data={
        "action": "create", "target": department.name, "code": code, "kind": kind})
    session.commit()
    return department


def update_department(session: Session, department: Department, *, name: str, name_en: str,
                      active: bool, liaison: User | None, actor: User | None = None,
                      now: datetime | None = None) -> dict:
    """Rename, (de)activate or change the Digital Office liaison; returns {field: [old, new]}."""
    errors = _department_errors(session, department, name=name, name_en=name_en, liaison=liaison)
    if errors:
        raise InvalidInput(errors)
    changes: dict[str, list] = {}
    new_values = {"name": name.strip(), "name_en": name_en.strip(), "active": active}
    for field, value in new_values.items():
        if getattr(department, field) != value:
            changes[field] = [getattr(department, field), value]
            setattr(department, field, value)
    new_liaison_id = liaison.id if liaison else None
    if department.liaison_id != new_liaison_id:
        before = session.get(User, department.liaison_id) if department.liaison_id else None
        changes["liaison"] = [before.name if before else None, liaison.name if liaison else None]
        department.liaison_id = new_liaison_id
    if changes:
        record(session, "department_admin", actor, now=now,
               data={"action": "update", "target": department.name, "changes": changes})
        session.commit()
    return changes
