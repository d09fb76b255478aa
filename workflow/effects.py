"""Effects other modules attach to transitions; they run inside the transition's transaction.

This is how reviews get created on go-live and notifications get queued without the engine
importing either: a failing effect rolls the whole transition back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Fired:
    """A transition that has just been written (not yet committed)."""

    session: Session
    case: Any
    trigger: str
    from_state: str
    to_state: str
    actor: Any
    principal: Any  # whose authority was used: the actor, or the user a substitute acts for
    comment: str | None
    event_id: int
    version: int
    now: datetime


Effect = Callable[[Fired], None]

_on_trigger: dict[str, list[Effect]] = defaultdict(list)
_on_enter: dict[str, list[Effect]] = defaultdict(list)
_on_any: list[Effect] = []


def on_trigger(trigger: str) -> Callable[[Effect], Effect]:
    """Run the decorated effect whenever ``trigger`` fires."""

    def register(effect: Effect) -> Effect:
        if effect not in _on_trigger[trigger]:
            _on_trigger[trigger].append(effect)
        return effect

    return register


def on_enter(state_or_phase: str) -> Callable[[Effect], Effect]:
    """Run the decorated effect when a case enters a leaf state or any state of a phase."""

    def register(effect: Effect) -> Effect:
        if effect not in _on_enter[state_or_phase]:
            _on_enter[state_or_phase].append(effect)
        return effect

    return register


def on_any_transition(effect: Effect) -> Effect:
    if effect not in _on_any:
        _on_any.append(effect)
    return effect


def unregister(effect: Effect) -> None:
    """Remove ``effect`` from every registration (tests, plugins being unloaded)."""
    for registry in (_on_trigger, _on_enter):
        for effects in registry.values():
            if effect in effects:
                effects.remove(effect)
    if effect in _on_any:
        _on_any.remove(effect)


def effects_for(trigger: str, to_state: str) -> list[Effect]:
    phase = to_state.split("_", 1)[0]
    found = [*_on_trigger.get(trigger, ()), *_on_enter.get(to_state, ())]
    if phase != to_state:
        found.extend(_on_enter.get(phase, ()))
    found.extend(_on_any)
    return found
