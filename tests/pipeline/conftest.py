"""The S3 server the pipeline tests drive: moto's, on the loopback address, started once per session and
stopped at its end (lstm_parity.sweep.local). The SLURM cluster's fixture is in tests/conftest.py, as
the docs' transcripts use it too.

The S3 endpoint and the credentials reach DVC only through the environment (AWS_*) and `--local` config, as
they would on a user's machine: never through the tracked .dvc/config.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lstm_parity.sweep.local import S3_CREDENTIALS, LocalS3, local_s3
from tests.conftest import dvc


@dataclass(frozen=True)
class S3Remote:
    endpoint: str   # http://127.0.0.1:<port>
    url: str        # s3://<bucket>/store
    bucket: str

    def attach(self, repo: Path, name: str = "shared") -> None:
        """Make this the repository's default remote: its URL tracked, its endpoint in --local config."""
        dvc(repo, "remote", "add", "-d", "-f", name, self.url)
        dvc(repo, "remote", "modify", "--local", name, "endpointurl", self.endpoint)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[LocalS3]:
    # Imported, not skipped when missing: CI installs moto and dvc-s3 from the lock, and a test that
    # skipped for want of them would hide a missing install step.
    import dvc_s3  # noqa: F401 - the remote's plugin, used by the dvc CLI the tests run

    with local_s3() as server:
        yield server


@pytest.fixture
def s3_remote(s3_server, monkeypatch) -> S3Remote:
    """A new, empty bucket on the shared server; credentials in this test's environment."""
    for key, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    bucket = s3_server.new_bucket()
    return S3Remote(endpoint=s3_server.endpoint, url=f"s3://{bucket}/store", bucket=bucket)
