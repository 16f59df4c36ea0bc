"""A realistic CloudTrail corpus with a planted attack, for ``bench/scope.py``.

Seeded and deterministic. Three days of management and data events from two accounts in two
regions, written twice: CloudTrail's native layout (gzip files of ``{"Records": [...]}`` under
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``, one per five minutes per region) and
JSON Lines. Into the noise goes an attack whose every event is known (``truth.json``):

1. the key ``AKIAPLANTEDSTOLEN001`` of ``ci-deployer`` (stolen from a vendor) is used from
   ``203.0.113.0/24`` with ``python-requests``: ListBuckets, GetObject on customer exports;
2. it creates a backdoor key ``AKIAPLANTEDBACKDOOR1`` for ``svc-backup`` (CreateAccessKey),
   later used from ``198.51.100.23`` with the AWS CLI: not matched by the first indicators,
   found as a pivot;
3. it assumes ``OrganizationAccountAccessRole`` in the second account (AssumeRole → session key
   ``ASIAPLANTEDSESSION01``), used from ``203.0.113.45`` to read secrets and S3 objects.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")
START = datetime(2026, 3, 1, tzinfo=UTC)
DAYS = 3
SLOT = timedelta(minutes=5)

STOLEN = "AKIAPLANTEDSTOLEN001"
BACKDOOR = "AKIAPLANTEDBACKDOOR1"
SESSION = "ASIAPLANTEDSESSION01"
ROLE = f"arn:aws:iam::{ACCOUNTS[1]}:role/OrganizationAccountAccessRole"
INDICATORS = {
    "indicators": [
        {"type": "aws_access_key_id", "value": STOLEN},
        {"type": "cidr", "value": "203.0.113.0/24"},
        {"type": "user_agent", "value": "python-requests", "match": "substring"},
    ]
}

AGENTS = (
    "aws-sdk-java/1.12.529 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9",
    "Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.11.6",
    "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/s3#1.48.1",
    "console.amazonaws.com",
    "AWS Internal",
    "aws-cli/2.15.17 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.cp",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/121.0 Safari",
)
# (event source, event name, weight, data event)
EVENTS = (
    ("s3.amazonaws.com", "GetObject", 30, True),
    ("s3.amazonaws.com", "PutObject", 12, True),
    ("s3.amazonaws.com", "HeadObject", 8, True),
    ("s3.amazonaws.com", "ListObjects", 5, True),
    ("ec2.amazonaws.com", "DescribeInstances", 8, False),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", 3, False),
    ("sts.amazonaws.com", "AssumeRole", 6, False),
    ("sts.amazonaws.com", "GetCallerIdentity", 3, False),
    ("kms.amazonaws.com", "Decrypt", 10, False),
    ("kms.amazonaws.com", "GenerateDataKey", 5, False),
    ("iam.amazonaws.com", "ListRoles", 1, False),
    ("lambda.amazonaws.com", "Invoke", 4, True),
    ("dynamodb.amazonaws.com", "GetItem", 5, True),
)
BUCKETS = ("app-assets", "billing-reports", "logs-archive", "customer-uploads", "ml-features")


@dataclass(frozen=True)
class Slot:
    index: int
    account: str
    region: str
    start: datetime


def slots() -> list[Slot]:
    out = []
    steps = int(timedelta(days=DAYS) / SLOT)
    for step in range(steps):
        for account in ACCOUNTS:
            for region in REGIONS:
                out.append(Slot(len(out), account, region, START + step * SLOT))
    return out


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(rng: random.Random, account: str) -> tuple[str, str]:
    """(userIdentity JSON, access key id) of a routine caller."""
    if rng.random() < 0.7:
        role = rng.choice(("app-server", "etl-job", "lambda-exec", "ci-runner", "analytics"))
        session = f"i-{rng.getrandbits(60):015x}"
        key = f"ASIA{rng.getrandbits(64):016X}"
        return (
            f'{{"type":"AssumedRole","principalId":"AROA{rng.getrandbits(48):012X}:{session}",'
            f'"arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}","accountId":"{account}",'
            f'"accessKeyId":"{key}","sessionContext":{{"sessionIssuer":{{"type":"Role",'
            f'"principalId":"AROA{rng.getrandbits(48):012X}","arn":"arn:aws:iam::{account}:role/{role}",'
            f'"accountId":"{account}","userName":"{role}"}},"attributes":{{'
            f'"creationDate":"2026-03-01T00:00:00Z","mfaAuthenticated":"false"}}}}}}'
        ), key
    user = rng.choice(("alice", "bob", "carol", "deploy-bot", "backup"))
    key = f"AKIA{rng.getrandbits(64):016X}"
    return (
        f'{{"type":"IAMUser","principalId":"AIDA{rng.getrandbits(48):012X}",'
        f'"arn":"arn:aws:iam::{account}:user/{user}","accountId":"{account}",'
        f'"accessKeyId":"{key}","userName":"{user}"}}'
    ), key


def _ip(rng: random.Random) -> str:
    # corporate NAT, AWS-internal and customer ranges; never the attacker's 203.0.113.0/24
    kind = rng.random()
    if kind < 0.5:
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if kind < 0.8:
        first = rng.choice((34, 52, 54, 18))
        return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return rng.choice(("ec2.amazonaws.com", "lambda.amazonaws.com", "AWS Internal"))


def routine(rng: random.Random, slot: Slot, when: datetime, weights: list[int]) -> str:
    source, name, _, data = rng.choices(EVENTS, weights=weights)[0]
    identity, _ = _identity(rng, slot.account)
    bucket = rng.choice(BUCKETS)
    key = (
        f"{rng.choice(('2026', 'tmp', 'exports', 'in'))}/{uuid.UUID(int=rng.getrandbits(128))}.json"
    )
    if source == "s3.amazonaws.com":
        host = f"{slot.account}-{bucket}.s3.{slot.region}.amazonaws.com"
        params = f'{{"bucketName":"{slot.account}-{bucket}","Host":"{host}","key":"{key}"}}'
        resources = (
            f',"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{slot.account}-{bucket}/{key}"}},'
            f'{{"accountId":"{slot.account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{slot.account}-{bucket}"}}]'
        )
        extra = (
            ',"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256",'
            f'"bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{rng.getrandbits(200):050x}",'
            f'"bytesTransferredOut":{rng.randrange(100, 10**6)}}}'
        )
    elif name == "AssumeRole":
        role = f"arn:aws:iam::{slot.account}:role/{rng.choice(('app-server', 'etl-job'))}"
        session = f"s-{rng.getrandbits(32):08x}"
        params = f'{{"roleArn":"{role}","roleSessionName":"{session}","durationSeconds":3600}}'
        resources = (
            f',"resources":[{{"accountId":"{slot.account}","type":"AWS::IAM::Role",'
            f'"ARN":"{role}"}}]'
        )
        extra = ""
    else:
        params = (
            f'{{"maxResults":{rng.randrange(5, 1000)},"filterSet":{{}}}}'
            if data is False
            else "null"
        )
        resources, extra = "", ""
    error = (
        ',"errorCode":"AccessDenied","errorMessage":"not authorized"' if rng.random() < 0.02 else ""
    )
    return (
        f'{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"{_iso(when)}",'
        f'"eventSource":"{source}","eventName":"{name}","awsRegion":"{slot.region}",'
        f'"sourceIPAddress":"{_ip(rng)}","userAgent":"{rng.choice(AGENTS)}",'
        f'"requestParameters":{params},"responseElements":null{extra}{error},'
        f'"requestID":"{rng.getrandbits(64):016X}","eventID":"{uuid.UUID(int=rng.getrandbits(128))}",'
        f'"readOnly":true{resources},"eventType":"AwsApiCall",'
        f'"managementEvent":{str(not data).lower()},'
        f'"recipientAccountId":"{slot.account}",'
        f'"eventCategory":"{"Data" if data else "Management"}",'
        f'"tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",'
        f'"clientProvidedHostHeader":"{source.split(".")[0]}.{slot.region}.amazonaws.com"}}}}'
    )


def attack(seed: int) -> list[tuple[datetime, str, str, dict[str, object]]]:
    """(time, account, region, record) of every planted event, in time order."""
    rng = random.Random(seed * 7919)
    a, b = ACCOUNTS
    base = START + timedelta(days=1, hours=2, minutes=17)
    out: list[tuple[datetime, str, str, dict[str, object]]] = []

    def event(
        when: datetime,
        account: str,
        name: str,
        source: str,
        key: str,
        arn: str,
        ip: str,
        agent: str,
        **more: object,
    ) -> None:
        record: dict[str, object] = {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser" if key.startswith("AKIA") else "AssumedRole",
                "arn": arn,
                "accountId": account,
                "accessKeyId": key,
            },
            "eventTime": _iso(when),
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": ip,
            "userAgent": agent,
            "requestID": f"{rng.getrandbits(64):016X}",
            "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
            "eventType": "AwsApiCall",
            "recipientAccountId": account,
        }
        record.update(more)
        out.append((when, account, "us-east-1", record))

    stolen_arn = f"arn:aws:iam::{a}:user/ci-deployer"
    agent = "python-requests/2.31.0"
    t = base
    event(t, a, "ListBuckets", "s3.amazonaws.com", STOLEN, stolen_arn, "203.0.113.7", agent)
    for i in range(400):  # customer exports, read one by one
        t += timedelta(seconds=rng.randrange(1, 20))
        obj = f"exports/customer-{i:04d}.csv.gz"
        event(
            t,
            a,
            "GetObject",
            "s3.amazonaws.com",
            STOLEN,
            stolen_arn,
            "203.0.113.7",
            agent,
            requestParameters={"bucketName": f"{a}-customer-exports", "key": obj},
            resources=[
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{a}-customer-exports/{obj}"},
                {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{a}-customer-exports"},
            ],
        )
    t += timedelta(minutes=3)
    event(
        t,
        a,
        "CreateAccessKey",
        "iam.amazonaws.com",
        STOLEN,
        stolen_arn,
        "203.0.113.7",
        agent,
        requestParameters={"userName": "svc-backup"},
        responseElements={
            "accessKey": {"accessKeyId": BACKDOOR, "userName": "svc-backup", "status": "Active"}
        },
    )
    t += timedelta(minutes=1)
    event(
        t,
        a,
        "AssumeRole",
        "sts.amazonaws.com",
        STOLEN,
        stolen_arn,
        "203.0.113.7",
        agent,
        requestParameters={"roleArn": ROLE, "roleSessionName": "maint"},
        responseElements={
            "credentials": {"accessKeyId": SESSION},
            "assumedRoleUser": {
                "arn": f"arn:aws:sts::{b}:assumed-role/OrganizationAccountAccessRole/maint"
            },
        },
        resources=[{"type": "AWS::IAM::Role", "ARN": ROLE}],
    )
    session_arn = f"arn:aws:sts::{b}:assumed-role/OrganizationAccountAccessRole/maint"
    for i in range(60):
        t += timedelta(seconds=rng.randrange(5, 60))
        event(
            t,
            b,
            "GetSecretValue",
            "secretsmanager.amazonaws.com",
            SESSION,
            session_arn,
            "203.0.113.45",
            "aws-cli/2.15.17 Python/3.11.6 Darwin/23.2.0",
            requestParameters={"secretId": f"prod/customer-{i:03d}/db"},
        )
    # the backdoor, hours later, from elsewhere and with another tool: round two finds it
    t += timedelta(hours=9)
    for i in range(120):
        t += timedelta(seconds=rng.randrange(10, 120))
        obj = f"exports/customer-{i:04d}.csv.gz"
        event(
            t,
            a,
            "GetObject",
            "s3.amazonaws.com",
            BACKDOOR,
            f"arn:aws:iam::{a}:user/svc-backup",
            "198.51.100.23",
            "aws-cli/2.15.17 Python/3.11.6 Linux/6.5.0",
            requestParameters={"bucketName": f"{a}-customer-exports", "key": obj},
        )
    return out


def truth(seed: int) -> dict[str, object]:
    planted = attack(seed)
    first_round = [r for _, _, _, r in planted if r["userIdentity"]["accessKeyId"] != BACKDOOR]  # type: ignore[index]
    return {
        "planted_events": len(planted),
        "events_matched": len(first_round),
        "matched_by_account": {
            acc: sum(1 for r in first_round if r["recipientAccountId"] == acc) for acc in ACCOUNTS
        },
        "pivots": {
            "created_access_key": BACKDOOR,
            "assumed_role": ROLE,
            "assumed_role_key": SESSION,
        },
        "backdoor_events": len(planted) - len(first_round),
    }


def _write_slots(args: tuple[int, list[Slot], int, str, int]) -> tuple[int, int]:
    seed, chunk, per_slot, root, part = args
    rng = random.Random(seed * 1_000_003 + part)
    weights = [w for _, _, w, _ in EVENTS]
    planted: dict[int, list[tuple[datetime, str]]] = {}
    for when, account, region, record in attack(seed):
        index = _slot_index(when, account, region)
        planted.setdefault(index, []).append((when, json.dumps(record, separators=(",", ":"))))
    events = size = 0
    lines_path = Path(root, "jsonl", f"part-{part:04d}.jsonl")
    with lines_path.open("w", encoding="utf-8") as lines:
        for slot in chunk:
            count = max(1, int(rng.gauss(per_slot, per_slot * 0.3)))
            offsets = sorted(rng.random() * SLOT.total_seconds() for _ in range(count))
            records = [(slot.start + timedelta(seconds=o), None) for o in offsets]
            merged = sorted(
                [(w, routine(rng, slot, w, weights)) for w, _ in records]
                + planted.get(slot.index, []),
                key=lambda item: item[0],
            )
            texts = [text for _, text in merged]
            folder = Path(
                root,
                "tree",
                "AWSLogs",
                slot.account,
                "CloudTrail",
                slot.region,
                slot.start.strftime("%Y/%m/%d"),
            )
            folder.mkdir(parents=True, exist_ok=True)
            stamp = slot.start.strftime("%Y%m%dT%H%MZ")
            suffix = f"{rng.getrandbits(64):016x}"
            name = f"{slot.account}_CloudTrail_{slot.region}_{stamp}_{suffix}.json.gz"
            body = '{"Records":[' + ",".join(texts) + "]}"
            with gzip.open(folder / name, "wt", compresslevel=6, encoding="utf-8") as handle:
                handle.write(body)
            lines.write("\n".join(texts) + "\n")
            events += len(texts)
            size += len(body)
    return events, size


_SLOTS_PER_STEP = len(ACCOUNTS) * len(REGIONS)


def _slot_index(when: datetime, account: str, region: str) -> int:
    step = int((when - START) / SLOT)
    return step * _SLOTS_PER_STEP + ACCOUNTS.index(account) * len(REGIONS) + REGIONS.index(region)


def generate(root: Path, *, events: int, seed: int, workers: int = 2) -> dict[str, object]:
    all_slots = slots()
    per_slot = events / len(all_slots)
    (root / "jsonl").mkdir(parents=True, exist_ok=True)
    parts = 16
    chunks = [all_slots[i::parts] for i in range(parts)]
    with ProcessPoolExecutor(workers) as pool:
        done = list(
            pool.map(
                _write_slots, [(seed, c, per_slot, str(root), i) for i, c in enumerate(chunks)]
            )
        )
    total_events = sum(e for e, _ in done)
    meta = {
        "seed": seed,
        "events": total_events,
        "uncompressed_bytes": sum(s for _, s in done),
        "truth": truth(seed),
        "indicators": INDICATORS,
    }
    (root / "truth.json").write_text(json.dumps(meta, indent=2))
    (root / "iocs.yaml").write_text(
        "indicators:\n" + "".join(f"  - {json.dumps(i)}\n" for i in INDICATORS["indicators"])
    )
    return meta


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    print(generate(Path(sys.argv[1]), events=int(sys.argv[2]), seed=int(sys.argv[3])))
    os._exit(0)
