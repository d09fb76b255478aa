#!/usr/bin/env bash
# The test command for developers and CI alike. It installs what the suite needs
# itself, because CI starts from a clean clone on a possibly fresh Debian 12 machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages: PostgreSQL server (postgres-marked tests), Chromium (browser
# tests through Playwright, which cannot download its own browsers here) and
# CJK fonts (so Japanese text renders in screenshots instead of tofu boxes), and
# OpenLDAP's slapd (directory sign-in tests start a throw-away one: tests/support/ldap.py;
# DEBIAN_FRONTEND=noninteractive below keeps its debconf questions quiet).
missing=()
for pkg in postgresql chromium fonts-noto-cjk slapd; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "scripts/test.sh: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The tested set: exactly the releases pinned in constraints.txt (what the README tells
# users to install when they want what CI ran).
pip_install=(-m pip install -q --disable-pip-version-check --root-user-action=ignore)
python3 "${pip_install[@]}" -c constraints.txt -e '.[test]'

# Any non-zero pytest exit fails the command, including 5 (no tests collected):
# a CI run that tested nothing must not pass.
# -p no:benchmark: the machine image ships pytest-benchmark, whose warning under
# xdist becomes an INTERNALERROR with filterwarnings=error; the suite doesn't use it.
pytest=(python3 -m pytest -n 2 -p no:benchmark)
status=0
"${pytest[@]}" "$@" || status=$?

# Second run: the whole suite again against PostgreSQL instead of SQLite
# (browser tests excluded: they add nothing database-specific). Set
# DXFLOW_TEST_BOTH_DATABASES=0 for a quick SQLite-only run.
if [[ ${DXFLOW_TEST_BOTH_DATABASES:-1} != 0 ]]; then
    DXFLOW_TEST_DATABASE=postgresql "${pytest[@]}" -m "not browser" "$@" || status=$?
fi

# Third run: the newest release of every dependency, in a fresh virtual environment,
# so a release that breaks a user's plain `pip install` fails CI instead of the user.
# Set DXFLOW_TEST_NEWEST=0 to skip it.
if [[ ${DXFLOW_TEST_NEWEST:-1} != 0 ]]; then
    newest=$(mktemp -d -t dxflow-newest-XXXXXX)
    python3 -m venv "$newest"
    "$newest/bin/python" "${pip_install[@]}" --upgrade --upgrade-strategy eager -e '.[test]'
    echo "scripts/test.sh: newest releases: $("$newest/bin/python" -m pip freeze --exclude-editable \
        | grep -iE '^(flask|werkzeug|sqlalchemy|alembic|transitions)==' | tr '\n' ' ')" >&2
    "$newest/bin/python" -m pytest -n 2 -p no:benchmark "$@" || status=$?
    rm -rf "$newest"
fi
exit "$status"
