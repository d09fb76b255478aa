"""The vocabulary the phase modules are written in: phases, transitions, guards and their
reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workflow.models import Case


@dataclass(frozen=True)
class Reason:
    """Why something is not possible, in both UI languages."""

    code: str
    ja: str
    en: str

    def text(self, lang: str = "ja") -> str:
        return self.en if lang == "en" else self.ja

    def __str__(self) -> str:
        return self.ja


@dataclass
class GuardContext:
    """What a guard may look at besides the case."""

    session: Session
    now: datetime
    comment: str | None = None
    actor: Any = None
    memo: dict[str, Any] = field(default_factory=dict)


GuardCheck = Callable[["Case", GuardContext], Iterable[Reason]]


@dataclass(frozen=True)
class Guard:
    """A named condition; ``check`` yields one reason per thing that is missing."""

    name: str
    check: GuardCheck

    def reasons(self, case: Case, ctx: GuardContext) -> list[Reason]:
        return list(self.check(case, ctx))


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str | None  # None: decided at run time (resume returns to where the case left)
    roles: frozenset[str]
    label_ja: str
    label_en: str
    guards: tuple[Guard, ...] = ()
    comment_required: bool = False
    # "primary" for the way forward, "danger" for closing moves; the UI styles buttons with it.
    style: str = "secondary"

    def label(self, lang: str = "ja") -> str:
        return self.label_en if lang == "en" else self.label_ja


def transition(
    trigger: str,
    sources: str | Iterable[str],
    dest: str | None,
    roles: Iterable[str],
    label_ja: str,
    label_en: str,
    *,
    guards: Iterable[Guard] = (),
    comment_required: bool = False,
    style: str = "secondary",
) -> Transition:
    """Build a ``Transition`` from the readable arguments the phase modules use."""
    return Transition(
        trigger=trigger,
        sources=(sources,) if isinstance(sources, str) else tuple(sources),
        dest=dest,
        roles=frozenset(roles),
        label_ja=label_ja,
        label_en=label_en,
        guards=tuple(guards),
        comment_required=comment_required,
        style=style,
    )


@dataclass(frozen=True)
class Phase:
    """A phase of the process; ``substates`` map leaf names to (Japanese, English) labels."""

    name: str
    label_ja: str
    label_en: str
    substates: dict[str, tuple[str, str]]
    transitions: tuple[Transition, ...]

    def leaf(self, substate: str) -> str:
        return f"{self.name}_{substate}" if self.substates else self.name

    @property
    def leaves(self) -> list[str]:
        return [self.leaf(s) for s in self.substates] if self.substates else [self.name]

    def label(self, lang: str = "ja") -> str:
        return self.label_en if lang == "en" else self.label_ja
