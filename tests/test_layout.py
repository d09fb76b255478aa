"""The layout of docs/ARCHITECTURE.md holds: no module imports itself back through others, and
the document's diagram of the parts is the one the code's imports draw.

(That ``workflow`` never imports Flask, ``web`` or ``notifications`` is tests/test_architecture.py.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "update_architecture_diagram", REPO / "scripts" / "update_architecture_diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


diagram = _script()


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, source in modules.items():
        (root / name / f"{module}.py").write_text(source)


def test_no_import_cycles_among_the_projects_modules():
    cycles = diagram.import_cycles(diagram.import_graph())
    assert cycles == [], "modules that import each other (directly or through others):\n" + \
        "\n".join(" <-> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("modules, expected", [
    ({"a": "from cyclepkg import b\n", "b": "from cyclepkg import a\n"},
     [["cyclepkg.a", "cyclepkg.b"]]),
    ({"a": "import cyclepkg.b\n", "b": "from cyclepkg.c import x\n",
      "c": "from cyclepkg import a\nx = 1\n", "d": "from cyclepkg import a\n"},
     [["cyclepkg.a", "cyclepkg.b", "cyclepkg.c"]]),
    ({"a": "from cyclepkg import b\n", "b": "x = 1\n"}, []),
], ids=["two", "three-through-a-name", "none"])
def test_a_cycle_is_found(tmp_path, monkeypatch, modules, expected):
    _package(tmp_path, "cyclepkg", modules)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert diagram.import_cycles(diagram.import_graph(("cyclepkg",))) == expected
    finally:
        sys.modules.pop("cyclepkg", None)


def test_a_cycle_through_a_package_init_is_found(tmp_path, monkeypatch):
    """The blueprint pattern: the package imports its views, a view imports the package's bp."""
    _package(tmp_path, "initpkg", {"views": "from initpkg import bp\n"})
    (tmp_path / "initpkg" / "__init__.py").write_text("bp = 1\nfrom initpkg import views\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert diagram.import_cycles(diagram.import_graph(("initpkg",))) == \
            [["initpkg", "initpkg.views"]]
    finally:
        sys.modules.pop("initpkg", None)


def test_the_architecture_diagram_is_the_one_the_imports_draw():
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert diagram.updated(text) == text, \
        "docs/ARCHITECTURE.md is out of date: run python scripts/update_architecture_diagram.py"


def test_the_diagram_shows_the_domain_core_importing_nothing_above_it():
    arrows = diagram.part_arrows(diagram.import_graph())
    workflow_parts = {p for arrow in arrows for p in arrow if p.startswith("workflow")}
    assert "workflow.interchange" in workflow_parts and "web.commands" in {b for _a, b in arrows}
    for source, target in arrows:
        if source in workflow_parts:
            assert target in workflow_parts, f"{source} -> {target}"
        if source == "notifications":
            assert not target.startswith("web"), f"{source} -> {target}"


def test_the_diagram_block_is_replaced_in_place():
    text = f"before\n{diagram.BEGIN}\nold\n{diagram.END}\nafter\n"
    new = diagram.updated(text, "flowchart LR\n    a --> b")
    assert new == f"before\n{diagram.BEGIN}\n```mermaid\nflowchart LR\n    a --> b\n```\n" \
                  f"{diagram.END}\nafter\n"
    with pytest.raises(ValueError):
        diagram.updated("no markers")
