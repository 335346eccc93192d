"""What a figure was measured on: the line beside every table."""
from __future__ import annotations

from lstm_parity import provenance
from tests.bench.test_run import MEASURED_ON


def test_the_line_names_commit_machine_versions_and_commands():
    assert provenance.measured_line(MEASURED_ON, ["python bench/run.py compare", "x"]) == (
        "Measured on commit 0123456 (Test CPU, 2 cores; Python 3.11.9, TensorFlow 2.21.0, Keras 3.13.0, "
        "DVC 3.67.1, NumPy 2.3.0), `python bench/run.py compare`, `x`.")


def test_a_clone_with_local_changes_says_so():
    measured = dict(MEASURED_ON, modified=True)
    assert "commit 0123456 with local changes to the code or params (" in provenance.measured_line(measured, ["x"])


def test_one_line_per_commit_and_machine_in_order():
    other = dict(MEASURED_ON, commit="fedcba9876543210")
    lines = provenance.measured_lines([(MEASURED_ON, "a"), (other, "b"), (MEASURED_ON, "c")])
    assert len(lines) == 2 and lines[0].endswith("`a`, `c`.") and "commit fedcba9" in lines[1]
