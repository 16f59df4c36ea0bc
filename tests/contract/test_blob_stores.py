"""One conformance suite for the attachment stores: local disk, and S3 through boto3.

The S3 store runs against moto's server mode: a real HTTP server on the loopback interface
speaking the S3 protocol, so boto3 does real requests (signing, streaming, errors). It is an
emulator, not AWS or MinIO; behaviour that only a real service has (Object Lock) is not tested.
"""

from __future__ import annotations

import hashlib
import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from candor.adapters.records.blobs import LocalBlobStore
from candor.domain.errors import ContentTampered, InvalidInput
from candor.services.ports import BlobStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_module = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def blobs(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    endpoint = request.getfixturevalue("s3_endpoint")
    boto3 = pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from candor.adapters.records.s3 import S3BlobStore

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"candor-{tmp_path.name.lower().replace('_', '-')[-40:]}"
    client.create_bucket(Bucket=bucket)
    return S3BlobStore(bucket=bucket, prefix="ws/", client=client)


def _tamper(blobs: BlobStore, sha256: str, content: bytes) -> None:
    if isinstance(blobs, LocalBlobStore):
        path = blobs.path(sha256)
        path.chmod(0o644)
        path.write_bytes(content)
    else:
        blobs.client.put_object(Bucket=blobs.bucket, Key=blobs.key(sha256), Body=content)  # type: ignore[attr-defined]


def test_put_then_open_returns_the_same_bytes(blobs: BlobStore) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 5000
    stored = blobs.put(io.BytesIO(data), max_bytes=len(data), name="x.pdf")
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.size, stored.media_type, stored.created) == (len(data), "application/pdf", True)
    again = blobs.put(io.BytesIO(data), max_bytes=len(data), name="y.pdf")
    assert again.created is False
    with blobs.open(stored.sha256) as handle:
        assert handle.read() == data
    assert blobs.exists(stored.sha256)
    blobs.delete(stored.sha256)
    assert not blobs.exists(stored.sha256)


def test_limit_is_enforced_while_streaming(blobs: BlobStore) -> None:
    with pytest.raises(InvalidInput, match=r"big\.bin"):
        blobs.put(io.BytesIO(b"z" * 5000), max_bytes=4999, name="big.bin")
    assert not blobs.exists(hashlib.sha256(b"z" * 5000).hexdigest())


def test_altered_or_missing_content_is_refused(blobs: BlobStore) -> None:
    stored = blobs.put(io.BytesIO(b"original"), max_bytes=100, name="a.txt")
    _tamper(blobs, stored.sha256, b"0riginal")
    with pytest.raises(ContentTampered, match="no longer matches"):
        blobs.open(stored.sha256)
    blobs.delete(stored.sha256)
    with pytest.raises(ContentTampered, match="missing"):
        blobs.open(stored.sha256)
