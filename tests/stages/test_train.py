"""The train stage: deterministic training, and a curve row per validation check."""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT, TINY, tool_env


def files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_training_is_deterministic(tiny_run):
    """Same params, same machine: byte-identical model file and training log (no timestamps in it)."""
    assert (tiny_run / "a/model.keras").read_bytes() == (tiny_run / "b/model.keras").read_bytes()
    assert files(tiny_run / "a/live") == files(tiny_run / "b/live")
    assert files(tiny_run / "a/results") == files(tiny_run / "a/live")  # the copy DVC caches


def test_the_log_has_a_row_per_check_and_the_outcome(tiny_run):
    """dvclive's step files: one row per validation check, by step; its metrics.json: the last step and
    whether training reached its target, the training metrics of record."""
    steps_per_epoch = TINY["data"]["count"] // TINY["train"]["batch_size"]
    checks = TINY["train"]["epochs"] * -(-steps_per_epoch // TINY["train"]["check_every"])
    for figure in ("loss", "validation_final_accuracy", "validation_confidence"):
        lines = (tiny_run / f"a/live/plots/metrics/{figure}.tsv").read_text().splitlines()
        assert lines[0] == f"step\t{figure}" and len(lines) - 1 == checks
    record = json.loads((tiny_run / "a/live/metrics.json").read_text())
    assert record == {"step": TINY["train"]["epochs"] * steps_per_epoch, "reached_target": False}


def run_train_on(tiny_run: Path, out: Path, stdout) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stages.train", "--params", str(tiny_run / "params.yaml"),
                             "--data", str(tiny_run / "train"), "--model", str(out / "model.keras"),
                             "--live", str(out / "live"), "--results", str(out / "results")],
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
    text = re.sub(r"\x1b\[[0-9;]*m", "", shown.decode())  # colorama (through DVC) resets a terminal's colours
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
