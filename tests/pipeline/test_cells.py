"""A grid run cell by cell (lstm_parity.sweep.cells) gives each point what `dvc exp run` with its overrides
gives: the record's command, run in the project, makes the same model, byte for byte, and the same
metrics of record, XLA on or off."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from lstm_parity.sweep.experiments import flatten, metric_prefix
from tests.conftest import dvc, tool_env

pytestmark = pytest.mark.pipeline

GRID = """overrides:
  - train.seed=range(0,3)
  - train.jit_compile=false,true
  - train.units=2
"""


def test_every_point_is_what_its_command_makes(repo, tmp_path):
    (tmp_path / "grid.yaml").write_text(GRID)
    run = ("import json, sys; from pathlib import Path; from lstm_parity.sweep.grid import load_grid; "
           "from lstm_parity.sweep.cells import run_cells; "
           "r = run_cells(load_grid(Path(sys.argv[1])), Path(sys.argv[2]), 2, Path('params.yaml'), print, "
           "{'commit': 'c1'}); "
           "Path(sys.argv[3]).write_text(json.dumps(r))")
    subprocess.run([sys.executable, "-c", run, str(tmp_path / "grid.yaml"), str(tmp_path / "work"),
                    str(tmp_path / "records.json")], cwd=repo, env=tool_env(), check=True, capture_output=True)
    records = json.loads((tmp_path / "records.json").read_text())["points"]
    assert len(records) == 6 and len({r["model_sha256"] for r in records}) == 6  # seeds and XLA differ
    for record in (records[1], records[4]):  # seed 1, without and with XLA
        assert record["command"].startswith("dvc exp run -S ")
        subprocess.run(record["command"], shell=True, cwd=repo, env=tool_env(), check=True, capture_output=True)
        assert hashlib.sha256((repo / "models/model.keras").read_bytes()).hexdigest() == record["model_sha256"]
        metrics = {}
        for path in ("metrics/train/metrics.json", "metrics/eval.json", "metrics/splits.json",
                     "metrics/automaton.json"):
            metrics.update(flatten(json.loads((repo / path).read_text()), metric_prefix(path)))
        assert metrics == record["metrics"], record["name"]
        shown = json.loads(dvc(repo, "params", "diff", "--json").stdout)["params.yaml"]
        assert all(record["params"][key] == change["new"] for key, change in shown.items())

    # Every cell done: the same folder again only gives the records back, and refuses other code or params
    # (the experiments above left their params in the workspace: back to the committed ones first).
    subprocess.run(["git", "checkout", "params.yaml"], cwd=repo, check=True)
    again = run.replace("{'commit': 'c1'}", "{'commit': sys.argv[4]}")
    for commit, status in (("c1", 0), ("c2", 1)):
        resumed = subprocess.run([sys.executable, "-c", again, str(tmp_path / "grid.yaml"), str(tmp_path / "work"),
                                  str(tmp_path / "again.json"), commit], cwd=repo, env=tool_env(), capture_output=True,
                                 text=True)
        assert resumed.returncode == status, resumed.stderr
    assert "its cells were run on other code or params (commit c1 -> c2)" in resumed.stderr
