"""studies/reliability/run.py's table, from results shaped as `lstm-parity sweep collect --json` writes them."""
from __future__ import annotations

from studies.reliability import run as reliability
from tests.bench.test_run import MEASURED_ON

PARAMS = {"train.units": 4, "train.learning_rate": 0.02, "train.batch_size": 128, "train.epochs": 10,
          "train.target_accuracy": 0.999, "train.target_confidence": 0.99}


def results(accuracies: list[tuple[float, float]]) -> dict:
    points = [{"name": f"default-{seed}", "params": {**PARAMS, "train.seed": seed},
               "metrics": {"eval.heldout.accuracy": heldout, "eval.length_1000.accuracy": long},
               "zero_run_first_wrong": None if seed != 1 else 12}
              for seed, (heldout, long) in enumerate(accuracies)]
    return {"measured_on": MEASURED_ON, "points": points}


def test_the_table_gives_each_pass_rate_with_its_interval_and_every_seed():
    text = reliability.results_markdown([("default", results([(1.0, 1.0), (1.0, 0.5), (0.999, 0.99)]))])
    lines = text.splitlines()
    assert lines[0].endswith("`python studies/reliability/run.py run default`.")
    row = next(line for line in lines if line.startswith("| `default`"))
    assert "| 2/3 (0.21-0.94) |" in row
    assert "4 units, Adam 0.02, batch 128, stop at accuracy 0.999 and confidence 0.99 or after 10 epochs" in row
    assert "| 1.000 1.000 0.999 | 1.000 0.500 0.990 | - 12 - |" in row
