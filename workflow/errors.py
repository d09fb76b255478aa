"""Why the engine refused: every error carries its reasons in both UI languages."""

from __future__ import annotations

from collections.abc import Iterable

from workflow.states.base import Reason


class WorkflowError(Exception):
    """Base of everything the engine refuses; nothing was written when one is raised."""

    code = "workflow_error"

    def __init__(self, reasons: Iterable[Reason]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(r.en for r in self.reasons))

    def message(self, lang: str = "ja") -> str:
        return ("; " if lang == "en" else "／").join(r.text(lang) for r in self.reasons)


class CaseNotFound(WorkflowError):
    code = "not_found"

    def __init__(self, ref: object = None) -> None:
        english = f"Case {ref or ''} not found".replace("  ", " ")
        super().__init__([Reason(self.code, "案件が見つかりません", english)])


class UnknownTrigger(WorkflowError):
    code = "unknown_trigger"

    def __init__(self, trigger: str) -> None:
        self.trigger = trigger
        super().__init__([Reason(self.code, f"「{trigger}」という操作はありません",
                                 f"There is no action called '{trigger}'")])


class NotAllowedInState(WorkflowError):
    code = "not_allowed_in_state"

    def __init__(self, trigger: str, state: str, state_ja: str, state_en: str) -> None:
        self.trigger, self.state = trigger, state
        super().__init__([Reason(self.code, f"現在の状態（{state_ja}）ではこの操作はできません",
                                 f"'{trigger}' is not possible in state {state_en} ({state})")])


class RoleNotAllowed(WorkflowError):
    code = "role_not_allowed"

    def __init__(self, trigger: str, role: str, allowed: Iterable[str]) -> None:
        self.trigger, self.role, self.allowed = trigger, role, sorted(allowed)
        roles = ", ".join(self.allowed)
        super().__init__([Reason(self.code, f"この操作ができるのは次の役割です：{roles}",
                                 f"Role {role} may not '{trigger}'; allowed roles: {roles}")])


class AccessDenied(WorkflowError):
    code = "access_denied"

    def __init__(self, what_ja: str = "この案件を変更する権限がありません",
                 what_en: str = "You may not change this case") -> None:
        super().__init__([Reason(self.code, what_ja, what_en)])


class GuardFailed(WorkflowError):
    code = "guard_failed"


class StaleVersion(WorkflowError):
    code = "stale_version"

    def __init__(self, expected: int | None, actual: int | None) -> None:
        self.expected, self.actual = expected, actual
        super().__init__([Reason(
            self.code,
            "この案件は他の人によって変更されました。画面を再読み込みしてください",
            f"This case was changed by someone else (version {expected} expected, "
            f"{actual} now); reload and try again",
        )])


class InvalidInput(WorkflowError):
    """Field values the engine will not store; ``field_errors`` maps field name to reasons."""

    code = "invalid_input"

    def __init__(self, field_errors: dict[str, list[Reason]]) -> None:
        self.field_errors = field_errors
        super().__init__([r for reasons in field_errors.values() for r in reasons])
