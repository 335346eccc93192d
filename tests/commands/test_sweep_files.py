"""The committed sweep files: the grids parse and check against params.yaml, the SLURM job script is valid
bash (the pipeline tests submit it as it is), and the Kubernetes manifest holds to the Job schema."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lstm_parity.sweep.grid import check_points, grid_points, load_grid
from tests.conftest import PROJECT

GRIDS = sorted(p for p in (PROJECT / "sweeps").glob("*.yaml") if p.name != "k8s-indexed-job.yaml")


@pytest.mark.parametrize("path", GRIDS, ids=lambda p: p.name)
def test_committed_grids_check_against_params(path):
    grid = load_grid(path)
    check_points(grid, grid_points(grid), PROJECT / "params.yaml")


def test_the_slurm_job_script_is_bash_and_runs_a_share():
    script = PROJECT / "sweeps" / "slurm-array.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    assert "sweep run --grid \"$grid\" --shard \"$SLURM_ARRAY_TASK_ID/$shards\"" in script.read_text()


def test_the_kubernetes_job_holds_to_its_schema():
    """Untested on a cluster; the manifest is at least a valid batch/v1 Job, strictly (no unknown field)."""
    manifest = PROJECT / "sweeps" / "k8s-indexed-job.yaml"
    result = subprocess.run([str(Path(sys.executable).parent / "kubernetes-validate"), "--strict", str(manifest)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "passed" in result.stdout, result.stdout + result.stderr
