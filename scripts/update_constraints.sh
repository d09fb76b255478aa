#!/usr/bin/env bash
# Re-pin constraints.txt to the newest releases that pip resolves today for every extra.
# Run the suite afterwards (bash scripts/test.sh); commit constraints.txt only when it passes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=$(mktemp -d -t dxflow-constraints-XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test,postgres,prod]'
{
    echo "# The exact set of releases CI tests (scripts/test.sh installs with -c constraints.txt)."
    echo "# Regenerate with scripts/update_constraints.sh after a green run on the newest releases."
    "$venv/bin/python" -m pip freeze --exclude-editable
} > constraints.txt
echo "constraints.txt: $(grep -c '==' constraints.txt) pins" >&2
