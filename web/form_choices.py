"""Select options for WTForms 3.3+, which deprecates (value, label) tuples."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def vocabulary_options(vocabulary: dict[str, tuple[str, str]], lang: str,
                       blank: str | None = None) -> list[SelectChoice]:
    pairs = [(key, en if lang == "en" else ja) for key, (ja, en) in vocabulary.items()]
    return options(([("", blank)] if blank is not None else []) + pairs)
