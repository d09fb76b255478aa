from web.cases import attachments, routes, transitions  # noqa: F401  (registers the views)
from web.cases.blueprint import bp

__all__ = ["bp"]
