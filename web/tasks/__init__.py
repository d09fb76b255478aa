from web.tasks import routes  # noqa: F401  (registers the views)
from web.tasks.blueprint import bp

__all__ = ["bp"]
