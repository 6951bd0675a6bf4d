"""WSGI entry point for production servers: ``gunicorn wsgi:app``."""

from matchmaker.app import create_app

app = create_app()
