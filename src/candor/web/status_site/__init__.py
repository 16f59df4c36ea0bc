"""The public status site: public statements of real incidents, advisories, Atom and JSON feeds.

No sign-in; every route is in ``candor.web.app.PUBLIC_ROUTES``. Pages are rendered once into a
small snapshot (``site.build``) and served from memory with ETag, Last-Modified and
Cache-Control; the snapshot is rebuilt when something is published. ``candor site build`` writes
the same files for hosting away from Candor.
"""

from __future__ import annotations

from candor.web.status_site.routes import router

__all__ = ["router"]
