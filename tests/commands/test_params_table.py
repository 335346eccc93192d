"""`lstm-parity params`: the table of every key, its value and its meaning."""
from __future__ import annotations

from lstm_parity import params
from tests.conftest import PROJECT, run_command


def test_the_table_lists_every_key_with_its_value_and_meaning():
    result = run_command("params", "--params", str(PROJECT / "params.yaml"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["| key | default | meaning |", "|---|---|---|"]
    assert [line.split("`")[1] for line in lines[2:]] == params.keys()
    assert "| `evaluate.lengths` | [100, 1000] |" in result.stdout


def test_unreadable_params_are_one_line(tmp_path):
    result = run_command("params", "--params", str(tmp_path / "none.yaml"))
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'none.yaml'}: cannot read: No such file or directory\n"
