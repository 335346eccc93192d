"""Hostile input and unlucky timing, with real processes: params edited while a stage runs, a full disk in
each stage (a small filesystem mounted for the test), Ctrl-C, another Keras backend, and crafted model
files. Each ends in one `error:` line, exit status 2, and nothing recorded that did not happen."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT, dvc, needs, ran_stages, run_stage, set_param, tool_env

pytestmark = pytest.mark.pipeline


def lock(repo: Path) -> dict:
    return yaml.safe_load((repo / "dvc.lock").read_text())["stages"]


def test_params_edited_while_train_runs_are_not_recorded(repo):
    """Training starts at one learning rate; the file is edited to another while it runs: the stage refuses
    to finish, so DVC records neither the new value for the old model nor a run-cache entry; the next
    `dvc repro` trains at the new value."""
    set_param(repo, "train.epochs", 60)  # ~10 s of training: time to edit the file under it
    dvc(repo, "repro")
    before = lock(repo)["train"]
    set_param(repo, "train.learning_rate", 0.02)
    live_loss = repo / "metrics/train/plots/metrics/loss.tsv"
    live_loss.unlink()  # the last run's log: the new run's own log appearing means train is running
    repro = subprocess.Popen([sys.executable, "-m", "dvc", "repro"], cwd=repo, env=tool_env(), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not live_loss.exists() or len(live_loss.read_text().splitlines()) < 3:
        assert repro.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    set_param(repo, "train.learning_rate", 0.03)  # while train runs
    out, _ = repro.communicate(timeout=600)
    assert repro.returncode != 0, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == ["error: params.yaml changed while this stage ran (train.learning_rate: 0.02 -> 0.03); it ran "
                      "with the values before, so nothing of this run is recorded: run `dvc repro` again"], out
    assert lock(repo)["train"] == before  # the lock still records the last run that finished
    again = dvc(repo, "repro")
    assert "train" in ran_stages(again) and "is cached" not in again.stdout + again.stderr
    assert lock(repo)["train"]["params"]["params.yaml"]["train.learning_rate"] == 0.03


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB filesystem (tmpfs), full: files and folders can be created there, but writing data fails with ENOSPC."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    needs(mounted.returncode == 0, f"cannot mount a small filesystem here (root needed): {mounted.stderr!r}")
    try:
        with open(mount / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def stage_commands(tiny_run: Path, out: Path) -> dict[str, list[str]]:
    """Each stage writing its outputs onto the full disk; its inputs from the tiny run."""
    data = tiny_run / "train"
    params = ["--params", str(tiny_run / "params.yaml")]
    return {
        "generate": ["generate", "heldout", "--out", str(out / "heldout"), *params],
        "train": ["train", "--data", str(data), "--model", str(out / "model.keras"), "--live", str(out / "live"),
                  "--results", str(out / "results"), *params],
        "evaluate": ["evaluate", "--model", str(tiny_run / "a/model.keras"), "--train", str(data), "--heldout",
                     str(data / "validation"), "--lengths", str(tiny_run / "lengths"), "--results",
                     str(out / "eval.json"), "--plot", str(out / "plot.json"), "--splits", str(out / "splits.json"),
                     *params],
        "explain": ["explain", "--model", str(tiny_run / "a/model.keras"), "--automaton", str(out / "automaton.json"),
                    "--states", str(out / "states.npz"), *params],
    }


@pytest.mark.parametrize("stage", ["generate", "train", "evaluate", "explain"])
def test_a_full_disk_in_any_stage_is_one_line(tiny_run, small_disk, stage):
    """The disk fills while the stage writes (a mounted 1 MB filesystem, nearly full): one line naming the
    file, no traceback, and nothing half-written left under its name."""
    if stage == "evaluate" and not (tiny_run / "lengths").exists():
        from lstm_parity.generation import generate_lengths

        generate_lengths(tiny_run / "lengths", (16, 24), 64, 0)
    result = run_stage(*stage_commands(tiny_run, small_disk)[stage])
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1 and "no space left on the device" in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: {small_disk}/")
    assert {p.name for p in small_disk.iterdir()} <= {"filler", "live"}  # the log dvclive began, at most


def test_ctrl_c_while_training_is_one_line(tiny_run, tmp_path):
    """Training long enough to be interrupted mid-fit (the tiny run alone ends in about a second), Ctrl-C once
    its log is open, and again every two seconds while it runs, as a person would."""
    params = yaml.safe_load((tiny_run / "params.yaml").read_text())
    params["train"].update(epochs=1000, target_accuracy=None, target_confidence=None)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    command = stage_commands(tiny_run, tmp_path)["train"]
    command[command.index("--params") + 1] = str(tmp_path / "params.yaml")
    # As a terminal's foreground job: a shell without job control starts background commands (CI's, say)
    # with SIGINT ignored, which every child inherits and Python then keeps.
    train = subprocess.Popen([sys.executable, "-m", "stages." + command[0], *command[1:]],
                             cwd=PROJECT, env=tool_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (tmp_path / "live").exists() and train.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    while train.poll() is None and time.monotonic() < deadline:
        train.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            train.wait(2)
    _, err = train.communicate(timeout=120)
    assert train.returncode == 2 and err.splitlines() == [
        "error: interrupted; every output is replaced only once complete, so each is the previous one or the new "
        "one: run again"], err
    assert not (tmp_path / "model.keras").exists()


def test_another_keras_backend_is_one_line(tiny_run, tmp_path):
    command = stage_commands(tiny_run, tmp_path)["train"]
    result = subprocess.run([sys.executable, "-m", "stages.train", *command[1:]], cwd=PROJECT,
                            env=tool_env() | {"KERAS_BACKEND": "jax"}, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "error: KERAS_BACKEND='jax': this project's model trains on Keras's TensorFlow " \
                            "backend; unset KERAS_BACKEND (or set it to tensorflow)\n"


def crafted(path: Path, config: bytes | None = None, declared_units: int | None = None) -> Path:
    """A .keras file built by hand: a real small model's, with its config replaced or its units raised."""
    from lstm_parity.model import build_model, save_model

    save_model(build_model(4), path.with_name("real.keras"))
    with zipfile.ZipFile(path.with_name("real.keras")) as real, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in real.namelist():
            data = real.read(name)
            if name == "config.json" and config is not None:
                data = config
            elif name == "config.json" and declared_units is not None:
                data = data.replace(b'"units": 4', f'"units": {declared_units}'.encode())
            out.writestr(name, data)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: crafted(p, declared_units=20_000), "units"),
    (lambda p: crafted(p, config=b"{" + b" " * (256 << 20) + b"}"), "config.json"),
])
def test_a_crafted_model_is_refused_before_it_costs_memory(tmp_path, make, message):
    """A file declaring 20,000 units, or whose config.json unpacks to hundreds of MB: refused by the sizes it
    declares, before anything big is read, in one line, in a small process (its peak RSS read from the kernel)."""
    model = make(tmp_path / "crafted.keras")
    assert model.stat().st_size < 4 << 20
    # A small Python starts the command and reports its child's peak RSS: a child forked from this test's
    # process would count this process's memory as its own.
    measure = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")
    result = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "lstm_parity", "predict", "1011",
                             "--model", str(model)], cwd=PROJECT, env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {model}: ") and message in result.stderr
    assert int(result.stdout.split()[-1]) < 200_000  # peak RSS under 200 MB (KiB on Linux)


def test_the_metrics_of_a_refused_run_stay_as_they_were(repo):
    """A refused params file leaves every recorded figure as it was."""
    before = json.loads((repo / "metrics/eval.json").read_text())
    set_param(repo, "data.count", 10**12)
    result = dvc(repo, "repro", check=False)
    assert result.returncode != 0 and "of disk" in result.stdout + result.stderr
    assert json.loads((repo / "metrics/eval.json").read_text()) == before
    assert os.path.exists(repo / "models/model.keras")
