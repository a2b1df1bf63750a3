"""The WSGI entry point gunicorn serves (gunicorn.conf.py names it)."""
from . import create_app

app = create_app()
