"""SQLAlchemy models of dxflow; the migrations under ``migrations/`` are the schema's source of
truth."""

from .audit import AuditEvent, AuditLogIsAppendOnly
from .base import Base, utcnow
from .case import Attachment, Case, CaseNumberCounter, Comment, Supporter
from .import_job import ImportJob
from .mfa import RecoveryCode
from .notification import Notification, NotificationPreference, SchedulerHeartbeat
from .org import BUREAU_ROLES, OFFICE_ROLES, ROLES, Department, Substitution, User
from .plan import Kpi, KpiActual, KpiTarget, Plan
from .review import Review
from .session import UserSession
from .throttle import LoginLockout, RateLimitCounter
from .token import ApiToken

__all__ = [
    "BUREAU_ROLES", "OFFICE_ROLES", "ROLES",
    "ApiToken", "Attachment", "AuditEvent", "AuditLogIsAppendOnly", "Base", "Case",
    "CaseNumberCounter", "Comment", "Department", "ImportJob", "Kpi", "KpiActual", "KpiTarget",
    "LoginLockout", "Notification", "NotificationPreference", "Plan", "RateLimitCounter",
    "RecoveryCode", "Review", "SchedulerHeartbeat", "Substitution", "Supporter", "User",
    "UserSession", "utcnow",
]
