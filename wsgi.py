"""The only module-level application object: `gunicorn wsgi:app`."""
from app import create_app

app = create_app()
