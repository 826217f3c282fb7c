"""Entry point for `flask --app wsgi` and gunicorn (`gunicorn -k gthread wsgi:app`)."""

from tremplin import create_app

app = create_app()
