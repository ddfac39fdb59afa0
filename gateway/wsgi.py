"""gunicorn entry point: gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app"""
from services.servicekit.observability import configure_logging

from .app import create_app

configure_logging("gateway")
app = create_app()
