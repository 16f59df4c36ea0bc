"""``candor advisory`` on the workspace, end to end in process: create, edit, publish, export by
id, import --store, and publish-dir writing the public site as static files."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from candor.adapters.export.csaf_provider import METADATA
from tests.golden.samples import osv_files
from tests.golden.test_exports import shared_validator
from tests.integration.test_cli import Run, cli  # noqa: F401 - the fixture
from tests.web.test_advisory_public import shared_provider_validator

RECORD = """\
title: Access tokens written to the acme-agent debug log
tlp: CLEAR
publisher: {name: ACME Corp, namespace: "https://acme.example"}
description: acme-agent 1.0.0 up to 1.4.1 writes the customer's API token to its debug log.
vulnerabilities:
  - cve: CVE-2026-12345
    cwe: [{id: CWE-532, name: Insertion of Sensitive Information into Log File}]
    cvss: [CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N]
    affected:
      - vendor: ACME
        product: acme-agent
        ranges: [{scheme: python, introduced: "1.0.0", fixed: "1.4.2"}]
    references: [https://acme.example/security/token-log]
"""


def test_create_edit_publish_and_export_by_id(cli: Run, tmp_path: Path) -> None:  # noqa: F811
    record = tmp_path / "advisory.yaml"
    record.write_text(RECORD, encoding="utf-8")
    code, out, err = cli("advisory", "create", "--file", str(record))
    assert code == 0, err
    key = out.split()[1]
    assert re.fullmatch(r"EXAMPLE-SA-\d{4}-001", key)
    code, out, _ = cli("advisory", "show", key, "--yaml")
    assert code == 0 and out.startswith(f"id: {key}\n")
    edited = tmp_path / "edited.yaml"
    edited.write_text(out.replace("debug log", "debug log file", 1), encoding="utf-8")
    assert cli("advisory", "edit", key, "--file", str(edited), "--version", "1")[0] == 0
    code, _, err = cli("advisory", "edit", key, "--file", str(edited), "--version", "1")
    assert code == 1 and "changed by someone else" in err
    code, out, err = cli("advisory", "publish", key, "--summary", "Initial publication.")
    assert code == 0, err
    assert "revision 1" in out and "csaf.json  sha256" in out
    code, out, _ = cli("advisory", "export", key, "--format", "csaf")
    assert code == 0 and list(shared_validator("csaf").iter_errors(json.loads(out))) == []
    code, published, _ = cli("advisory", "export", key, "--format", "osv", "--revision", "1")
    assert code == 0
    code, out, _ = cli("advisory", "show", key, "--json")
    shown = json.loads(out)
    osv = next(d for d in shown["revisions"][0]["documents"] if d["name"] == "osv.json")
    assert hashlib.sha256(published.encode()).hexdigest() == osv["sha256"]
    code, _, err = cli("advisory", "export", key, "--format", "csaf", "--revision", "7")
    assert code == 1 and "has no revision 7" in err
    code, out, _ = cli("advisory", "list", "--json")
    assert [a["id"] for a in json.loads(out)] == [key]
    code, _, err = cli("advisory", "export", "NOPE-SA-2026-001", "--format", "csaf")
    assert code == 1 and "no advisory NOPE-SA-2026-001" in err


def test_create_from_fields_and_refuse_what_cannot_be_published(cli: Run) -> None:  # noqa: F811
    code, out, err = cli(
        "advisory", "create", "--title", "Token in logs", "--cvss",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--json",
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert made["record"]["vulnerabilities"][0]["cvss"][0]["severity"] == "CRITICAL"
    code, _, err = cli("advisory", "publish", made["id"], "--summary", "Initial publication.")
    assert code == 1 and "cannot be published" in err and "affected product" in err
    assert cli("advisory", "discard", made["id"])[0] == 0
    assert cli("advisory", "show", made["id"])[0] == 1


def test_import_store_then_publish_dir(cli: Run, tmp_path: Path) -> None:  # noqa: F811
    record = tmp_path / "advisory.yaml"
    record.write_text(RECORD, encoding="utf-8")
    key = cli("advisory", "create", "--file", str(record))[1].split()[1]
    assert cli("advisory", "publish", key, "--summary", "Initial publication.")[0] == 0
    amber = tmp_path / "amber.yaml"
    amber.write_text(RECORD.replace("tlp: CLEAR", "tlp: AMBER"), encoding="utf-8")
    hidden = cli("advisory", "create", "--file", str(amber))[1].split()[1]
    assert cli("advisory", "publish", hidden, "--summary", "Customers only.")[0] == 0
    code, out, err = cli("advisory", "import", str(osv_files()[0]), "--store")
    assert code == 0 and out.startswith("Stored ") and "(published, revision 1)" in out
    assert "Not made: publisher: CSAF: CSAF needs the publisher" in err  # OSV names none

    site = tmp_path / "site"
    code, _, err = cli("advisory", "publish-dir", str(site))
    assert code == 0, err
    metadata = json.loads((site / METADATA).read_text())
    assert list(shared_provider_validator().iter_errors(metadata)) == []
    white = site / ".well-known" / "csaf" / "white"
    path = f"{key.split('-')[2]}/{key.lower()}.json"  # the year of the initial release
    assert (white / "index.txt").read_text() == f"{path}\n"
    document = (white / path).read_bytes()
    digest, name = (white / f"{path}.sha256").read_text().split()
    assert digest == hashlib.sha256(document).hexdigest() and name == f"{key.lower()}.json"
    assert (site / "advisories" / "public" / key / "csaf.json").read_bytes() == document
    page = (site / "advisories" / "public" / key / "index.html").read_text()
    assert "Access tokens written to the acme-agent debug log" in page
    assert hidden not in (site / "advisories" / "public" / "index.html").read_text()
    assert not (site / "advisories" / "public" / hidden).exists()
    assert (site / "static" / "candor.css").exists()
    assert (white / "index.html").exists()

    # an earlier output is replaced whole; anything else is left alone
    (site / "stale.txt").write_text("left from before")
    assert cli("advisory", "publish-dir", str(site))[0] == 0
    assert not (site / "stale.txt").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, _, err = cli("advisory", "publish-dir", str(other))
    assert code == 1 and "not written by publish-dir" in err
    assert (other / "keep.txt").exists()
