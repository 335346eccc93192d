"""Commands run as child processes: timed, and several at once as the workers of one run."""
from __future__ import annotations

import sys

import pytest

from lstm_parity.processes import run_at_once, timed


def test_a_command_is_timed_and_its_output_kept(tmp_path):
    usage, out = timed([sys.executable, "-c", "print('hi')"], tmp_path)
    assert out == "hi\n" and usage.wall_s >= 0 and usage.peak_rss_mb > 0


def test_workers_run_at_once_and_report_each(tmp_path):
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    finished = run_at_once([([sys.executable, "-c", f"print('{folder.name}')"], folder) for folder in folders])
    assert [out for _, out in finished] == ["a\n", "b\n"]


def test_a_failing_worker_ends_the_others_and_shows_its_log(tmp_path):
    """Real processes: the second fails at once; the first, which would sleep a minute, is ended with it."""
    folders = [tmp_path / "slow", tmp_path / "bad"]
    for folder in folders:
        folder.mkdir()
    commands = [([sys.executable, "-c", "import time; time.sleep(60)"], folders[0]),
                ([sys.executable, "-c", "import sys; print('broken grid'); sys.exit(2)"], folders[1])]
    with pytest.raises(SystemExit, match=r"worker 2/2 failed \(2\); the end of .*bad.log:\nbroken grid"):
        run_at_once(commands)
