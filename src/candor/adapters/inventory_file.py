"""Read inventory and customer files (YAML or CSV) into plain data that remembers positions.

YAML has the shape of docs/examples/inventory.yaml. CSV is for the flat parts people keep in
spreadsheets: an inventory CSV has one system per row, a customers CSV one contact per row
(rows with the same ``external_id`` are one customer). Either way the result is a
``yamlfile.Document`` whose positions let the domain's problems name file, line and column.

Inventory CSV columns: name, owner, environment, description, data_elements (separated by ``;``),
records (``US-CA=1200;DE=300``, optionally ``US-CA=1200@customer-id``), encrypted_at_rest
(yes/no), key_location, key_system.

Customers CSV columns: external_id, name, tier, jurisdictions (``;``), email, contact_name,
role, verified (yes/no), verified_at, unreachable (empty, or the reason).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from candor.adapters import yamlfile
from candor.domain.errors import Problem, RuleFileError

MAX_BYTES = 20 * 1024 * 1024
SYSTEM_COLUMNS = (
    "name",
    "owner",
    "environment",
    "description",
    "data_elements",
    "records",
    "encrypted_at_rest",
    "key_location",
    "key_system",
)
CUSTOMER_COLUMNS = (
    "external_id",
    "name",
    "tier",
    "jurisdictions",
    "email",
    "contact_name",
    "role",
    "verified",
    "verified_at",
    "unreachable",
)
YES = {"yes", "true", "y", "1"}
NO = {"no", "false", "n", "0", ""}


def read(path: Path | str) -> tuple[str, str]:
    """(display name, text) of a file, or ``RuleFileError`` naming it."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_BYTES:
            raise RuleFileError([Problem(f"larger than {MAX_BYTES // 2**20} MB", file=str(path))])
        return str(path), file.read_text("utf-8")
    except FileNotFoundError:
        raise RuleFileError([Problem("no such file", file=str(path))]) from None
    except UnicodeDecodeError:
        raise RuleFileError([Problem("not valid UTF-8", file=str(path))]) from None
    except IsADirectoryError:
        raise RuleFileError([Problem("is a directory, not a file", file=str(path))]) from None
    except OSError as exc:  # permissions, a device that cannot be read …
        raise RuleFileError([Problem(f"cannot be read: {exc.strerror}", file=str(path))]) from None


def parse(text: str, *, file: str, kind: str) -> yamlfile.Document:
    """``kind`` is ``inventory`` or ``customers``; CSV is recognised by the file's extension."""
    if file.lower().endswith(".csv"):
        return _customers_csv(text, file) if kind == "customers" else _systems_csv(text, file)
    doc = yamlfile.parse(text, file=file)
    if doc.problems:
        raise RuleFileError(doc.problems)
    return doc


def load(path: Path | str, *, kind: str) -> yamlfile.Document:
    file, text = read(path)
    return parse(text, file=file, kind=kind)


