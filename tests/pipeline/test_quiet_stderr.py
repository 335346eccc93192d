"""On success the stages and predict write nothing to stderr: TensorFlow's C++ notices (absl start-up
lines, oneDNN's "DT_BOOL only on platforms with AVX-512" at the first run of the LSTM) stay off the
user's terminal, while a real error still reaches it as one line. The tests' environment is a user's:
no TF_CPP_MIN_LOG_LEVEL."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import TINY, dvc, make_repo, run_command

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def repo_as_user(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    repo = make_repo(tmp_path_factory.mktemp("quiet") / "repo", TINY)
    return repo, dvc(repo, "repro", check=False)


def test_repro_writes_nothing_to_stderr(repo_as_user):
    _, result = repo_as_user
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Running stage 'train'" in result.stdout and "Running stage 'evaluate'" in result.stdout
    assert result.stderr == ""


def test_predict_writes_nothing_to_stderr(repo_as_user):
    repo, _ = repo_as_user
    result = run_command("predict", "1011", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "prediction: 1" in result.stdout
    assert result.stderr == ""


def test_a_real_error_still_reaches_stderr_as_one_line(repo_as_user, tmp_path):
    repo, _ = repo_as_user
    not_a_model = tmp_path / "model.keras"
    not_a_model.write_bytes(b"not a zip file")
    result = run_command("predict", "1011", "--model", str(not_a_model), cwd=repo)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {not_a_model}: not a readable .keras (zip) file: no end of central directory"]
