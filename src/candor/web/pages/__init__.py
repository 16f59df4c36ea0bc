"""Server-rendered pages. Core flows work without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.pages import account, admin, auth, help, incidents, obligations

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(incidents.router)
router.include_router(obligations.router)
router.include_router(account.router)
router.include_router(admin.router)
router.include_router(help.router)
