"""Attachments on S3-compatible object storage, through boto3 (the AWS SDK for Python).

boto3 is optional (``pip install candor-ir[s3]``): it is imported only when this store is
configured. Objects are keyed ``PREFIX sha256/ab/<hash>``. Write-once is kept by never writing
a key that exists; for protection against the storage account itself, enable S3 Object Lock
(or your provider's equivalent) on the bucket. Every read downloads and hashes the object
before handing it out, so a replaced object is detected.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import Any, BinaryIO

from candor.adapters.records.blobs import CHUNK, check_hash, copy_hashing
from candor.adapters.records.sniff import sniff
from candor.domain.errors import CandorError, ContentTampered
from candor.services.ports import StoredBlob

SPOOL = 8 * 1024 * 1024


class S3BlobStore:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any | None = None,
    ) -> None:
        if client is None:
            try:
                import boto3
            except ImportError:
                raise CandorError(
                    "attachments.storage is s3 but boto3 is not installed: "
                    "pip install 'candor-ir[s3]'"
                ) from None
            client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.location = f"s3://{bucket}/{prefix}"

    def key(self, sha256: str) -> str:
        check_hash(sha256)
        return f"{self.prefix}sha256/{sha256[:2]}/{sha256}"

    def put(self, stream: BinaryIO, *, max_bytes: int, name: str) -> StoredBlob:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
            digest, size, head = copy_hashing(stream, spool, max_bytes=max_bytes, name=name)
            created = not self.exists(digest)
            if created:
                spool.seek(0)
                self.client.upload_fileobj(
                    spool,
                    self.bucket,
                    self.key(digest),
                    ExtraArgs={"Metadata": {"sha256": digest}},
                )
        return StoredBlob(digest, size, sniff(head), created)

    def open(self, sha256: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ContentTampered(
                    f"content {sha256[:16]}… is missing from {self.location}"
                ) from None
            raise
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - returned open
        hasher = hashlib.sha256()
        while chunk := body.read(CHUNK):
            hasher.update(chunk)
            spool.write(chunk)
        if hasher.hexdigest() != sha256:
            spool.close()
            raise ContentTampered(
                f"content {sha256[:16]}… in {self.location} no longer matches its SHA-256 "
                f"(it hashes to {hasher.hexdigest()[:16]}…): the stored object was altered"
            )
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
