"""WSGI entry point for production servers: ``gunicorn -w 4 'web.wsgi:app'``.

Behind a reverse proxy (nginx terminating HTTPS) set ``DXFLOW_PROXY_FIX=1``: see web/proxy.py.
"""

from web import create_app
from web.proxy import apply_proxy_fix

app = apply_proxy_fix(create_app())
