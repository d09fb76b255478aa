from web.plans import routes  # noqa: F401  (registers the views)
from web.plans.blueprint import bp

__all__ = ["bp"]
