"""A sweep's machines, stood in for on one machine, for the tests, the studies and the benchmarks: a bare
git repository as the shared git remote, fresh clones as workers, the experiments that reached the git
remote, and moto's S3 server on loopback as the shared DVC remote. Workers run at once through
lstm_parity.processes.run_at_once."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
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


def run_grid_locally(project: Path, grid: Path, workdir: Path, workers: int) -> dict:
    """A grid run as a team runs it over machines, on this one: a bare clone of the project's committed HEAD
    as the shared git remote, a folder as the shared DVC remote, and `workers` fresh clones each running
    its share at once; then a fresh clone collects every point's commit, params and metrics. The wall time
    runs from the first worker's start to the last one's end. With the same `workdir` again, it resumes:
    the points already pushed are skipped, and the results say so."""
    from lstm_parity.processes import machine_busy_s, run_at_once
    from lstm_parity.provenance import measured_on

    origin, storage = workdir / "origin.git", workdir / "dvc-remote"
    resumed = origin.exists()
    if not resumed:
        bare_origin(project, origin)
        storage.mkdir()

    def clone(name: str) -> Path:  # made once, so a resumed run reuses it
        path = workdir / name
        return path if path.exists() else worker_clone(origin, path, "shared", url=str(storage))

    clones = [clone(f"worker-{k}") for k in range(1, workers + 1)]
    measured = measured_on(clones)
    print(f"{grid} on {workers} workers at once, in {workdir} ...", flush=True)
    load = os.getloadavg()[0]
    busy_before, refs_before = machine_busy_s(), len(experiment_refs(origin))
    started = time.monotonic()
    # python -m from each clone: the clone's own code runs its share.
    finished = run_at_once([([sys.executable, "-m", "lstm_parity", "sweep", "run", "--grid", str(grid), "--shard",
                              f"{k}/{workers}"], repo) for k, repo in enumerate(clones, start=1)])
    wall = round(time.monotonic() - started, 1)
    per_worker = [{"shard": f"{k}/{workers}", **usage.as_dict()} for k, (usage, _) in enumerate(finished, start=1)]
    machine_cpu = machine_busy_s() - busy_before
    sweep_cpu = sum(worker["cpu_s"] for worker in per_worker)
    print(f"{wall:.0f} s on {workers} workers; collecting ...", flush=True)
    collector = clone("collector")
    collected = workdir / "collected.json"
    subprocess.run([sys.executable, "-m", "lstm_parity", "sweep", "collect", "--grid", str(grid), "--metrics-only",
                    "--json", str(collected)], cwd=collector, env=child_env(), check=True, stdout=subprocess.DEVNULL)
    return {"measured_on": measured, "grid_file": str(grid), "grid": (collector / grid).read_text(),
            "workers": workers, "wall_s": wall, "resumed": resumed, "loadavg_1min_at_start": round(load, 2),
            "sweep_cpu_s": round(sweep_cpu, 1), "others_cpu_s": round(max(0.0, machine_cpu - sweep_cpu), 1),
            "experiments_pushed": len(experiment_refs(origin)) - refs_before, "per_worker": per_worker,
            "points": json.loads(collected.read_text())}
