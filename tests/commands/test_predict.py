"""The predict command: bits checked, parity printed, errors in one line."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from lstm_parity.commands import predict
from lstm_parity.errors import UsageError
from tests.conftest import PROJECT, run_command, tool_env


@pytest.mark.parametrize("text, message", [
    ("", "the bit string is empty"),
    (" \n", "the bit string is empty"),
    ("10a1", "holds 'a' at position 3"),
    ("1" * (predict.MAX_BITS + 1), f"at most {predict.MAX_BITS} are allowed"),
])
def test_predict_refuses_bad_strings(text, message):
    with pytest.raises(UsageError, match=message):
        predict.parse_bits(text)


def test_predict_command_prints_parity(tiny_run):
    bits = "1011001" * 3
    result = run_command("predict", bits, "--model", str(tiny_run / "a/model.keras"))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert lines["prediction"].strip() in {"0 (an even number of 1s)", "1 (an odd number of 1s)"}
    assert lines["actual"].strip().startswith(str(bits.count("1") % 2))
    assert 50 <= float(lines["confidence"].strip().rstrip("%")) <= 100


def test_predict_command_rejects_with_one_line(tiny_run):
    result = run_command("predict", "012")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the bit string holds '2' at position 3; only the characters 0 and 1 are allowed (and whitespace "
        "between them)"]


def test_bits_come_from_stdin_or_a_file_with_whitespace_skipped(tiny_run, tmp_path):
    model = str(tiny_run / "a/model.keras")
    bits = "1011001" * 40
    from_stdin = run_command("predict", "-", "--model", model, stdin=bits[:100] + "\n" + bits[100:] + "\n")
    (tmp_path / "bits.txt").write_text(" ".join(bits) + "\n")
    from_file = run_command("predict", "--file", str(tmp_path / "bits.txt"), "--model", model)
    from_argument = run_command("predict", bits, "--model", model)
    assert from_stdin.returncode == from_file.returncode == 0, from_stdin.stderr + from_file.stderr
    assert from_stdin.stdout == from_file.stdout == from_argument.stdout
    assert "(280 bits)" in from_stdin.stdout


def test_reading_stops_at_the_first_bad_character_or_past_the_limit():
    with pytest.raises(UsageError, match=r"^bits\.txt holds 'x' at position 70002;"):
        predict.read_bits(io.BytesIO(b"01" * 35_000 + b"0x" + b"1" * 10), "bits.txt")

    class Ones(io.RawIOBase):
        """An endless stream of 1s: reading must stop once the limit is passed."""

        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"1" * len(buffer)
            return len(buffer)

    with pytest.raises(UsageError, match=f"more than {predict.MAX_BITS} bits"):
        predict.read_bits(io.BufferedReader(Ones()), "standard input")


def test_predict_names_a_missing_file(tmp_path):
    result = run_command("predict", "--file", str(tmp_path / "none.txt"), "--model", "unused.keras")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'none.txt'}: cannot read: No such file or directory"


def test_a_byte_that_is_not_utf8_in_the_argument_is_named(tmp_path):
    """The shell hands Python bytes; 0xff is no character: one line naming the byte and its position."""
    result = subprocess.run([sys.executable.encode(), b"-m", b"lstm_parity", b"predict", b"10\xff1", b"--model",
                             b"unused.keras"], cwd=PROJECT, env=tool_env(), capture_output=True)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [
        "error: the bit string holds the byte 0xff at position 3; only the characters 0 and 1 are allowed (and "
        "whitespace between them)"]


def test_an_endless_stream_of_whitespace_ends(tmp_path):
    """`yes ' ' | lstm-parity predict -` once never ended: the characters read are bounded too."""
    spaces = subprocess.Popen(["yes", " "], stdout=subprocess.PIPE)
    try:
        result = subprocess.run([sys.executable, "-m", "lstm_parity", "predict", "-", "--model", "unused.keras"],
                                cwd=PROJECT, env=tool_env(), stdin=spaces.stdout, capture_output=True, text=True,
                                timeout=120)
    finally:
        spaces.kill()
        spaces.wait()
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: standard input has more than {predict.MAX_CHARACTERS} characters; at most {predict.MAX_BITS} "
        f"bits with whitespace between them are allowed"]
