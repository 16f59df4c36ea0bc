"""Raw rows of each source → the columns of a normalised event (``schema.EVENT``).

Each function returns ``Events``: the table rows come from plus one Ibis expression per event
column, not a projected table. The scan builds its single projection from these expressions, so
costly columns (the resources list, pivot fields) are only computed inside ``CASE WHEN matched``
and the hot path pays only for what matching needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from candor.adapters.logs.schema import CLOUDTRAIL_HOT, CLOUDTRAIL_RECORD, EVENT
from candor.domain.scoping import weblog
from candor.domain.scoping.mapping import FieldMapping, TimeFormat

UTC_TS = dt.Timestamp(timezone="UTC")


def _null(name: str) -> ir.Value:
    return ibis.null(EVENT[name])


@dataclass(frozen=True)
class Events:
    table: ir.Table
    columns: Mapping[str, ir.Value]
    # For sources read lazily: the events over ``table`` (derived from this one's) where the
    # costly columns are computed only for the rows ``keep`` selects. See ``narrowed``.
    narrow: Callable[[ir.Table, ir.BooleanValue], Events] | None = None

    def __post_init__(self) -> None:
        missing = set(EVENT) - set(self.columns)
        assert not missing, f"event columns missing: {sorted(missing)}"

    def narrowed(self, table: ir.Table, keep: ir.BooleanValue) -> Events:
        """The events read from ``table`` (a projection of ``self.table`` adding columns),
        promising that only rows where ``keep`` holds need more than the matching columns
        (time, addresses, user agent, key, principal). The scan keeps every other row as a
        count, so a lazily read source parses its records in full only for these."""
        if self.narrow is None:
            return Events(table, self.columns)  # the columns resolve through the projection
        return self.narrow(table, keep)

    def projected(self) -> ir.Table:
        """The events as a table (for unions of differently laid-out files). Every row is kept
        whole: a lazily read source parses each record once, in a projection of its own."""
        whole = self.narrowed(self.table, ibis.literal(True)) if self.narrow else self
        return whole.table.select(**{name: whole.columns[name].cast(EVENT[name]) for name in EVENT})

    @classmethod
    def of(cls, table: ir.Table) -> Events:
        return cls(table, {name: table[name] for name in EVENT})


Parse = Callable[[ir.StringValue], ir.StructValue]  # JSON text → a CloudTrail record


def cloudtrail(raw: ir.Table, parse: Parse | None = None) -> Events:
    """Raw CloudTrail rows: ``file``, ``bad`` and ``records`` (a list) or ``record``; or, from
    an engine that reads JSON lazily, ``json`` (a record's text) and ``hot`` (the text of each
    field in ``CLOUDTRAIL_HOT``, in order), with ``parse`` turning the text into a record."""
    if "hot" in raw.columns:
        assert parse is not None, "a lazily read record needs the engine's parser"
        return _lazy_cloudtrail(raw, parse)
    if "records" in raw.columns:
        # A missing Records key (or an unparseable file) is malformed: it becomes one NULL
        # record so the row survives the unnest and is counted; an empty list yields no rows.
        # (Not ``keep_empty``: its lateral join is several times slower on DuckDB.)
        missing = raw.records.isnull()
        placeholder = ibis.literal([None], dt.Array(raw.records.type().value_type))
        raw = raw.mutate(
            bad=raw.bad | missing, records=ibis.ifelse(missing, placeholder, raw.records)
        )
        raw = raw.unnest("records").rename(record="records")
    return Events(raw, _cloudtrail_columns(raw, raw.record, {}))


def _lazy_cloudtrail(raw: ir.Table, parse: Parse) -> Events:
    """Matching reads only the hot fields; the rest of a record is parsed for the rows the
    scan keeps (``Events.narrowed``): its own projection, so once per kept row."""
    hot = {path: raw.hot[i] for i, path in enumerate(CLOUDTRAIL_HOT)}

    def narrowed(table: ir.Table, keep: ir.BooleanValue) -> Events:
        kept = table.mutate(
            _record=ibis.ifelse(keep, parse(table.json), ibis.null(CLOUDTRAIL_RECORD))
        )
        return Events(kept, _cloudtrail_columns(raw, kept._record, hot))

    # until narrowed, every field reads from its own parse: correct, but the scan narrows
    # first and ``projected`` keeps every row whole, so neither reads these columns
    return Events(raw, _cloudtrail_columns(raw, parse(raw.json), hot), narrowed)


def _cloudtrail_columns(
    raw: ir.Table, record: ir.StructValue, hot: Mapping[str, ir.Value]
) -> dict[str, ir.Value]:
    """The event columns of a CloudTrail record; ``hot`` holds fields already read out."""

    def field(path: str) -> ir.Value:
        if path in hot:
            return hot[path]
        value: ir.Value = record
        for part in path.split("."):
            value = value[part]  # type: ignore[index]
        return value

    time = ibis.coalesce(field("eventTime"), field("@timestamp")).try_cast(UTC_TS)
    bucket, key = field("requestParameters.bucketName"), field("requestParameters.key")
    s3 = ibis.ifelse(
        bucket.notnull(),
        "arn:aws:s3:::" + bucket + ibis.ifelse(key.notnull(), "/" + key, ""),
        ibis.null(dt.string),
    )
    listed = field("resources").map(lambda x: ibis.coalesce(x.ARN, x.ARNPrefix))
    resources = ibis.ifelse(
        field("resources").length().fill_null(0) > 0,
        listed,
        ibis.ifelse(s3.notnull(), ibis.array([s3]), ibis.null(dt.Array(dt.string))),
    )
    name = field("eventName")
    present = (raw.hot if hot else record).notnull()
    return {
        "file": raw.file,
        "bad": raw.bad | (present & time.isnull()),
        "event_time": time,
        "event_name": name,
        "event_source": field("eventSource"),
        "event_id": field("eventID"),
        "account": ibis.coalesce(field("recipientAccountId"), field("userIdentity.accountId")),
        "source_ip": ibis.coalesce(field("sourceIPAddress"), field("network.client.ip")),
        "user_agent": ibis.coalesce(field("userAgent"), field("http.useragent")),
        "access_key_id": field("userIdentity.accessKeyId"),
        "principal_arn": field("userIdentity.arn"),
        "issuer_arn": field("userIdentity.sessionContext.sessionIssuer.arn"),
        "error_code": field("errorCode"),
        "resources": resources,
        "created_key": field("responseElements.accessKey.accessKeyId"),
        "created_key_user": field("responseElements.accessKey.userName"),
        "assumed_role_arn": ibis.ifelse(
            name.startswith("AssumeRole"),
            field("requestParameters.roleArn"),
            ibis.null(dt.string),
        ),
        "issued_key": field("responseElements.credentials.accessKeyId"),
    }


_GROUPS = {
    "client": weblog.CLIENT,
    "user": weblog.USER,
    "stamp": weblog.TIME,
    "request": weblog.REQUEST,
    "status": weblog.STATUS,
    "agent": weblog.USER_AGENT,
}
_ALL_GROUPS = ("client", "ident", "user", "stamp", "request", "status", "bytes", "referer", "agent")


@ibis.udf.scalar.builtin(name="regexp_extract")
def _regexp_groups(  # type: ignore[empty-body]
    text: str,
    pattern: str,
    names: dt.Array(dt.string),  # type: ignore[valid-type]
) -> dt.Struct({name: dt.string for name in _ALL_GROUPS}):  # type: ignore[valid-type]
    """DuckDB's ``regexp_extract`` with a list of names: every group in one match."""


