"""The ASGI entry point for uvicorn workers (`api.asgi:app`)."""

from api.app import create_app
from api.infra import logs
from api.settings import get_settings

logs.configure(get_settings().log_format)  # one JSON line per record, with the request id
app = create_app()
