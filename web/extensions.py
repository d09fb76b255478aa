"""Flask extension objects, created unbound and initialised in ``create_app``."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from workflow.models import Base

# The models live in workflow (no Flask there); Flask-SQLAlchemy only manages sessions.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
