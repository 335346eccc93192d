"""The generate stage: sets written atomically, the same bytes for the same seed, no Keras."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_parity import parity
from lstm_parity.datasets import BITS_FILE, TARGETS_FILE, ParitySet
from lstm_parity.generation import generate_set, training_chunks


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


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 200), length=st.integers(1, 90), seed=st.integers(0, 2**63),
       stream=st.sampled_from([parity.STREAM_TRAIN, parity.STREAM_HELDOUT, parity.STREAM_LENGTH]))
def test_same_seed_gives_same_bytes_and_files_round_trip(tmp_path_factory, count, length, seed, stream):
    folders = [tmp_path_factory.mktemp("set") / "out" for _ in range(2)]
    for folder in folders:
        generate_set(folder, count, length, seed, stream)
    for name in (BITS_FILE, TARGETS_FILE):
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes()
    expected = np.concatenate([b for b, _ in training_chunks(count, length, seed, stream, None)])
    bits, targets = ParitySet(folders[0]).read(0, count)
    assert np.array_equal(bits, expected) and np.array_equal(np.load(folders[0] / BITS_FILE), expected)
    assert np.array_equal(targets, parity.running_parity(expected))


def test_padded_sets_round_trip_and_are_checked(tmp_path):
    generate_set(tmp_path / "set", 64, 12, 0, parity.STREAM_HELDOUT, min_len=1)
    bits, targets = ParitySet(tmp_path / "set").read(0, 64)
    assert np.array_equal(targets, parity.running_parity(bits))
