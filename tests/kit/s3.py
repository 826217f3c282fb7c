"""A real S3-compatible server on 127.0.0.1 (moto in server mode, a free port), and the
configuration that points the application's storage at a fresh bucket in it."""

from __future__ import annotations

import uuid

import pytest

ACCESS_KEY, SECRET_KEY, REGION = "tremplin-test", "tremplin-test-secret", "eu-west-3"


@pytest.fixture(scope="session")
def s3_server():
    """The server's endpoint URL (one per test run)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def new_bucket(endpoint: str) -> str:
    name = f"tremplin-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


def s3_config(endpoint: str, bucket: str) -> dict:
    return {
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": endpoint,
        "STORAGE_S3_REGION": REGION,
        "STORAGE_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "STORAGE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@pytest.fixture
def s3_bucket(s3_server, app_config):
    """The application's files in a fresh bucket of the local S3 server (set before `app`)."""
    bucket = new_bucket(s3_server)
    app_config.update(s3_config(s3_server, bucket))
    return bucket
