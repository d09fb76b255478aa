"""Put the diagram of the project's parts into docs/ARCHITECTURE.md (between the ``parts`` markers).

    python scripts/update_architecture_diagram.py          # rewrite it if it is out of date
    python scripts/update_architecture_diagram.py --check  # exit 1 if it is out of date

The diagram is drawn from the code's own imports (grimp, which import-linter uses): one box per
part, an arrow wherever a module of one part imports a module of another. tests/test_layout.py
fails when the document and the code disagree, and on any import cycle between modules.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PACKAGES = ("workflow", "notifications", "web", "migrations")
DOCUMENT = REPO / "docs" / "ARCHITECTURE.md"
BEGIN, END = "<!-- parts:begin -->", "<!-- parts:end -->"
BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)

# web's areas (auth, cases, office, ...) sit at one level and are drawn as one box; the CLI and
# the REST API are drawn apart because they are entry points of their own.
WEB_PARTS = ("web.commands", "web.api")
WEB_AREAS = "web (app, blueprints)"


def import_graph(packages: tuple[str, ...] = PACKAGES) -> grimp.ImportGraph:
    return grimp.build_graph(*packages, cache_dir=None)


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every set of modules that import each other, directly or through others (Tarjan's SCCs)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        # Iterative, so a long chain of imports cannot hit the recursion limit.
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    found.append(sorted(component))
    return sorted(found)


def part_of(module: str) -> str:
    """The box ``module`` is drawn in: a sub-package of workflow, a part of web, or a package."""
    names = module.split(".")
    first_two = ".".join(names[:2])
    if names[0] == "workflow":
        return first_two if len(names) > 1 and _is_package(first_two) else "workflow (core)"
    if names[0] == "web":
        return first_two if first_two in WEB_PARTS else WEB_AREAS
    return names[0]


def _is_package(dotted: str) -> bool:
    return (REPO.joinpath(*dotted.split(".")) / "__init__.py").exists()


def part_arrows(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    arrows = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = part_of(module), part_of(imported)
            if source != target:
                arrows.add((source, target))
    return arrows


def mermaid(graph: grimp.ImportGraph | None = None) -> str:
    arrows = part_arrows(graph or import_graph())
    parts = sorted({p for arrow in arrows for p in arrow})
    ids = {p: re.sub(r"\W+", "_", p.split(" ")[0]) for p in parts}
    lines = ["flowchart LR"]
    lines += [f'    {ids[p]}["{p}"]' for p in parts]
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in sorted(arrows)]
    return "\n".join(lines)


def block(diagram: str | None = None) -> str:
    return f"{BEGIN}\n```mermaid\n{diagram or mermaid()}\n```\n{END}"


def updated(text: str, diagram: str | None = None) -> str:
    """``text`` with the block between the markers replaced."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"{DOCUMENT.name} has no {BEGIN} ... {END} block")
    return BLOCK.sub(lambda _m: block(diagram), text, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)
    text = DOCUMENT.read_text(encoding="utf-8")
    new = updated(text)
    if new == text:
        print("docs/ARCHITECTURE.md: the diagram is up to date")
        return 0
    if args.check:
        print("docs/ARCHITECTURE.md: the diagram is out of date; "
              "run python scripts/update_architecture_diagram.py", file=sys.stderr)
        return 1
    DOCUMENT.write_text(new, encoding="utf-8")
    print("docs/ARCHITECTURE.md: diagram updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
