"""Put the current state diagram into README.md (between the ``states`` markers).

    python scripts/update_readme_diagram.py          # rewrite README.md if it is out of date
    python scripts/update_readme_diagram.py --check  # exit 1 if it is out of date

The diagram is ``workflow.states.diagram.mermaid()``, the same text ``dxflow states`` prints;
tests/test_cli.py fails when README.md and the machine disagree.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workflow.states.diagram import mermaid  # noqa: E402

README = REPO / "README.md"
BEGIN, END = "<!-- states:begin -->", "<!-- states:end -->"
BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
SECTION = f"""
## The process

A case moves through these states (`dxflow states` prints the same diagram and a table of
every transition with its roles and guards):

{BEGIN}
{END}
"""


def block(diagram: str | None = None) -> str:
    return f"{BEGIN}\n```mermaid\n{diagram or mermaid()}\n```\n{END}"


def updated(text: str, diagram: str | None = None) -> str:
    """``text`` with the block between the markers replaced (a section appended if absent)."""
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + "\n" + SECTION
    return BLOCK.sub(lambda _m: block(diagram), text, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if new == text:
        print("README.md: the state diagram is up to date")
        return 0
    if args.check:
        print("README.md: the state diagram is out of date; "
              "run python scripts/update_readme_diagram.py", file=sys.stderr)
        return 1
    README.write_text(new, encoding="utf-8")
    print("README.md: state diagram updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
