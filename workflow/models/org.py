"""The city's organisations and the people who use dxflow."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow

ROLES = ("requester", "dept_manager", "office", "office_lead", "expert", "executive", "admin")
BUREAU_ROLES = frozenset({"requester", "dept_manager"})
OFFICE_ROLES = frozenset({"office", "office_lead"})
DEPARTMENT_KINDS = ("office", "bureau", "ward", "joint")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(10))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # The office member responsible for this bureau/ward (DOMAIN.md: 担当者 per bureau).
    liaison_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_departments_liaison_id_users")
    )

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"


class User(Base, Timestamped):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="ja")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    email_reminders: Mapped[bool] = mapped_column(default=True)
    # local | ldap | oidc: where the password (or identity) is checked.
    auth_source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")
    # The directory entry's DN or the OIDC subject, for audit and re-linking.
    external_ref: Mapped[str | None] = mapped_column(String(500))
    # TOTP second factor (RFC 6238): base32 secret, set once enrolment is confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The last accepted time step: a code is never accepted twice (replay).
    totp_last_step: Mapped[int | None]
    mfa_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    mfa_locked_until: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])

    # The session-user protocol Flask-Login expects, written here so workflow needs no Flask.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU_ROLES

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Substitution(Base):
    """A substitute (代理者) acting for a user over a period: leave, transfer."""

    __tablename__ = "substitutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    principal: Mapped[User] = relationship(foreign_keys=[principal_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])
