"""A sweep's machines, stood in for on one machine, for the tests, the studies and the benchmarks: a bare
git repository as the shared git remote, fresh clones as workers, the experiments that reached the git
remote, and moto's S3 server on loopback as the shared DVC remote. Workers run at once through
lstm_parity.processes.run_at_once."""
from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lstm_parity.processes import child_env, git_output

# moto accepts any credentials; DVC reads them from the environment, as on a user's machine.
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                  "AWS_DEFAULT_REGION": "us-east-1"}


def dvc(repo: Path, *args: str) -> str:
    """`dvc ARGS` in a repository, with the project's environment; its stdout. A failure stops the caller
    with the command and the end of its output."""
    result = subprocess.run(["dvc", *args], cwd=repo, env=child_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`dvc {' '.join(args)}` in {repo} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def bare_origin(source: Path, origin: Path) -> Path:
    """A bare clone of `source`: the git remote every worker clones from and pushes experiments to."""
    git_output(source.parent, "clone", "-q", "--bare", str(source), str(origin))
    return origin


def worker_clone(origin: Path, path: Path, remote: str, url: str | None = None, endpoint: str | None = None) -> Path:
    """A worker: a fresh clone of the git remote. With `url`, the DVC remote `remote` is added as the
    default in the clone's --local config (a machine's own setting, leaving the commit untouched); with
    `endpoint`, that remote (tracked or local) gets its S3 endpoint locally."""
    git_output(path.parent, "clone", "-q", str(origin), str(path))
    if url is not None:
        dvc(path, "remote", "add", "--local", "-d", "-f", remote, url)
    if endpoint is not None:
        dvc(path, "remote", "modify", "--local", remote, "endpointurl", endpoint)
    return path


def experiment_refs(repo: Path) -> dict[str, str]:
    """The experiments a repository (the git remote) holds: name -> commit."""
    lines = git_output(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps").splitlines()
    return {ref.rsplit("/", 1)[1]: commit for commit, ref in (line.split() for line in lines)}


@dataclass(frozen=True)
class LocalS3:
    """moto's S3 server on a loopback port: a real S3 protocol over HTTP, with no network."""
    endpoint: str   # http://127.0.0.1:<port>

    def new_bucket(self, prefix: str = "parity") -> str:
        bucket = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self._client().create_bucket(Bucket=bucket)
        return bucket

    def objects(self, bucket: str) -> dict[str, int]:
        """Every object in a bucket: key -> size."""
        found = {}
        for page in self._client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found.update({entry["Key"]: entry["Size"] for entry in page.get("Contents", [])})
        return found

    def _client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
                            aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


@contextlib.contextmanager
def local_s3() -> Iterator[LocalS3]:
    """moto's S3 server on a free loopback port, in a thread of this process, with the credentials in
    this process's environment, which every command it starts inherits; on exit the server stops and the
    environment is as it was."""
    from moto import server as moto_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    saved = {key: os.environ.get(key) for key in S3_CREDENTIALS}
    os.environ.update(S3_CREDENTIALS)
    server = moto_server.ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield LocalS3(f"http://{host}:{port}")
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
