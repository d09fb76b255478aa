"""WSGI entry point for production servers: ``gunicorn -w 4 'web.wsgi:app'``."""

from web import create_app

app = create_app()
