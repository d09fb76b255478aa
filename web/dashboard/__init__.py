from web.dashboard import routes  # noqa: F401  (registers the views)
from web.dashboard.blueprint import bp

__all__ = ["bp"]
