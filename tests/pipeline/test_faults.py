"""Bad input and faults, where the user meets them: one clear line, a non-zero exit, nothing lost."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lstm_parity.files import TMP_PREFIX
from tests.conftest import (
    dvc,
    ran_stages,
    read_params,
    run_command,
    run_stage,
    set_param,
    snapshot,
    tool_env,
    write_params,
)

pytestmark = pytest.mark.pipeline

OUTPUTS = ("data", "models", "results", "metrics", "plots")
EVALUATE_ARGS = ("--model", "models/model.keras", "--train", "data/train", "--heldout", "data/heldout", "--lengths",
                 "data/lengths", "--splits", "results/splits.json")


@pytest.mark.parametrize("change, message", [
    (lambda r: set_param(r, "train.epoch", 3), "unknown key train.epoch; allowed in train:"),
    (lambda r: set_param(r, "data.count", True), "data.count must be an integer, got true (YAML reads yes"),
    (lambda r: set_param(r, "data.seq_len", "16"), "data.seq_len must be an integer, got '16', which YAML reads"),
    (lambda r: set_param(r, "evaluate.lengths", [4, 24]),
     "evaluate.lengths[0] must be longer than data.seq_len (8), got 4"),
    (lambda r: set_param(r, "train.learning_rate", -0.1), "train.learning_rate must be a finite number > 0"),
])
def test_rejected_params_lose_nothing(repo, change, message):
    before = snapshot(repo, *OUTPUTS)
    change(repo)
    result = dvc(repo, "repro", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: params.yaml: {message}"] or message in errors[0], errors
    assert ran_stages(result) == ["check_params"]
    assert snapshot(repo, *OUTPUTS) == before


def test_yaml_syntax_error_loses_nothing(repo):
    before = snapshot(repo, *OUTPUTS)
    (repo / "params.yaml").write_text((repo / "params.yaml").read_text().replace("count: 64", "count: [64"))
    result = dvc(repo, "repro", check=False)
    assert result.returncode != 0 and "params.yaml" in result.stderr
    assert snapshot(repo, *OUTPUTS) == before


def test_killed_training_leaves_no_half_model_and_repro_recovers(repo):
    set_param(repo, "train.epochs", 400)  # long enough to be killed in the middle
    proc = subprocess.Popen([str(os.path.dirname(sys.executable)) + "/dvc", "repro"], cwd=repo, env=tool_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (repo / "metrics").exists():
        time.sleep(0.2)
    time.sleep(6)  # into training: the train stage prints nothing until it is done
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    model = repo / "models/model.keras"
    assert not model.exists() or model.stat().st_size > 0
    set_param(repo, "train.epochs", 2)
    dvc(repo, "repro")
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_generation_leaves_old_folder_or_none(tmp_path, sig):
    from tests.conftest import PROJECT

    params = read_params(PROJECT)
    params["data"].update(count=3_000_000, seq_len=100)  # 3e8 bits: seconds of writing
    write_params(tmp_path, params)
    out = tmp_path / "data" / "train"
    cmd = [sys.executable, "-m", "stages.generate", "train", "--out", str(out), "--params",
           str(tmp_path / "params.yaml")]
    proc = subprocess.Popen(cmd, cwd=PROJECT, env=tool_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not any((tmp_path / "data").glob(f"{TMP_PREFIX}*/out/bits.npy")):
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait()
    assert not out.exists()  # killed before the rename: no folder, never a partial one
    if sig == signal.SIGINT:  # Python unwinds: the temporary is removed at once
        assert not list((tmp_path / "data").glob(f"{TMP_PREFIX}*"))


def test_damaged_input_names_the_file(repo):
    bits = repo / "data/heldout/bits.npy"
    bits.chmod(0o644)
    bits.write_bytes(bits.read_bytes()[:-10])
    before = (repo / "results/eval.json").read_bytes()
    result = run_stage("evaluate", *EVALUATE_ARGS, "--results", "results/eval.json", "--plot",
                       "results/accuracy_by_length.json", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: data/heldout/bits.npy: ")
    assert "truncated" in result.stderr
    assert (repo / "results/eval.json").read_bytes() == before


def test_values_other_than_bits_are_refused(repo):
    path = repo / "data/lengths/16/bits.npy"
    bits = np.load(path)
    bits[3, 3] = 7
    path.chmod(0o644)
    np.save(path, bits)
    result = run_stage("evaluate", *EVALUATE_ARGS, "--results", "/dev/null", "--plot", "/dev/null", cwd=repo)
    assert result.returncode == 2
    assert "error: data/lengths/16/bits.npy: holds values other than 0 and 1" in result.stderr


def test_predict_refuses_a_file_that_is_not_a_model(repo):
    (repo / "fake.keras").write_bytes(b"PK\x03\x04 not really a zip")
    result = run_command("predict", "101", "--model", "fake.keras", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: fake.keras: not a readable .keras (zip) file: no end of central directory"]


def test_predict_uses_the_model_dvc_yaml_declares(repo):
    result = run_command("predict", "0110", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "actual:     0" in result.stdout