def web(raw: ir.Table, *, one_match: bool = False) -> Events:
    """Raw access-log rows: ``file`` and ``line``.

    ``one_match``: the engine extracts all groups of a pattern at once (DuckDB); otherwise
    each group is its own extraction, which costs a regular-expression run per field.
    """
    line = raw.line
    if one_match:
        names = ibis.literal(list(_ALL_GROUPS), dt.Array(dt.string))
        found = raw.select(
            file=raw.file, line=line, groups=_regexp_groups(line, weblog.LINE_PATTERN, names)
        )
        groups = {name: found.groups[name] for name in _GROUPS}
        raw = found
    else:
        groups = {name: line.re_extract(weblog.LINE_PATTERN, i) for name, i in _GROUPS.items()}
    # Each regular expression runs once per line in this inner projection; the columns below
    # only slice its results (engines do not share repeated subexpressions by themselves).
    fields = raw.select(
        file=raw.file,
        line=raw.line,
        parsed=raw.line.re_search(weblog.LINE_PATTERN),
        **groups,
    )
    stamp = fields.stamp

    def cut(start: int, length: int) -> ir.StringValue:
        return stamp.substr(start, length)  # 17/May/2015:10:05:03 +0000 is fixed-width

    month = ibis.cases(
        *((cut(3, 3) == name, f"{number + 1:02d}") for number, name in enumerate(weblog.MONTHS)),
        else_=ibis.null(dt.string),
    )
    # rebuilt as ISO 8601 with its offset, which every engine casts to an instant
    iso = (
        cut(7, 4) + "-" + month + "-" + cut(0, 2) + "T" + cut(12, 8) + cut(21, 3) + ":" + cut(24, 2)
    )
    time = ibis.ifelse(stamp.re_search(weblog.TIME_PATTERN), iso, ibis.null(dt.string))
    time = time.try_cast(UTC_TS)
    request = fields.request
    method = request.re_extract(weblog.REQUEST_PATTERN, 1)
    target = request.re_extract(weblog.REQUEST_PATTERN, 2)
    # not split("?"): Spark reads the separator as a regular expression
    path = target.re_extract(r"^([^?]*)", 1)
    status, user, agent, parsed = fields.status, fields.user, fields.agent, fields.parsed
    # engines disagree on blank lines (NULL or ""); both are gaps, not malformed records
    blank = fields.line.isnull() | (fields.line.strip() == "")
    return Events(
        fields,
        {
            "file": fields.file,
            "bad": ~blank & (~parsed | time.isnull()),
            "event_time": ibis.ifelse(parsed, time, ibis.null(UTC_TS)),
            "event_name": ibis.ifelse(method != "", method, ibis.null(dt.string)),
            "event_source": ibis.literal("http", dt.string),
            "event_id": _null("event_id"),
            "account": _null("account"),
            "source_ip": fields.client,
            "user_agent": ibis.ifelse(agent.isin(["", "-"]), ibis.null(dt.string), agent),
            "access_key_id": _null("access_key_id"),
            "principal_arn": ibis.ifelse(user.isin(["", "-"]), ibis.null(dt.string), user),
            "issuer_arn": _null("issuer_arn"),
            "error_code": ibis.ifelse(
                status.try_cast("int64") >= 400, status, ibis.null(dt.string)
            ),
            "resources": ibis.ifelse(
                target != "", ibis.array([path]), ibis.null(dt.Array(dt.string))
            ),
            "created_key": _null("created_key"),
            "created_key_user": _null("created_key_user"),
            "assumed_role_arn": _null("assumed_role_arn"),
            "issued_key": _null("issued_key"),
        },
    )


