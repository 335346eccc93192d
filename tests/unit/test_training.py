"""Training: streamed batches and supervision."""
from __future__ import annotations

import numpy as np

from lstm_parity import parity, training
from lstm_parity.datasets import ParitySet
from lstm_parity.generation import generate_set


def test_block_batches_visit_every_row_once_per_epoch(tmp_path, monkeypatch):
    generate_set(tmp_path / "set", 1000, 40, 0, parity.STREAM_TRAIN)  # 40 bits: rows are distinct
    data = ParitySet(tmp_path / "set")
    monkeypatch.setattr(training, "BLOCK_BITS", 40 * 64)  # blocks of 64 rows: 16 blocks, shuffled
    batches = list(training.block_batches(data, len(data), 32, np.random.default_rng(0)))
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
    monkeypatch.setattr(training, "BLOCK_BITS", 8 * 40)
    sizes = []
    original = ParitySet.read
    monkeypatch.setattr(ParitySet, "read", lambda self, a, b: sizes.append(b - a) or original(self, a, b))
    list(training.block_batches(data, len(data), 20, np.random.default_rng(1)))
    assert max(sizes) == 40 and sum(sizes) == 500


def test_final_supervision_weighs_only_each_last_bit():
    bits = parity.pad_after(np.ones((3, 5), np.uint8), np.array([5, 2, 1]))
    _, y, w = training.supervised(bits, parity.running_parity(bits), "final")
    assert w.tolist() == [[0, 0, 0, 0, 1], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert set(np.unique(y)) <= {0, 1}  # padding targets become a valid class, masked out of the loss
    assert len(training.supervised(bits, parity.running_parity(bits), "per_step")) == 2
