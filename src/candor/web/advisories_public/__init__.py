"""The public side of advisories: pages and documents anyone may read, and the CSAF provider
directory. No sign-in; every route here is listed in ``candor.web.app.PUBLIC_ROUTES``.

A router of its own, so the public status site can link to it and a deployment can serve it on
its own host; ``site`` renders the same files for ``candor advisory publish-dir``.
"""

from __future__ import annotations

from candor.web.advisories_public.routes import router

__all__ = ["router"]