def resolve(table: ir.Table, path: str, *, root: str | None = None) -> ir.Value:
    """A dotted path: a column named so (CSV headers may hold dots), or nested fields."""
    if root is None and path in table.columns:
        return table[path]
    value: ir.Value = table[root] if root is not None else table
    for part in path.split("."):
        value = value[part]  # type: ignore[index]
    return value


def mapped(raw: ir.Table, mapping: FieldMapping, *, root: str | None = None) -> Events:
    """Generic logs through a field mapping; JSON rows arrive as struct ``root``."""
    fields = mapping.fields()

    def text(name: str) -> ir.Value:
        if name not in fields:
            return ibis.null(dt.string)
        value = resolve(raw, fields[name], root=root)
        return value if value.type().is_string() else value.cast(dt.string)

    raw_time = resolve(raw, fields["time"], root=root)
    if mapping.time_format is TimeFormat.ISO8601:
        time = (
            raw_time.cast(UTC_TS)
            if raw_time.type().is_timestamp()
            else raw_time.cast(dt.string).try_cast(UTC_TS)
        )
    else:
        unit = "s" if mapping.time_format is TimeFormat.EPOCH_SECONDS else "ms"
        number = raw_time.cast(dt.string).try_cast(dt.float64).cast(dt.int64)
        time = number.as_timestamp(unit).cast(UTC_TS)
    bad = raw.bad if "bad" in raw.columns else ibis.literal(False)
    resource = text("resource")
    present = raw[root].notnull() if root is not None else ibis.literal(True)
    return Events(
        raw,
        {
            "file": raw.file,
            "bad": bad | (present & time.isnull()),
            "event_time": time,
            "event_name": text("action"),
            "event_source": _null("event_source"),
            "event_id": _null("event_id"),
            "account": text("account"),
            "source_ip": text("source_ip"),
            "user_agent": text("user_agent"),
            "access_key_id": text("access_key_id"),
            "principal_arn": text("actor"),
            "issuer_arn": _null("issuer_arn"),
            "error_code": _null("error_code"),
            "resources": ibis.ifelse(
                resource.notnull(), ibis.array([resource]), ibis.null(dt.Array(dt.string))
            ),
            "created_key": _null("created_key"),
            "created_key_user": _null("created_key_user"),
            "assumed_role_arn": _null("assumed_role_arn"),
            "issued_key": _null("issued_key"),
        },
    )
