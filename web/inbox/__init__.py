from web.inbox import routes  # noqa: F401  (registers the views)
from web.inbox.blueprint import bp

__all__ = ["bp"]
