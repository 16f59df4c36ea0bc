"""The metrics page: response times and obligation margins per incident, medians and the 90th
percentile across incidents, overdue action items and recurring root causes. Charts are SVG drawn
on the server (``adapters/charts.py``): no script, nothing from elsewhere."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from candor.adapters import charts
from candor.adapters.formatting import duration, margin, when
from candor.domain.metrics import MEASURE_LABELS, Measure
from candor.services import learn_metrics
from candor.web.deps import Caller, context, page_auth
from candor.web.pages.common import NAV_ITEMS, render

router = APIRouter()

NAV_ITEMS.append({"href": "/metrics", "label": "Metrics", "show": lambda actor: True})


def svg(text: str) -> Markup:
    # the chart module escapes every text it writes; the SVG is ours, not the user's
    return Markup(text)  # noqa: S704


@router.get("/metrics", response_class=HTMLResponse)
def metrics(
    request: Request,
    incident: str | None = Query(None, max_length=40),
    exercises: bool = Query(False),
    caller: Caller = Depends(page_auth),
) -> Response:
    ctx = context(request)
    found = learn_metrics.overview(ctx, caller.actor, include_exercises=exercises)
    chosen = None
    detail = None
    if incident:
        facts = learn_metrics.incident_facts(ctx, caller.actor, incident)
        chosen = facts.metrics(now=ctx.clock.now())
        detail = {
            "metrics": chosen,
            "times": svg(charts.response_times_chart(chosen)),
            "margins": svg(charts.obligation_margins_chart(chosen)),
            "milestones": svg(charts.milestones_chart(chosen.key, facts.moments())),
        }
    return render(
        request,
        "metrics.html",
        caller=caller,
        overview=found,
        detail=detail,
        summary_chart=svg(charts.summary_chart(found.summaries)),
        measures=list(Measure),
        MEASURE_LABELS=MEASURE_LABELS,
        duration=duration,
        margin=margin,
        when=when,
        exercises=exercises,
    )
