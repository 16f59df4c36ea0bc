"""Server-rendered pages. Core flows work without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.pages import (
    account,
    admin,
    advisories,
    attachments,
    auth,
    contacts,
    delivery,
    exercises,
    help,
    impact,
    incidents,
    intake,
    inventory,
    metrics,
    obligations,
    playbooks,
    readiness,
    reports,
    retros,
    secrets,
    sharing,
    statements,
    subscriptions,
    triage,
)

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(incidents.router)
router.include_router(impact.router)
router.include_router(obligations.router)
router.include_router(account.router)
router.include_router(admin.router)
router.include_router(help.router)
router.include_router(playbooks.router)
router.include_router(contacts.router)
router.include_router(exercises.router)
router.include_router(readiness.router)
router.include_router(advisories.router)
router.include_router(intake.router)
router.include_router(reports.router)
router.include_router(triage.router)
router.include_router(secrets.router)
router.include_router(retros.router)
router.include_router(metrics.router)
router.include_router(sharing.router)
router.include_router(inventory.router)
router.include_router(attachments.router)
router.include_router(statements.router)
router.include_router(delivery.router)
router.include_router(subscriptions.router)
