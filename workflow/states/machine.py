"""The one state machine of the DX support process, built once at import time.

pytransitions is used with ``model=None`` and fired on a throw-away probe, never on the ORM
row: a Machine per row costs about 1 MB (pytransitions #146) and re-initialises its state.
Its nested separator is "." so that sub-states like ``as_is`` keep their underscore; the
database stores leaf states as ``phase_substate``.
"""

from __future__ import annotations

from transitions import MachineError
from transitions.extensions.nesting import HierarchicalMachine, NestedState

from .base import Phase, Transition
from .closing import CLOSED, ON_HOLD, OPEN_AFTER_DRAFT
from .consultation import CONSULTATION, DRAFT
from .planning import PLANNING
from .review import REVIEW
from .solution import SOLUTION

PHASES: tuple[Phase, ...] = (DRAFT, CONSULTATION, PLANNING, SOLUTION, REVIEW, ON_HOLD, CLOSED)
# The phases the step bar shows, in order.
MAIN_PHASES: tuple[Phase, ...] = (CONSULTATION, PLANNING, SOLUTION, REVIEW, CLOSED)
TRANSITIONS: tuple[Transition, ...] = tuple(t for phase in PHASES for t in phase.transitions)
BY_TRIGGER: dict[str, Transition] = {t.trigger: t for t in TRANSITIONS}
STATES: tuple[str, ...] = tuple(leaf for phase in PHASES for leaf in phase.leaves)
OPEN_STATES: frozenset[str] = frozenset((*OPEN_AFTER_DRAFT, "on_hold"))
CLOSED_STATES: frozenset[str] = frozenset(CLOSED.leaves)
_COMPOUND = {phase.name for phase in PHASES if phase.substates}
_PHASE_OF = {leaf: phase for phase in PHASES for leaf in phase.leaves}

assert len(BY_TRIGGER) == len(TRANSITIONS), "each trigger is declared once"


class _State(NestedState):
    separator = "."


class _Machine(HierarchicalMachine):
    state_cls = _State


def _to_machine(state: str | None) -> str | None:
    if state is None:
        return None
    phase, _, sub = state.partition("_")
    return f"{phase}.{sub}" if phase in _COMPOUND and sub else state


def _from_machine(state: str) -> str:
    return state.replace(".", "_", 1)


def _returns_to(leaf: str):
    target = _to_machine(leaf)
    return lambda event: event.model.return_state == target


def _machine_transitions() -> list[dict]:
    result = []
    for t in TRANSITIONS:
        sources = [_to_machine(s) for s in t.sources]
        if t.dest is None:
            result.extend(
                {"trigger": t.trigger, "source": sources, "dest": _to_machine(leaf),
                 "conditions": [_returns_to(leaf)]}
                for leaf in OPEN_AFTER_DRAFT
            )
        else:
            result.append({"trigger": t.trigger, "source": sources, "dest": _to_machine(t.dest)})
    return result


MACHINE = _Machine(
    model=None,
    states=[
        {"name": p.name, "children": list(p.substates)} if p.substates else p.name for p in PHASES
    ],
    transitions=_machine_transitions(),
    auto_transitions=False,
    send_event=True,
    initial=None,
)


class _Probe:
    """What pytransitions moves: the state (and where a held case returns to), nothing else."""

    __slots__ = ("state", "return_state")

    def __init__(self, state: str | None, return_state: str | None) -> None:
        self.state = state
        self.return_state = return_state


class NoTransition(Exception):
    """The machine has no way to fire ``trigger`` from ``state``."""


def destination(state: str, trigger: str, return_state: str | None = None) -> str:
    """The leaf state that firing ``trigger`` in ``state`` leads to, or ``NoTransition``."""
    probe = _Probe(_to_machine(state), _to_machine(return_state))
    try:
        moved = MACHINE.trigger_event(probe, trigger)
    except (MachineError, AttributeError, ValueError) as exc:
        raise NoTransition(f"{trigger} from {state}") from exc
    if not moved:
        raise NoTransition(f"{trigger} from {state} (no state to return to)")
    return _from_machine(probe.state)


def phase_of(state: str) -> Phase:
    return _PHASE_OF[state]


def state_label(state: str, lang: str = "ja") -> str:
    """E.g. 企画・BPR：現状分析（As-Is） / Planning & BPR: As-is analysis."""
    phase = _PHASE_OF.get(state)
    if phase is None:
        return state
    if not phase.substates:
        return phase.label(lang)
    ja, en = phase.substates[state.partition("_")[2]]
    return f"{phase.label_en}: {en}" if lang == "en" else f"{phase.label_ja}：{ja}"


def substate_label(state: str, lang: str = "ja") -> str:
    phase = _PHASE_OF.get(state)
    if phase is None or not phase.substates:
        return phase.label(lang) if phase else state
    ja, en = phase.substates[state.partition("_")[2]]
    return en if lang == "en" else ja
