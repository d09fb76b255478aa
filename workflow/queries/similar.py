"""Past cases like this one, for the office to cite in a proposal (他部局・過去の事例).

Japanese has no spaces between words, so text is compared as character bigrams (申請書 →
申請, 請書). Hiragana carry the grammar (を, する, ている), not the subject, so they split the
text like spaces do, as do digits; Latin words count whole. Titles weigh double: they name
the subject.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from workflow import access
from workflow.models import Case
from workflow.states import CLOSED_STATES

# Latin words, or runs of other letters (kanji, katakana) between hiragana, digits and
# punctuation. No underscore or percent sign survives, so tokens are safe inside LIKE.
_SEGMENT = re.compile(r"[a-z0-9]+|[^\W\d_a-z\u3040-\u309f]+")
# Enough tokens to find candidates in SQL without a statement of hundreds of LIKEs.
MAX_QUERY_TOKENS = 40
MAX_CANDIDATES = 1000
# A single shared bigram (e.g. 市民) is chance; two or more begin to say something.
MIN_SHARED = 2
TITLE_WEIGHT = 2.0
SAME_CATEGORY_BONUS = 0.15


@dataclass(frozen=True)
class Similar:
    case: Case
    score: float
    shared: tuple[str, ...]

    @property
    def closed(self) -> bool:
        return self.case.state in CLOSED_STATES


def tokens(text: str | None) -> list[str]:
    """Whole Latin words and bigrams of the other runs, each once, in order of appearance."""
    result: list[str] = []
    for segment in _SEGMENT.findall(unicodedata.normalize("NFKC", text or "").lower()):
        if segment.isascii():
            if len(segment) >= 2 and not segment.isdigit():
                result.append(segment)
        else:
            result.extend(segment[i:i + 2] for i in range(len(segment) - 1))
    return list(dict.fromkeys(result))


def _weights(title: str | None, description: str | None) -> dict[str, float]:
    weights = dict.fromkeys(tokens(description), 1.0)
    weights.update(dict.fromkeys(tokens(title), TITLE_WEIGHT))
    return weights


def _score(mine: dict[str, float], theirs: dict[str, float]) -> tuple[float, tuple[str, ...]]:
    shared = tuple(t for t in mine if t in theirs)
    if not shared:
        return 0.0, ()
    overlap = sum(min(mine[t], theirs[t]) for t in shared)
    return overlap / math.sqrt(sum(mine.values()) * sum(theirs.values())), shared


def similar_cases(session: Session, case: Case, limit: int = 8, *, viewer=None) -> list[Similar]:
    """Up to ``limit`` cases sharing keywords with ``case``: closed ones first, then by score.

    The same category adds to the score. Drafts and ``case`` itself never appear; with
    ``viewer`` (a user or a list of users) only cases one of them may see are considered.
    """
    mine = _weights(case.title, case.description)
    if not mine:
        return []
    query_tokens = list(mine)[:MAX_QUERY_TOKENS]
    stmt = (
        select(Case)
        .options(joinedload(Case.department))
        .where(Case.id != case.id, Case.state != "draft")
        .where(or_(*(column.ilike(f"%{t}%") for t in query_tokens
                     for column in (Case.title, Case.description))))
        .order_by(Case.closed_at.is_(None), Case.id.desc())
        .limit(MAX_CANDIDATES)
    )
    if viewer is not None:
        viewers = viewer if isinstance(viewer, list | tuple) else [viewer]
        stmt = stmt.where(access.visible_to_any(viewers))
    found = []
    for other in session.scalars(stmt).unique():
        score, shared = _score(mine, _weights(other.title, other.description))
        if len(shared) < MIN_SHARED:
            continue
        if case.category and other.category == case.category:
            score += SAME_CATEGORY_BONUS
        found.append(Similar(other, round(score, 4), shared))
    found.sort(key=lambda s: (not s.closed, -s.score, -s.case.id))
    return found[:limit]
