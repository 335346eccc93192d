"""Pure numpy: random bits, running parity, padding, seeded chunked generation."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_parity import parity

bit_arrays = arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 60)), elements=st.integers(0, 1))


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


@given(bit_arrays)
def test_targets_are_the_running_parity(bits):
    targets = parity.running_parity(bits)
    assert np.array_equal(targets, np.cumsum(bits, axis=1) % 2)
    # The last target is the parity of the whole sequence, as the post's demo reads it.
    assert np.array_equal(targets[:, -1], bits.sum(axis=1) % 2)


@settings(max_examples=30, deadline=None)
@given(count=st.integers(1, 300), length=st.integers(1, 70), seed=st.integers(0, 2**32),
       chunk_bits=st.integers(1, 5000))
def test_generated_chunks_are_parity_sets_of_the_right_shape(count, length, seed, chunk_bits):
    parity.CHUNK_BITS, saved = chunk_bits, parity.CHUNK_BITS
    try:
        chunks = list(parity.generate_chunks(count, length, seed, parity.STREAM_TRAIN))
    finally:
        parity.CHUNK_BITS = saved
    assert sum(len(bits) for bits, _ in chunks) == count
    for bits, targets in chunks:
        assert bits.shape[1] == length and bits.dtype == np.uint8 and bits.max() <= 1
        assert np.array_equal(targets, parity.running_parity(bits))


def test_varying_lengths_are_padded_after_the_same_bits():
    fixed = np.concatenate([b for b, _ in parity.generate_chunks(500, 20, 3, parity.STREAM_TRAIN)])
    chunks = list(parity.generate_chunks(500, 20, 3, parity.STREAM_TRAIN, min_len=5))
    bits = np.concatenate([b for b, _ in chunks])
    targets = np.concatenate([t for _, t in chunks])
    lengths = parity.sequence_lengths(bits)
    assert lengths.min() == 5 and lengths.max() == 20  # both ends drawn, 500 draws
    real = np.arange(20) < lengths[:, None]
    assert np.array_equal(bits[real], fixed[real]) and (bits[~real] == parity.PAD).all()
    assert (targets[~real] == parity.PAD).all()
    whole = [row[:n].sum() % 2 for row, n in zip(fixed, lengths, strict=True)]
    assert np.array_equal(parity.last_steps(targets, lengths), whole)