def _rows(text: str, file: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        return _read_rows(reader, file, columns)
    except csv.Error as exc:
        raise RuleFileError(
            [Problem(f"not valid CSV: {exc}", file=file, line=reader.line_num)]
        ) from None


def _read_rows(
    reader: csv.DictReader[str], file: str, columns: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    header = [h.strip() for h in reader.fieldnames or ()]
    unknown = [h for h in header if h not in columns]
    problems = [
        Problem(
            f"unknown column {h!r}",
            file=file,
            line=1,
            column=header.index(h) + 1,
            hint="columns: " + ", ".join(columns),
        )
        for h in unknown
    ]
    if not header:
        problems.append(Problem("empty file: expected a header row", file=file, line=1))
    if problems:
        raise RuleFileError(problems)
    reader.fieldnames = header
    out = []
    for row in reader:
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra:
            raise RuleFileError(
                [Problem("more cells than columns", file=file, line=reader.line_num)]
            )
        out.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return out


def _flag(value: str) -> bool | str:
    word = value.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    return value


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _records(value: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in _list(value):
        place, _, rest = part.partition("=")
        count, _, customer = rest.partition("@")
        entry: dict[str, Any] = {
            "jurisdiction": place.strip(),
            "count": int(count) if count.strip().isdecimal() else count.strip() or None,
        }
        if customer.strip():
            entry["customer"] = customer.strip()
        out.append(entry)
    return out


def _place(doc: yamlfile.Document, path: yamlfile.PathKey, line: int, header: tuple[str, ...],
           names: dict[str, str]) -> None:  # fmt: skip
    doc.positions[path] = (line, 1)
    for key, column in names.items():
        if column in header:
            doc.positions[(*path, key)] = (line, header.index(column) + 1)


def _systems_csv(text: str, file: str) -> yamlfile.Document:
    rows = _rows(text, file, SYSTEM_COLUMNS)
    systems = []
    doc = yamlfile.Document(file=file, data=None)
    doc.positions[()] = (1, 1)
    doc.positions[("systems",)] = (1, 1)
    for i, (line, row) in enumerate(rows):
        system: dict[str, Any] = {
            k: row[k] for k in ("name", "owner", "environment", "description") if row.get(k)
        }
        system["data_elements"] = _list(row.get("data_elements", ""))
        system["records"] = _records(row.get("records", ""))
        system["encryption"] = {
            "at_rest": _flag(row.get("encrypted_at_rest", "")),
            "key_location": row.get("key_location", ""),
        }
        if row.get("key_system"):
            system["encryption"]["key_system"] = row["key_system"]
        systems.append(system)
        _place(
            doc,
            ("systems", i),
            line,
            SYSTEM_COLUMNS,
            {
                **{c: c for c in ("name", "owner", "environment", "description")},
                "data_elements": "data_elements",
                "records": "records",
                "encryption": "encrypted_at_rest",
            },
        )
        doc.positions[("systems", i, "encryption", "key_location")] = (
            line,
            SYSTEM_COLUMNS.index("key_location") + 1,
        )
        doc.positions[("systems", i, "encryption", "key_system")] = (
            line,
            SYSTEM_COLUMNS.index("key_system") + 1,
        )
    doc.data = {"systems": systems}
    return doc


def _customers_csv(text: str, file: str) -> yamlfile.Document:
    rows = _rows(text, file, CUSTOMER_COLUMNS)
    doc = yamlfile.Document(file=file, data=None)
    doc.positions[()] = (1, 1)
    doc.positions[("customers",)] = (1, 1)
    order: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        ext = row.get("external_id", "")
        key = ext.lower() or f"(line {line})"
        if key not in order:
            i = len(order)
            order[key] = {
                "external_id": ext or None,
                "name": row.get("name", ""),
                "tier": row.get("tier", ""),
                "jurisdictions": _list(row.get("jurisdictions", "")),
                "contacts": [],
            }
            _place(
                doc,
                ("customers", i),
                line,
                CUSTOMER_COLUMNS,
                {c: c for c in ("external_id", "name", "tier", "jurisdictions")},
            )
        i = list(order).index(key)
        customer = order[key]
        if not row.get("email"):
            continue
        j = len(customer["contacts"])
        contact: dict[str, Any] = {
            "email": row["email"],
            "name": row.get("contact_name", ""),
            "role": row.get("role", ""),
            "verified": _flag(row.get("verified", "")),
        }
        if row.get("verified_at"):
            contact["verified_at"] = row["verified_at"]
        if row.get("unreachable"):
            contact["unreachable"] = row["unreachable"]
        customer["contacts"].append(contact)
        _place(
            doc,
            ("customers", i, "contacts", j),
            line,
            CUSTOMER_COLUMNS,
            {
                "email": "email",
                "name": "contact_name",
                "role": "role",
                "verified": "verified",
                "verified_at": "verified_at",
                "unreachable": "unreachable",
            },
        )
    doc.data = {"customers": list(order.values())}
    return doc


def dump_customers_csv(customers: list[dict[str, Any]]) -> str:
    """Customers (``Customer.as_dict``) as a customers CSV: one row per contact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CUSTOMER_COLUMNS)
    for c in customers:
        common = [c["external_id"], c["name"], c["tier"], ";".join(c["jurisdictions"])]
        for p in c["contacts"] or [None]:
            if p is None:
                writer.writerow([*common, "", "", "", "", "", ""])
                continue
            writer.writerow(
                [
                    *common,
                    p["email"],
                    p["name"],
                    p["role"],
                    "yes" if p["verified"] else "no",
                    p["verified_at"] or "",
                    p["unreachable_reason"] or "",
                ]
            )
    return out.getvalue()
