"""The columns read from each log record, as Ibis types, and the normalised event table.

One declaration serves every engine: DuckDB gets it as a ``json_transform`` structure (only
these fields are materialised; everything else in a record is skipped by the parser) and Spark
as a ``StructType``. Fields a source lacks come back NULL, which is how the Datadog-forwarded
(``network.client.ip``, ``http.useragent``) and Logstash (``@timestamp``) exports read with the
same schema as native CloudTrail.
"""

from __future__ import annotations

import json

import ibis.expr.datatypes as dt

S = dt.string

CLOUDTRAIL_RECORD = dt.Struct(
    {
        "eventTime": S,
        "@timestamp": S,
        "eventName": S,
        "eventSource": S,
        "eventID": S,
        "recipientAccountId": S,
        "sourceIPAddress": S,
        "userAgent": S,
        "errorCode": S,
        "userIdentity": dt.Struct(
            {
                "arn": S,
                "accountId": S,
                "accessKeyId": S,
                "sessionContext": dt.Struct({"sessionIssuer": dt.Struct({"arn": S})}),
            }
        ),
        "requestParameters": dt.Struct({"bucketName": S, "key": S, "roleArn": S, "userName": S}),
        "responseElements": dt.Struct(
            {
                "accessKey": dt.Struct({"accessKeyId": S, "userName": S}),
                "credentials": dt.Struct({"accessKeyId": S}),
                "assumedRoleUser": dt.Struct({"arn": S}),
            }
        ),
        "resources": dt.Array(dt.Struct({"ARN": S, "ARNPrefix": S})),
        # forwarders move fields: Datadog puts the source IP and user agent here
        "network": dt.Struct({"client": dt.Struct({"ip": S})}),
        "http": dt.Struct({"useragent": S}),
    }
)

CLOUDTRAIL_ENVELOPE = dt.Struct({"Records": dt.Array(CLOUDTRAIL_RECORD)})

# The fields every CloudTrail record is read for: its time and what the indicators match. An
# engine that can pull these out of the JSON text alone (DuckDB's ``json_extract_string`` with
# a list of paths) reads the whole record only for the events that matched: on JSON Lines that
# takes a third off a scan. The other fields are read per matched event.
CLOUDTRAIL_HOT = (
    "eventTime",
    "@timestamp",
    "sourceIPAddress",
    "network.client.ip",
    "userAgent",
    "http.useragent",
    "userIdentity.accessKeyId",
    "userIdentity.arn",
    "userIdentity.sessionContext.sessionIssuer.arn",
)


def json_path(path: str) -> str:
    """A dotted field path as a JSONPath, every key quoted (``@timestamp`` → ``$."@timestamp"``)."""
    return "$" + "".join('."' + part.replace('"', '\\"') + '"' for part in path.split("."))


# The normalised event every source becomes; the scan expressions only ever see these columns.
EVENT = {
    "file": S,
    "bad": dt.boolean,  # the record (or line) could not be parsed at all
    "event_time": dt.Timestamp(timezone="UTC"),
    "event_name": S,
    "event_source": S,
    "event_id": S,
    "account": S,
    "source_ip": S,
    "user_agent": S,
    "access_key_id": S,
    "principal_arn": S,
    "issuer_arn": S,
    "error_code": S,
    "resources": dt.Array(S),
    "created_key": S,
    "created_key_user": S,
    "assumed_role_arn": S,
    "issued_key": S,
}


def duckdb_json_structure(dtype: dt.DataType) -> str:
    """The ``json_transform`` structure for ``dtype`` (JSON text)."""
    return json.dumps(_structure(dtype), separators=(",", ":"))


def _structure(dtype: dt.DataType) -> object:
    if isinstance(dtype, dt.Struct):
        return {name: _structure(field) for name, field in dtype.items()}
    if isinstance(dtype, dt.Array):
        return [_structure(dtype.value_type)]
    if dtype.is_string():
        return "VARCHAR"
    if dtype.is_int64():
        return "BIGINT"
    if dtype.is_float64():
        return "DOUBLE"
    if dtype.is_boolean():
        return "BOOLEAN"
    raise TypeError(f"no JSON structure for {dtype}")


def text_struct(paths: tuple[str, ...]) -> dt.Struct:
    """A struct of strings reaching each dotted path (``user.name`` → user: {name})."""
    tree: dict[str, object] = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # ``a`` and ``a.b`` both mapped: keep the struct
                child = node[part] = {}
            node = child
        node.setdefault(parts[-1], None)
    return _tree_to_struct(tree)


def _tree_to_struct(tree: dict[str, object]) -> dt.Struct:
    return dt.Struct(
        {
            name: S if child is None else _tree_to_struct(child)  # type: ignore[arg-type]
            for name, child in tree.items()
        }
    )
