"""Where uploaded files live: a folder on this host (the default) or an S3-compatible
bucket (when `STORAGE_S3_BUCKET` is set), so that every host of a site sees the same files.

    store = storage()                       # the application's storage
    store.put("club-documents/x.pdf", data, "application/pdf")
    store.send(key, mimetype=..., ...)      # a response, after the caller's access check
    store.delete(key); store.exists(key); store.size(key)

Files are never public: the bucket is private, objects are written without a public ACL,
and no URL to a file is ever put in a page. A file is sent by our routes once the owning
module's policy said yes — streamed through the application, or, with
`STORAGE_S3_PRESIGNED_SECONDS` set, by redirecting to a link signed for that long (made
after the check, for that one response).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from flask import Response, current_app, redirect, request, send_file

KEY = re.compile(r"^(?:[a-z-]+/)?[A-Za-z0-9_-]{20,64}\.[a-z0-9]{2,4}$")
CHUNK = 64 * 1024


def _checked(key: str) -> str:
    if not KEY.match(key or ""):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files in a folder (UPLOAD_DIR), written whole or not at all."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.part"
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def send(self, key: str, *, mimetype: str, max_age: int, **options) -> Response:
        return send_file(self.path(key), mimetype=mimetype, max_age=max_age, **options)


class S3Storage:
    """Files in an S3-compatible bucket (AWS, MinIO, Garage, Scaleway, OVH…) via boto3."""

    def __init__(self, client, bucket: str, prefix: str = "", presigned_seconds: int = 0):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.presigned_seconds = presigned_seconds

    @classmethod
    def from_config(cls, config) -> S3Storage:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=config.get("STORAGE_S3_ENDPOINT_URL") or None,
            region_name=config.get("STORAGE_S3_REGION") or None,
            aws_access_key_id=config.get("STORAGE_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            config=Config(
                signature_version="s3v4",
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        return cls(
            client,
            config["STORAGE_S3_BUCKET"],
            config.get("STORAGE_S3_PREFIX") or "",
            int(config.get("STORAGE_S3_PRESIGNED_SECONDS") or 0),
        )

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # No ACL argument: objects take the bucket's (private) policy, never public-read.
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def _head(self, key: str) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def send(
        self,
        key: str,
        *,
        mimetype: str,
        max_age: int,
        as_attachment: bool = False,
        download_name: str | None = None,
        conditional: bool = True,
    ) -> Response:
        """The file as a response: streamed from the bucket (or a redirect to a link
        signed for a few seconds). The caller has already checked the viewer's access."""
        from botocore.exceptions import ClientError

        disposition = "attachment" if as_attachment else "inline"
        if download_name:
            from werkzeug.http import dump_options_header

            disposition = dump_options_header(disposition, {"filename": download_name})
        if self.presigned_seconds:
            url = self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self._key(key),
                    "ResponseContentType": mimetype,
                    "ResponseContentDisposition": disposition,
                },
                ExpiresIn=self.presigned_seconds,
            )
            response = redirect(url, code=302)
            response.cache_control.no_store = True
            return response
        options = {"Bucket": self.bucket, "Key": self._key(key)}
        etag = request.headers.get("If-None-Match") if conditional else None
        if etag:
            options["IfNoneMatch"] = etag
        # One byte range (an <audio> seeking on a phone), passed on to the bucket.
        wanted = request.range if conditional else None
        if wanted is not None and wanted.units == "bytes" and len(wanted.ranges) == 1:
            options["Range"] = wanted.to_header()
        try:
            found = self.client.get_object(**options)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 304 or exc.response.get("Error", {}).get("Code") == "304":
                response = Response(status=304)
                response.set_etag(etag.strip('"'))
                return response
            if status == 416 or exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return Response(status=416)
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from exc
            raise
        body = found["Body"]

        def chunks():
            try:
                yield from body.iter_chunks(CHUNK)
            finally:
                body.close()

        response = Response(chunks(), mimetype=mimetype, direct_passthrough=True)
        response.content_length = int(found["ContentLength"])
        response.accept_ranges = "bytes"
        if found.get("ContentRange"):
            response.status_code = 206
            response.headers["Content-Range"] = found["ContentRange"]
        if found.get("ETag"):
            response.set_etag(found["ETag"].strip('"'))
        if found.get("LastModified"):
            response.last_modified = found["LastModified"]
        response.headers["Content-Disposition"] = disposition
        response.cache_control.max_age = max_age
        return response


def make_storage(config) -> LocalStorage | S3Storage:
    if config.get("STORAGE_S3_BUCKET"):
        return S3Storage.from_config(config)
    return LocalStorage(config["UPLOAD_DIR"])


def storage() -> LocalStorage | S3Storage:
    """The application's storage (made once per application)."""
    app = current_app._get_current_object()
    store = app.extensions.get("storage")
    if store is None or (
        isinstance(store, LocalStorage) and str(store.root) != str(app.config["UPLOAD_DIR"])
    ):
        store = app.extensions["storage"] = make_storage(app.config)
    return store
