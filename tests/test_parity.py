"""The data layer's core: random bits, running parity, seeded and chunked generation."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from stages import parity
from stages.generate import generate_set
from stages.io import ParitySet
from tests.conftest import PROJECT


def test_running_parity_is_cumulative_xor():
    bits = np.array([[1, 0, 1, 1, 0, 1], [0, 0, 0, 0, 0, 1]], dtype=np.uint8)
    assert parity.running_parity(bits).tolist() == [[1, 1, 0, 1, 1, 0], [0, 0, 0, 0, 0, 1]]


def test_random_bits_are_fair_bits():
    bits = parity.random_bits(1000, 37, np.random.default_rng(1))
    assert bits.shape == (1000, 37) and bits.dtype == np.uint8
    assert set(np.unique(bits)) == {0, 1}
    assert abs(bits.mean() - 0.5) < 0.01


def test_chunks_make_exactly_count_rows(monkeypatch):
    monkeypatch.setattr(parity, "CHUNK_BITS", 100)  # 10 rows of 10 bits a chunk
    chunks = list(parity.generate_chunks(count=35, length=10, seed=0, stream=parity.STREAM_TRAIN))
    assert [len(bits) for bits, _ in chunks] == [10, 10, 10, 5]
    for bits, targets in chunks:
        assert np.array_equal(targets, parity.running_parity(bits))


def test_same_seed_same_bytes_and_streams_differ(tmp_path):
    generate_set(tmp_path / "a", 300, 20, seed=5, stream=parity.STREAM_HELDOUT)
    generate_set(tmp_path / "b", 300, 20, seed=5, stream=parity.STREAM_HELDOUT)
    generate_set(tmp_path / "c", 300, 20, seed=5, stream=parity.STREAM_LENGTH)
    for name in ("bits.npy", "targets.npy"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a/bits.npy").read_bytes() != (tmp_path / "c/bits.npy").read_bytes()


def test_generated_files_load_with_numpy(tmp_path):
    generate_set(tmp_path / "set", 50, 12, seed=0, stream=parity.STREAM_TRAIN)
    bits, targets = np.load(tmp_path / "set/bits.npy"), np.load(tmp_path / "set/targets.npy")
    assert bits.shape == targets.shape == (50, 12)
    assert np.array_equal(targets, np.cumsum(bits, axis=1) % 2)
    assert ParitySet(tmp_path / "set").read(0, 50)[0].tolist() == bits.tolist()


def test_data_modules_do_not_import_keras():
    """The data stages and the params check must not pay keras's seconds and 500 MB at start."""
    code = ("import sys, stages.generate, stages.check_params, stages.params, stages.io, stages.cli; "
            "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
