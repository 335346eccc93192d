"""An S3 server for the remote tests: moto's, on the loopback address, started and stopped here.

The endpoint and the credentials reach DVC only through the environment (AWS_*) and `--local` config, as
they would on a user's machine: never through the tracked .dvc/config.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import dvc

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Remote:
    endpoint: str   # http://127.0.0.1:<port>
    url: str        # s3://<bucket>/store

    def attach(self, repo: Path, name: str = "shared") -> None:
        """Make this the repository's default remote: its URL tracked, its endpoint in --local config."""
        dvc(repo, "remote", "add", "-d", "-f", name, self.url)
        dvc(repo, "remote", "modify", "--local", name, "endpointurl", self.endpoint)


@pytest.fixture(scope="session")
def s3_server() -> Iterator:
    # Imported here, not skipped when missing: CI installs moto and dvc-s3 from the lock, and a test
    # that skips for want of them would hide a missing install step.
    import dvc_s3  # noqa: F401 - the remote's plugin, used by the dvc CLI the tests run
    from moto import server as moto_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = moto_server.ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_remote(s3_server, monkeypatch) -> S3Remote:
    """A new, empty bucket on the shared server; credentials in this test's environment."""
    import boto3

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    host, port = s3_server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"parity-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, **{k.lower(): v for k, v in CREDENTIALS.items()
                                                   if k != "AWS_DEFAULT_REGION"},
                 region_name=CREDENTIALS["AWS_DEFAULT_REGION"]).create_bucket(Bucket=bucket)
    return S3Remote(endpoint=endpoint, url=f"s3://{bucket}/store")
