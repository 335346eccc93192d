"""The streaming reader of the training stage and the progress bars, on small inputs."""
from __future__ import annotations

import numpy as np

from stages import io, parity, progress, train
from stages.generate import generate_set


def test_block_batches_visit_every_row_once_per_epoch(tmp_path, monkeypatch):
    generate_set(tmp_path / "set", 1000, 40, 0, parity.STREAM_TRAIN)  # 40 bits: rows are distinct
    data = io.ParitySet(tmp_path / "set")
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
    data = io.ParitySet(tmp_path / "set")
    monkeypatch.setattr(train, "BLOCK_BITS", 8 * 40)
    sizes = []
    original = io.ParitySet.read
    monkeypatch.setattr(io.ParitySet, "read", lambda self, a, b: sizes.append(b - a) or original(self, a, b))
    list(train.block_batches(data, len(data), 20, np.random.default_rng(1)))
    assert max(sizes) == 40 and sum(sizes) == 500


def test_progress_is_silent_off_a_terminal():
    items = [1, 2, 3]
    assert progress.progress(items, total=3, desc="x") is items  # pytest's stderr is not a terminal
