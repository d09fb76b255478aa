from web.office import intake, proposal, routes, team  # noqa: F401  (registers the views)
from web.office.blueprint import bp

__all__ = ["bp"]
