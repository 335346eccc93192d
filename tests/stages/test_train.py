"""The train stage: deterministic training, and a curve row per validation check."""
from __future__ import annotations

from tests.conftest import TINY


def test_training_is_deterministic(tiny_run):
    """Same params, same machine: byte-identical model file, training metrics and curve."""
    for name in ("model.keras", "train.json", "curve.csv"):
        assert (tiny_run / "a" / name).read_bytes() == (tiny_run / "b" / name).read_bytes(), name


def test_curve_has_a_row_per_check(tiny_run):
    lines = (tiny_run / "a/curve.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,loss,accuracy,validation_final_accuracy,validation_confidence"
    steps_per_epoch = TINY["data"]["count"] // TINY["train"]["batch_size"]
    assert float(lines[-1].split(",")[1]) == TINY["train"]["epochs"]
    assert len(lines) - 1 == TINY["train"]["epochs"] * -(-steps_per_epoch // TINY["train"]["check_every"])
