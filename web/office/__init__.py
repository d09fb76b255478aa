from web.office import proposal, routes, team  # noqa: F401  (registers the views)
from web.office.blueprint import bp

__all__ = ["bp"]
