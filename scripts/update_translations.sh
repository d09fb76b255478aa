#!/usr/bin/env bash
# Extract the Japanese msgids from web/ into web/translations/messages.pot, bring the
# English catalogue up to date (or create it), and compile it to messages.mo.
# The compiled .mo files are committed. Running this twice changes nothing: the template
# is only replaced when its messages changed (not just its creation date).
# After running: translate the empty msgstr entries in the .po, run again to compile,
# and check with `python -m pytest -q tests/test_i18n.py`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dir=web/translations
pot=$dir/messages.pot
locales=(en)
mkdir -p "$dir"

new_pot=$(mktemp)
trap 'rm -f "$new_pot"' EXIT
pybabel -q extract -F babel.cfg -k _l -k lazy_gettext \
    --add-location=file --sort-output --no-wrap \
    --project=dxflow --version=0.1 --copyright-holder="dxflow contributors" \
    --ignore-dirs=".* ._ instance test-output node_modules" \
    -o "$new_pot" .

# Keep the old template (and so the catalogues' headers) when only the date moved.
without_date() { grep -v '^"POT-Creation-Date:' "$1"; }
if [[ ! -f $pot ]] || ! diff -q <(without_date "$pot") <(without_date "$new_pot") >/dev/null; then
    cat "$new_pot" >"$pot"
    echo "update_translations: $pot updated"
fi

for locale in "${locales[@]}"; do
    po=$dir/$locale/LC_MESSAGES/messages.po
    if [[ -f $po ]]; then
        # Obsolete entries are dropped, new msgids come in untranslated (no fuzzy guesses).
        pybabel -q update -i "$pot" -d "$dir" -l "$locale" \
            --ignore-obsolete --no-fuzzy-matching --no-wrap
    else
        pybabel -q init -i "$pot" -d "$dir" -l "$locale" --no-wrap
    fi
done

pybabel compile -d "$dir" --statistics

# Report what still needs a translator (tests/test_i18n.py fails until this is empty).
python3 - "$dir" "${locales[@]}" <<'PY'
import sys
from pathlib import Path
from babel.messages.pofile import read_po

directory, *locales = sys.argv[1:]
for locale in locales:
    with open(Path(directory, locale, "LC_MESSAGES", "messages.po"), "rb") as f:
        catalog = read_po(f)
    todo = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    for msgid in todo:
        print(f"update_translations: [{locale}] untranslated: {msgid}")
PY
