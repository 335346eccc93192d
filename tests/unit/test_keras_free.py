"""Keras costs seconds and hundreds of MB per process: the modules that do not need it must not import it,
directly or through another (each checked in a fresh interpreter)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT

KERAS_FREE = [
    "lstm_parity.params", "lstm_parity.parity", "lstm_parity.datasets", "lstm_parity.generation",
    "lstm_parity.files", "lstm_parity.errors", "lstm_parity.cli", "lstm_parity.metrics", "lstm_parity.automaton",
    "lstm_parity.states", "lstm_parity.figures.vega", "lstm_parity.figures.states", "lstm_parity.pipeline",
    "lstm_parity.sweep.grid", "lstm_parity.sweep.experiments", "lstm_parity.sweep.local", "lstm_parity.commands",
    "lstm_parity.commands.params_table", "lstm_parity.commands.sweep", "lstm_parity.commands.predict",
    "lstm_parity.keras_file", "lstm_parity.eigen", "lstm_parity.forward", "lstm_parity.inference",
    "lstm_parity.evaluation", "lstm_parity.resources", "lstm_parity.safe_yaml", "lstm_parity.stats",
    "lstm_parity.sweep.slurm", "lstm_parity.sweep.cells", "lstm_parity.splits", "lstm_parity.probes",
    "stages.check_params", "stages.generate", "stages.train", "stages.evaluate",
    "stages.explain", "stages.report", "stages.plots_page",
]


@pytest.mark.parametrize("module", KERAS_FREE)
def test_module_imports_no_keras(module):
    code = f"import sys, {module}; print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
