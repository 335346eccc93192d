"""The train stage: deterministic training, and a curve row per validation check."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, TINY, tool_env


def test_training_is_deterministic(tiny_run):
    """Same params, same machine: byte-identical model file, training metrics and curve."""
    for name in ("model.keras", "train.json", "curve.csv"):
        assert (tiny_run / "a" / name).read_bytes() == (tiny_run / "b" / name).read_bytes(), name


def test_curve_has_a_row_per_check(tiny_run):
    lines = (tiny_run / "a/curve.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,loss,accuracy,validation_final_accuracy,validation_confidence"
    steps_per_epoch = TINY["data"]["count"] // TINY["train"]["batch_size"]
    assert float(lines[-1].split(",")[1]) == TINY["train"]["epochs"]
    assert len(lines) - 1 == TINY["train"]["epochs"] * -(-steps_per_epoch // TINY["train"]["check_every"])


def run_train_on(tiny_run: Path, out: Path, stdout) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stages.train", "--params", str(tiny_run / "params.yaml"),
                             "--data", str(tiny_run / "train"), "--model", str(out / "model.keras"),
                             "--results", str(out / "train.json"), "--curve", str(out / "curve.csv")],
                            cwd=PROJECT, env=tool_env(), stdout=stdout, stderr=subprocess.PIPE)


def test_progress_shows_on_a_terminal_and_not_in_a_log(tiny_run, tmp_path):
    """Long training is not silent on a terminal (a line per validation check, each overwriting the
    last), and a log or a pipe gets the one summary line only."""
    leader, follower = pty.openpty()
    process = run_train_on(tiny_run, tmp_path / "tty", follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait() == 0, process.stderr.read()
    text = shown.decode()
    checks = TINY["train"]["epochs"] * -(-(TINY["data"]["count"] // TINY["train"]["batch_size"])
                                         // TINY["train"]["check_every"])
    assert text.count("\rstep ") == checks and "validation accuracy" in text  # (the pty writes \n as \r\n)
    assert text.splitlines()[-1].startswith("trained ")

    piped = run_train_on(tiny_run, tmp_path / "pipe", subprocess.PIPE)
    out, _ = piped.communicate()
    assert piped.returncode == 0
    summary = re.compile(r"trained \d+ steps .* target reached: (True|False)")
    assert summary.fullmatch(text.splitlines()[-1].strip())
    assert len(out.decode().splitlines()) == 1 and summary.fullmatch(out.decode().strip())  # the summary alone
