"""Comments are Markdown; rendered HTML is cleaned with nh3 so no script or handler survives."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a", "h3", "h4",
         "table", "thead", "tbody", "tr", "th", "td", "hr"}


def render_markdown(text: str | None) -> Markup:
    html = _md.render(text or "")
    clean = nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
