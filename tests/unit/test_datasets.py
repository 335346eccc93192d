"""The .npy sets on disk: chunked writes, checked reads that name the file."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_parity.datasets import BITS_FILE, TARGETS_FILE, NpyRows, NpyWriter, ParitySet
from lstm_parity.errors import DataError
from lstm_parity.parity import running_parity

bit_arrays = arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 60)), elements=st.integers(0, 1))


def test_npy_writer_round_trips_in_chunks(tmp_path):
    array = np.random.default_rng(0).integers(0, 2, (25, 7), dtype=np.uint8)
    with NpyWriter(tmp_path / "a.npy", array.shape) as writer:
        for start in range(0, 25, 10):
            writer.write(array[start:start + 10])
    assert np.array_equal(np.load(tmp_path / "a.npy"), array)
    assert np.array_equal(NpyRows(tmp_path / "a.npy").read(3, 9), array[3:9])


def test_npy_writer_refuses_too_few_rows(tmp_path):
    with pytest.raises(ValueError, match="3 rows written, 5 declared"), \
            NpyWriter(tmp_path / "a.npy", (5, 2)) as writer:
        writer.write(np.zeros((3, 2), np.uint8))


def write_set(folder, bits, targets=None):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / BITS_FILE, bits)
    np.save(folder / TARGETS_FILE, running_parity(bits) if targets is None else targets)
    return folder


def test_truncated_file_is_named(tmp_path):
    folder = write_set(tmp_path / "set", np.ones((10, 10), np.uint8))
    path = folder / BITS_FILE
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match=r"bits\.npy: .*truncated"):
        ParitySet(folder)


@pytest.mark.parametrize("bits, message", [
    (np.ones((4, 5), np.float32), "expected a non-empty 2-D uint8 array, found float32"),
    (np.ones((4, 5, 2), np.uint8), r"found uint8 \(4, 5, 2\)"),
    (np.full((4, 5), 7, np.uint8), "values other than 0 and 1"),
    (np.array([[1, 2, 1, 0, 1]] * 4, np.uint8), r"padding \(2\) before a bit"),
    (np.full((4, 5), 2, np.uint8), "a row of padding only"),
])
def test_wrong_dtype_shape_or_values_are_named(tmp_path, bits, message):
    folder = tmp_path / "set"
    folder.mkdir()
    np.save(folder / BITS_FILE, bits)
    np.save(folder / TARGETS_FILE, np.zeros((4, 5), np.uint8))
    with pytest.raises(DataError, match=message):
        ParitySet(folder).read(0, 4)


def test_targets_that_are_not_the_running_parity_are_named(tmp_path):
    bits = np.random.default_rng(0).integers(0, 2, (6, 9), dtype=np.uint8)
    targets = running_parity(bits)
    targets[4, 8] ^= 1
    folder = write_set(tmp_path / "set", bits, targets)
    with pytest.raises(DataError, match=r"targets\.npy: row 4 is not the running parity"):
        ParitySet(folder).read(0, 6)


def test_not_an_npy_file_is_named(tmp_path):
    (tmp_path / "x.npy").write_text("hello")
    with pytest.raises(DataError, match=r"x\.npy: not a readable \.npy file"):
        NpyRows(tmp_path / "x.npy")


def written(folder, bits: np.ndarray):
    """bits written with NpyWriter into a new .npy file in folder."""
    path = folder / "a.npy"
    with NpyWriter(path, bits.shape) as writer:
        writer.write(bits)
    return path


@settings(max_examples=40, deadline=None)
@given(bit_arrays, st.data())
def test_npy_rows_reads_any_row_range(tmp_path_factory, bits, data):
    path = written(tmp_path_factory.mktemp("npy"), bits)
    start = data.draw(st.integers(0, len(bits) - 1))
    stop = data.draw(st.integers(start + 1, len(bits)))
    assert np.array_equal(NpyRows(path).read(start, stop), bits[start:stop])


@settings(max_examples=40, deadline=None)
@given(bit_arrays, st.data())
def test_npy_rows_reads_any_column_range(tmp_path_factory, bits, data):
    path = written(tmp_path_factory.mktemp("npy"), bits)
    start = data.draw(st.integers(0, bits.shape[1]))
    stop = data.draw(st.integers(start, bits.shape[1]))
    assert np.array_equal(NpyRows(path).read_columns(start, stop), bits[:, start:stop])


def test_column_reads_are_checked_and_name_the_file(tmp_path):
    bits = np.random.default_rng(1).integers(0, 2, (5, 12), dtype=np.uint8)
    folder = write_set(tmp_path / "set", bits)
    data = ParitySet(folder)
    columns, targets = data.columns(4, 9)
    np.testing.assert_array_equal(columns, bits[:, 4:9])
    np.testing.assert_array_equal(targets, running_parity(bits)[:, 4:9])
    with pytest.raises(ValueError, match="outside"):
        data.bits.read_columns(3, 13)
    bits[2, 10] = 7
    np.save(folder / BITS_FILE, bits)
    assert data.bits.read_columns(0, 10).max() == 1  # the bad value is not in these columns
    with pytest.raises(DataError, match=r"bits\.npy: holds values other than 0 and 1 \(columns 8\.\.12\)"):
        data.bits.read_columns(8, 12)
