"""Property tests of the data layer: whatever the shape and seed, the invariants hold."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from stages import io, parity
from stages.generate import generate_set

bit_arrays = arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 60)), elements=st.integers(0, 1))


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


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 200), length=st.integers(1, 90), seed=st.integers(0, 2**63),
       stream=st.sampled_from([parity.STREAM_TRAIN, parity.STREAM_HELDOUT, parity.STREAM_LENGTH]))
def test_same_seed_gives_same_bytes_and_files_round_trip(tmp_path_factory, count, length, seed, stream):
    folders = [tmp_path_factory.mktemp("set") / "out" for _ in range(2)]
    for folder in folders:
        generate_set(folder, count, length, seed, stream)
    for name in (io.BITS_FILE, io.TARGETS_FILE):
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes()
    expected = np.concatenate([b for b, _ in parity.generate_chunks(count, length, seed, stream)])
    bits, targets = io.ParitySet(folders[0]).read(0, count)
    assert np.array_equal(bits, expected) and np.array_equal(np.load(folders[0] / io.BITS_FILE), expected)
    assert np.array_equal(targets, parity.running_parity(expected))


@settings(max_examples=40, deadline=None)
@given(bit_arrays, st.data())
def test_npy_rows_reads_any_row_range(tmp_path_factory, bits, data):
    path = tmp_path_factory.mktemp("npy") / "a.npy"
    with io.NpyWriter(path, bits.shape) as writer:
        writer.write(bits)
    start = data.draw(st.integers(0, len(bits) - 1))
    stop = data.draw(st.integers(start + 1, len(bits)))
    assert np.array_equal(io.NpyRows(path).read(start, stop), bits[start:stop])
