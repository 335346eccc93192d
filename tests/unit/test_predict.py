"""The predict command: bits checked, parity printed, errors in one line."""
from __future__ import annotations

import pytest

from stages import predict
from stages.errors import UsageError
from tests.conftest import run_stage


@pytest.mark.parametrize("text, message", [
    ("", "the bit string is empty"),
    ("10a1", "holds 'a' at position 3"),
    ("1" * (predict.MAX_BITS + 1), f"at most {predict.MAX_BITS} are allowed"),
])
def test_predict_refuses_bad_strings(text, message):
    with pytest.raises(UsageError, match=message):
        predict.parse_bits(text)


def test_predict_command_prints_parity(tiny_run):
    bits = "1011001" * 3
    result = run_stage("predict", bits, "--model", str(tiny_run / "a/model.keras"))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert lines["prediction"].strip() in {"0", "1"}
    assert lines["actual"].strip().startswith(str(bits.count("1") % 2))
    assert 50 <= float(lines["confidence"].strip().rstrip("%")) <= 100


def test_predict_command_rejects_with_one_line(tiny_run):
    result = run_stage("predict", "012")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the bit string holds '2' at position 3; only the characters 0 and 1 are allowed"]
