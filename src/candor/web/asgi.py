"""ASGI entry point for servers started by import path (uvicorn --workers, gunicorn)."""

from __future__ import annotations

from candor import bootstrap
from candor.web.app import create_app

application = bootstrap.build()
application.require_schema()
app = create_app(application)
