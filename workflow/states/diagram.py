"""The machine as a Mermaid diagram and as a plain table (``dxflow states``, README)."""

from __future__ import annotations

from .closing import OPEN_AFTER_DRAFT
from .machine import PHASES, TRANSITIONS


def mermaid() -> str:
    """A Mermaid ``stateDiagram-v2``; moves from many states are drawn from their phase."""
    lines = ["stateDiagram-v2", "    direction LR", "    [*] --> draft"]
    for phase in PHASES:
        if phase.substates:
            lines.append(f"    state \"{phase.label_ja} {phase.name}\" as {phase.name} {{")
            lines.extend(f"        {phase.leaf(s)}: {ja}"
                         for s, (ja, _en) in phase.substates.items())
            lines.append("    }")
        else:
            lines.append(f"    {phase.name}: {phase.label_ja}")
    arrows: list[str] = []
    for t in TRANSITIONS:
        if t.dest is None:  # resume: back to whichever sub-state the case left
            arrows.extend(f"    on_hold --> {p}: {t.trigger}"
                          for p in _drawn_sources(OPEN_AFTER_DRAFT))
            continue
        arrows.extend(f"    {source} --> {t.dest}: {t.trigger}"
                      for source in _drawn_sources(t.sources))
    lines.extend(dict.fromkeys(arrows))
    lines.append("    note right of on_hold: resume returns to the exact sub-state it left")
    lines.append("    closed --> [*]")
    return "\n".join(lines)


def _drawn_sources(sources: tuple[str, ...]) -> list[str]:
    """Collapse every leaf of a phase into the phase itself, keeping the diagram readable."""
    drawn: list[str] = []
    for phase in PHASES:
        leaves = [leaf for leaf in phase.leaves if leaf in sources]
        if phase.substates and len(leaves) == len(phase.leaves) and len(leaves) > 1:
            drawn.append(phase.name)
        else:
            drawn.extend(leaves)
    return drawn


def table(lang: str = "ja") -> list[tuple[str, str, str, str, str, str]]:
    """Rows of (trigger, label, from, to, roles, guards/comment)."""
    rows = []
    for t in TRANSITIONS:
        conditions = [g.name for g in t.guards]
        if t.comment_required:
            conditions.append("comment")
        rows.append((
            t.trigger,
            t.label(lang),
            ", ".join(_drawn_sources(t.sources)),
            t.dest or "(state it left)",
            ", ".join(sorted(t.roles)),
            ", ".join(conditions) or "-",
        ))
    return rows
