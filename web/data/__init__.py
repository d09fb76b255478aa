from web.data import routes  # noqa: F401  (registers the views)
from web.data.blueprint import bp

__all__ = ["bp"]
