"""Shared fixtures: tiny params, and a real git + DVC repository holding a copy of the project."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lstm_parity.processes import child_env

PROJECT = Path(__file__).resolve().parents[1]
# What a repository of the project needs: code, pipeline, params and DVC's config (never data or models).
PROJECT_FILES = ["lstm_parity", "stages", "dvc.yaml", "params.yaml", ".gitignore", ".dvcignore", ".dvc/config",
                 ".dvc/.gitignore", ".dvc/plots", "pyproject.toml", "requirements.lock"]

# Small enough for seconds per stage, big enough that the model learns.
TINY = {
    # 8 bits: 256 strings, of which 32 are held out and 32 more kept for validation (lstm_parity/splits.py)
    "data": {"seq_len": 8, "count": 1000, "seed": 0, "validation_count": 32, "min_len": None},
    "train": {"units": 4, "epochs": 2, "batch_size": 32, "learning_rate": 0.01, "seed": 0,
              "target_accuracy": None, "target_confidence": None, "check_every": 10, "jit_compile": False,
              "supervision": "per_step"},
    "evaluate": {"lengths": [16, 24], "heldout_count": 32, "count": 64, "seed": 0},
    "explain": {"count": 8, "length": 16, "seed": 0},
}


def needs(available: bool, reason: str) -> None:
    """Skip a test whose tool is missing here (a laptop without SLURM or Chromium), saying why; under
    .ci/run (LSTM_PARITY_CI=1), which installs them, fail instead: CI must not pass by skipping."""
    if available:
        return
    if os.environ.get("LSTM_PARITY_CI") == "1":
        pytest.fail(f"{reason} (LSTM_PARITY_CI=1: .ci/run installs it, so it must be here)")
    pytest.skip(reason)


def tool_env() -> dict:
    """The environment for the dvc CLI and stage commands: see lstm_parity.processes.child_env."""
    return child_env()


def run(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=tool_env(), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def run_stage(module: str, *args: str, cwd: Path = PROJECT, check: bool = False,
              stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python -m stages.<module> ARGS` as its own process, as dvc.yaml runs it; output captured."""
    return _run_python(["-m", f"stages.{module}", *args], cwd, check, stdin)


def run_command(command: str, *args: str, cwd: Path = PROJECT, check: bool = False,
                stdin: str | None = None) -> subprocess.CompletedProcess:
    """`lstm-parity COMMAND ARGS` (as `python -m lstm_parity`) as its own process; output captured."""
    return _run_python(["-m", "lstm_parity", command, *args], cwd, check, stdin)


def _run_python(args: list[str], cwd: Path, check: bool, stdin: str | None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=tool_env(), capture_output=True, text=True,
                            input=stdin)
    if check and result.returncode != 0:
        raise AssertionError(f"python {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def dvc(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([str(Path(sys.executable).parent / "dvc"), *args], repo, check=check)


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return run(["git", "-c", "user.email=test@example.com", "-c", "user.name=test", *args], repo)


def write_params(repo: Path, params: dict) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def read_params(repo: Path) -> dict:
    return yaml.safe_load((repo / "params.yaml").read_text())


def set_param(repo: Path, key: str, value) -> None:
    params = read_params(repo)
    section, name = key.split(".")
    params[section][name] = value
    write_params(repo, params)


def snapshot(repo: Path, *folders: str) -> dict[str, tuple[str, int]]:
    """Every file under the folders: (sha256, mtime_ns), to tell rewritten files from untouched ones."""
    files = {}
    for folder in folders:
        for path in sorted((repo / folder).rglob("*")):
            if path.is_file() and path.name != ".gitignore":
                files[str(path.relative_to(repo))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                      path.stat().st_mtime_ns)
    return files


def ran_stages(result: subprocess.CompletedProcess) -> list[str]:
    return [line.split("'")[1] for line in (result.stdout + result.stderr).splitlines()
            if line.startswith("Running stage '")]


def exp_rows(repo: Path) -> list[dict]:
    """Rows of `dvc exp show --json`, flattened to name, params and metrics."""
    rows = []
    for commit in json.loads(dvc(repo, "exp", "show", "--json").stdout):
        for entry in [commit] + [e for exp in (commit.get("experiments") or []) for e in exp["revs"]]:
            data = entry.get("data") or {}
            params = data.get("params", {}).get("params.yaml", {}).get("data", {})
            metrics = data.get("metrics", {}).get("metrics/eval.json", {}).get("data", {})
            rows.append({"name": entry.get("name") or entry.get("rev"), "params": params, "metrics": metrics})
    return rows


def make_repo(path: Path, params: dict) -> Path:
    """A new git repository with the project's code and DVC config, on the given params, committed."""
    path.mkdir(parents=True)
    for name in PROJECT_FILES:
        src, dst = PROJECT / name, path / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    write_params(path, params)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "project at tiny params")
    return path


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory) -> Path:
    """A repository on TINY params after one full `dvc repro`, committed. Copy it; do not change it."""
    repo = make_repo(tmp_path_factory.mktemp("reproduced") / "repo", TINY)
    dvc(repo, "repro")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "reproduced")
    return repo


@pytest.fixture
def repo(reproduced, tmp_path) -> Path:
    """A private copy of the reproduced repository (its DVC cache included)."""
    return Path(shutil.copytree(reproduced, tmp_path / "repo", symlinks=True))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """Tiny params, their training set, and the train stage run twice (a/ and b/) as separate processes:
    each folder holds model.keras, live/ (the log written as it trains) and results/ (its copy)."""
    from lstm_parity.generation import generate_set
    from lstm_parity.parity import STREAM_TRAIN

    root = tmp_path_factory.mktemp("tiny")
    write_params(root, TINY)
    d = TINY["data"]
    generate_set(root / "train", d["count"], d["seq_len"], d["seed"], STREAM_TRAIN, d["validation_count"])
    for name in ("a", "b"):
        run_stage("train", "--params", str(root / "params.yaml"), "--data", str(root / "train"),
                  "--model", str(root / name / "model.keras"), "--live", str(root / name / "live"),
                  "--results", str(root / name / "results"), check=True)
    return root


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node SLURM cluster (installed from the distribution's packages when missing, as root),
    stopped at the session's end. Skipped where it cannot run (a laptop without root), failed there under
    .ci/run."""
    from lstm_parity.sweep.slurm import SlurmUnavailable, local_slurm

    try:
        with local_slurm() as cluster:
            yield cluster
    except SlurmUnavailable as reason:
        needs(False, f"no SLURM cluster here: {reason}")
