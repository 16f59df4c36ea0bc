"""The JSON API under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.api import accounts, audit, incidents, obligations

router = APIRouter(prefix="/api/v1")
router.include_router(incidents.router)
router.include_router(obligations.router)
router.include_router(accounts.router)
router.include_router(audit.router)
