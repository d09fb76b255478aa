from web.admin import audit, departments, routes  # noqa: F401  (registers the views)
from web.admin.blueprint import bp

__all__ = ["bp"]
