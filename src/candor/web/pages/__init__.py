"""Server-rendered pages. Core flows work without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.pages import account, admin, auth, help, incidents, intake, reports, secrets, triage

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(incidents.router)
router.include_router(account.router)
router.include_router(admin.router)
router.include_router(help.router)
router.include_router(intake.router)
router.include_router(reports.router)
router.include_router(triage.router)
router.include_router(secrets.router)
