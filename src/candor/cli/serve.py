"""``candor serve``: the web UI and API."""

from __future__ import annotations

import typer

from candor.cli.common import application, console

app = typer.Typer()

WORKER_HEALTHCHECK_SECONDS = 60


def serve(
    host: str | None = typer.Option(
        None, "--host", help="The address to listen on. Unset: web.host (127.0.0.1 by default)."
    ),
    port: int | None = typer.Option(
        None, "--port", help="The port to listen on. Unset: web.port (8000 by default)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=64, help="Worker processes (default: web.workers)."
    ),
) -> None:
    """Serve the web UI and the API until stopped (Ctrl-C)."""
    import uvicorn

    app_ = application()
    settings = app_.settings.web
    bind_host = host or settings.host
    bind_port = port or settings.port
    count = workers or settings.workers
    console.print(f"Candor is serving on http://{bind_host}:{bind_port}/ (Ctrl-C to stop)")
    if count > 1:
        # each worker process builds its own application from the same configuration
        uvicorn.run(
            "candor.web.asgi:app",
            host=bind_host,
            port=bind_port,
            workers=count,
            log_level="warning",
            proxy_headers=False,
            # uvicorn kills a worker that does not answer its health check in time (5 s by
            # default); a new worker imports the whole application first, which on a busy
            # two-core machine takes longer than that, so replacements were killed before
            # they served and one worker was left doing all the work
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    else:
        from candor.web.app import create_app

        uvicorn.run(
            create_app(app_),
            host=bind_host,
            port=bind_port,
            log_level="warning",
            proxy_headers=False,
        )
