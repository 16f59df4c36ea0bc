"""``candor statements`` and ``candor site build``, end to end in process."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.integration.test_cli import Run, cli  # noqa: F401 - the fixture


def test_draft_review_publish_correct_and_build_the_site(
    cli: Run,  # noqa: F811
    tmp_path: Path,
) -> None:
    code, out, err = cli("incident", "declare", "Keys read", "--json")
    assert code == 0, err
    key = json.loads(out)["key"]
    for role, person in (("counsel", "carol"), ("incident_lead", "dan"), ("comms_lead", "alice")):
        assert cli("role", "assign", key, role, person)[0] == 0
    code, out, err = cli(
        "statements",
        "draft",
        key,
        "--template",
        "acknowledgement",
        "--audience",
        "public",
        "--channel",
        "status_site",
    )
    assert code == 0, err
    assert "statement #1 (acknowledgement to public) is draft" in out
    code, _, err = cli(
        "statements",
        "draft",
        key,
        "--audience",
        "press",
        "--channel",
        "fax",
        "--title",
        "T",
        "--body",
        "B",
    )
    assert code == 1 and "audience" in err and "channels" in err
    assert cli("statements", "submit", key, "1")[0] == 0
    code, _, err = cli("--as", "dan", "statements", "approve", key, "1")
    assert code == 1 and "awaits the counsel (carol)" in err
    assert cli("--as", "carol", "statements", "approve", key, "1")[0] == 0
    assert cli("--as", "dan", "statements", "approve", key, "1")[0] == 0
    code, out, err = cli("statements", "publish", key, "1")
    assert code == 0, err
    assert "SHA-256" in out
    code, out, err = cli(
        "statements",
        "correct",
        key,
        "1",
        "--what-was-wrong",
        "It named the wrong system.",
        "--body",
        "The system was the billing API.",
    )
    assert code == 0, err
    assert cli("statements", "submit", key, "2")[0] == 0
    assert cli("--as", "carol", "statements", "approve", key, "2")[0] == 0
    assert cli("--as", "dan", "statements", "approve", key, "2")[0] == 0
    assert cli("statements", "publish", key, "2")[0] == 0
    code, out, _ = cli("statements", "list", key, "--json")
    listed = json.loads(out)
    assert [s["state"] for s in listed] == ["published", "published"]
    assert listed[1]["corrects"] == 1
    code, out, _ = cli("statements", "show", key, "2")
    assert "corrects statement #1: It named the wrong system." in out
    assert "delivery: no message queued" in out  # the status site only: no email, no webhook
    site = tmp_path / "site"
    code, _, err = cli("site", "build", str(site))
    assert code == 0, err
    assert (site / "index.html").exists() and (site / "static" / "candor.css").exists()
    pages = list((site / "incidents").glob("*/index.html"))
    assert len(pages) == 1 and "Correction" in pages[0].read_text()
    root = ET.fromstring((site / "feed.atom").read_bytes())  # noqa: S314 - our own feed
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 2
    assert json.loads((site / "feed.json").read_text())["items"]
    assert key not in (site / "index.html").read_text()
    assert cli("site", "build", str(site))[0] == 0  # an earlier build is replaced
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    code, _, err = cli("site", "build", str(other))
    assert code == 1 and "not written by" in err
