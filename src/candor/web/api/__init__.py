"""The JSON API under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.api import (
    accounts,
    advisories,
    attachments,
    audit,
    delivery,
    exercises,
    impact,
    incidents,
    inventory,
    learn,
    obligations,
    reports,
    statements,
    triage,
)

router = APIRouter(prefix="/api/v1")
router.include_router(incidents.router)
router.include_router(impact.router)
router.include_router(obligations.router)
router.include_router(accounts.router)
router.include_router(audit.router)
router.include_router(exercises.router)
router.include_router(advisories.router)
router.include_router(reports.router)
router.include_router(triage.router)
router.include_router(learn.router)
router.include_router(inventory.router)
router.include_router(statements.router)
router.include_router(delivery.router)
router.include_router(attachments.router)
