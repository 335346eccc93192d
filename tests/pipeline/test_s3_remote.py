"""An S3 remote (dvc-s3 against moto's S3 server): push and pull, a team's shared run cache, and faults."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import dvc, git, ran_stages, run, set_param, tool_env

pytestmark = pytest.mark.pipeline


def dvc_cmd() -> list[str]:
    return [str(Path(sys.executable).parent / "dvc")]


def clone(origin: Path, path: Path, remote) -> Path:
    """A fresh clone of `origin`, given the S3 endpoint the way a user's machine would: --local config."""
    run(["git", "clone", "-q", str(origin), str(path)], path.parent)
    dvc(path, "remote", "modify", "--local", "shared", "endpointurl", remote.endpoint)
    return path


def shared(repo: Path, remote) -> Path:
    """Attach the S3 remote to `repo` and commit its (endpoint-free) URL."""
    remote.attach(repo)
    git(repo, "add", ".dvc/config")
    git(repo, "commit", "-qm", "shared S3 remote")
    return repo


def test_push_then_fresh_clone_pulls_everything(repo, s3_remote, tmp_path):
    shared(repo, s3_remote)
    dvc(repo, "push", "--run-cache")
    tracked = (repo / ".dvc/config").read_text()
    assert s3_remote.url in tracked
    for secret in ("endpointurl", "127.0.0.1", "testing", "access_key", "secret"):
        assert secret not in tracked, secret
    assert "endpointurl" in (repo / ".dvc/config.local").read_text()
    assert ".dvc/config.local" not in git(repo, "ls-files", ".dvc").stdout

    other = clone(repo, tmp_path / "other", s3_remote)
    dvc(other, "pull")
    assert "Data and pipelines are up to date" in dvc(other, "status").stdout
    for path in ("models/model.keras", "results/train/metrics.json", "results/eval.json", "data/heldout/bits.npy"):
        assert (other / path).read_bytes() == (repo / path).read_bytes(), path
    assert "in sync" in dvc(other, "status", "-c").stdout


def test_shared_run_cache_restores_train_and_evaluate_without_training(repo, s3_remote, tmp_path):
    shared(repo, s3_remote)
    set_param(repo, "train.learning_rate", 0.02)  # a run A made and did not commit
    assert "train" in ran_stages(dvc(repo, "repro"))
    dvc(repo, "push", "--run-cache")

    other = clone(repo, tmp_path / "other", s3_remote)  # at the committed params, nothing pulled
    set_param(other, "train.learning_rate", 0.02)
    result = dvc(other, "repro", "--pull")
    output = result.stdout + result.stderr
    ran = ran_stages(result)
    assert "train" not in ran and "evaluate" not in ran, output
    assert "Stage 'train' is cached - skipping run, checking out outputs" in output
    assert "Stage 'evaluate' is cached - skipping run, checking out outputs" in output
    for path in ("models/model.keras", "metrics/train/metrics.json", "metrics/eval.json", "metrics/splits.json",
                 "metrics/train/plots/metrics/loss.tsv"):
        assert (other / path).read_bytes() == (repo / path).read_bytes(), path
    assert "Data and pipelines are up to date" in dvc(other, "status").stdout


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_pull_from_unreachable_endpoint_fails_fast_naming_bucket_and_endpoint(repo, s3_remote, tmp_path, monkeypatch):
    shared(repo, s3_remote)
    other = clone(repo, tmp_path / "other", s3_remote)
    endpoint = f"http://127.0.0.1:{closed_port()}"
    dvc(other, "remote", "modify", "--local", "shared", "endpointurl", endpoint)
    dvc(other, "remote", "modify", "--local", "shared", "connect_timeout", "5")  # a host that drops packets
    # botocore retries a refused connection 5 times with backoff, per file: 106 s here for 10 files.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    started = time.monotonic()
    result = dvc(other, "pull", check=False)
    seconds = time.monotonic() - started
    assert result.returncode != 0 and seconds < 30, seconds
    bucket_path = s3_remote.url.removeprefix("s3://")
    assert f"failed to connect to s3 ({bucket_path}" in result.stderr and endpoint in result.stderr, result.stderr


def test_server_stopped_during_push_loses_nothing_and_a_later_push_completes(repo, tmp_path, monkeypatch):
    """A server of its own, stopped once some objects have arrived, restarted on the same port."""
    import boto3
    from moto import server as moto_server

    from lstm_parity.sweep.local import S3_CREDENTIALS
    from tests.pipeline.conftest import S3Remote

    for key, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    port = closed_port()
    server = moto_server.ThreadedMotoServer("127.0.0.1", port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="faults")
    shared(repo, S3Remote(endpoint=endpoint, url="s3://faults/store", bucket="faults"))
    many = repo / "many"  # enough objects that the push takes seconds, one request each
    many.mkdir()
    for i in range(400):
        (many / f"{i:03d}.txt").write_text(f"object {i}\n")
    dvc(repo, "add", "many")
    before = {p: (repo / p).read_bytes() for p in ("models/model.keras", "results/eval.json", "many/399.txt")}

    push = subprocess.Popen([*dvc_cmd(), "push", "-j", "1"], cwd=repo, env=tool_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while client.list_objects_v2(Bucket="faults").get("KeyCount", 0) < 20:
            assert push.poll() is None, push.stdout.read()
            time.sleep(0.05)
    finally:
        server.stop()
    out, _ = push.communicate(timeout=300)
    assert push.returncode != 0, out
    assert f'Could not connect to the endpoint URL: "{endpoint}/faults/store' in out, out
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout  # nothing local lost
    assert {p: (repo / p).read_bytes() for p in before} == before
    assert "in sync" not in dvc(repo, "status", "-c", check=False).stdout

    server = moto_server.ThreadedMotoServer("127.0.0.1", port, verbose=False)  # moto's state survives
    server.start()
    try:
        dvc(repo, "push")
        assert "in sync" in dvc(repo, "status", "-c").stdout
    finally:
        server.stop()
