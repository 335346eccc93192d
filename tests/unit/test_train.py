"""The train stage: streamed batches, supervision, the stopping rule, deterministic training."""
from __future__ import annotations

import numpy as np

from stages import parity, train
from stages.datasets import ParitySet
from stages.generate import generate_set
from tests.conftest import TINY


def test_block_batches_visit_every_row_once_per_epoch(tmp_path, monkeypatch):
    generate_set(tmp_path / "set", 1000, 40, 0, parity.STREAM_TRAIN)  # 40 bits: rows are distinct
    data = ParitySet(tmp_path / "set")
    monkeypatch.setattr(train, "BLOCK_BITS", 40 * 64)  # blocks of 64 rows: 16 blocks, shuffled
    batches = list(train.block_batches(data, len(data), 32, np.random.default_rng(0)))
    assert len(batches) == 1000 // 32 and all(b.shape == (32, 40) for b, _ in batches)
    seen = np.concatenate([b for b, _ in batches])
    everything = data.read(0, 1000)[0]
    rows = {row.tobytes() for row in everything}
    assert len({row.tobytes() for row in seen}) == len(seen) and {row.tobytes() for row in seen} <= rows
    assert not np.array_equal(seen[:64], everything[:64])  # shuffled
    for bits, targets in batches:
        assert np.array_equal(targets, parity.running_parity(bits))


def test_block_batches_read_one_block_at_a_time(tmp_path, monkeypatch):
    """Memory stays flat: no read asks for more than one block of rows."""
    generate_set(tmp_path / "set", 500, 8, 0, parity.STREAM_TRAIN)
    data = ParitySet(tmp_path / "set")
    monkeypatch.setattr(train, "BLOCK_BITS", 8 * 40)
    sizes = []
    original = ParitySet.read
    monkeypatch.setattr(ParitySet, "read", lambda self, a, b: sizes.append(b - a) or original(self, a, b))
    list(train.block_batches(data, len(data), 20, np.random.default_rng(1)))
    assert max(sizes) == 40 and sum(sizes) == 500


def test_final_supervision_weighs_only_each_last_bit():
    bits = parity.pad_after(np.ones((3, 5), np.uint8), np.array([5, 2, 1]))
    _, y, w = train.supervised(bits, parity.running_parity(bits), "final")
    assert w.tolist() == [[0, 0, 0, 0, 1], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert set(np.unique(y)) <= {0, 1}  # padding targets become a valid class, masked out of the loss
    assert len(train.supervised(bits, parity.running_parity(bits), "per_step")) == 2


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
