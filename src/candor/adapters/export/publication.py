"""The documents a published revision carries, made and validated by the exporters.

This is the ``AdvisoryDocuments`` port of the advisory use cases. The JSON text is fixed here
once (two-space indent, UTF-8, a final newline, as ``candor advisory export`` writes it) and
stored with the revision, so the bytes the public downloads are the bytes that were hashed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from candor.adapters.export import formats
from candor.adapters.export.schemas import Format
from candor.domain.advisories import Advisory
from candor.domain.advisory_store import Document, document_name, in_order
from candor.domain.errors import InvalidInput, Problem
from candor.services.ports_advisories import Rendered

LABELS = {"csaf": "CSAF", "cve": "CVE record", "osv": "OSV record"}


def text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class AdvisoryExports:
    def render(self, advisory: Advisory, *, now: datetime) -> Rendered:
        documents: list[Document] = []
        problems: list[Problem] = []

        def attempt(fmt: Format, name: str, index: int | None = None) -> None:
            try:
                document = formats.export(advisory, fmt, now=now, index=index)
            except InvalidInput as exc:
                label = LABELS[fmt] + (f" ({name})" if name != f"{fmt}.json" else "")
                problems.extend(replace(p, message=f"{label}: {p.message}") for p in exc.problems)
            else:
                documents.append(Document.of(name, fmt, text(document)))

        attempt("csaf", "csaf.json")
        count = len(advisory.vulnerabilities)
        cna = advisory.publisher is not None and advisory.publisher.cna_org_id is not None
        for i, vulnerability in enumerate(advisory.vulnerabilities):
            attempt("osv", document_name("osv", i, count), i)
            # only a CNA publishes CVE records; a vendor that is not one sends the content to
            # its CNA (``candor advisory export ID --format cve`` still shows what is missing)
            if vulnerability.cve and cna:
                attempt("cve", document_name("cve", i, count), i)
        return Rendered(in_order(documents), tuple(problems))

    def export(
        self,
        advisory: Advisory,
        fmt: str,
        *,
        now: datetime,
        index: int | None = None,
        cve: str | None = None,
    ) -> dict[str, Any]:
        if fmt not in LABELS:
            raise InvalidInput(
                Problem(f"unknown format {fmt!r}", field="format", hint="cve, csaf or osv")
            )
        return formats.export(advisory, cast(Format, fmt), now=now, index=index, cve=cve)
