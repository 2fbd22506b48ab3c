"""The ASGI entry point for uvicorn workers (`api.asgi:app`)."""

from api.app import create_app

app = create_app()
