from web.reviews import routes  # noqa: F401  (registers the views)
from web.reviews.blueprint import bp

__all__ = ["bp"]
