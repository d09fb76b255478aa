"""The case state machine: one module per phase, assembled in ``machine``."""

from .base import Guard, GuardContext, Phase, Reason, Transition
from .machine import (
    BY_TRIGGER,
    CLOSED_STATES,
    MAIN_PHASES,
    OPEN_STATES,
    PHASES,
    STATES,
    TRANSITIONS,
    NoTransition,
    destination,
    phase_of,
    state_label,
    substate_label,
)

__all__ = [
    "BY_TRIGGER", "CLOSED_STATES", "MAIN_PHASES", "OPEN_STATES", "PHASES", "STATES",
    "TRANSITIONS", "Guard", "GuardContext", "NoTransition", "Phase", "Reason", "Transition",
    "destination", "phase_of", "state_label", "substate_label",
]
