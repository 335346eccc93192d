"""Atomic writes and checked reads."""
from __future__ import annotations

import json

import numpy as np
import pytest

from stages import io
from stages.parity import running_parity


def test_atomic_path_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "out.json"
    io.write_json(target, {"b": 1, "a": 2})
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"a": 2, "b": 1}
    assert target.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_folder_replaces_whole_folder(tmp_path):
    folder = tmp_path / "set"
    with io.atomic_path(folder) as tmp:
        tmp.mkdir()
        (tmp / "old.txt").write_text("old")
    with io.atomic_path(folder) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in folder.iterdir()) == ["new.txt"]


def test_leftovers_of_a_killed_write_are_swept(tmp_path):
    (tmp_path / f"{io.TMP_PREFIX}out.json.abc").mkdir()
    io.write_json(tmp_path / "out.json", [])
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_npy_writer_round_trips_in_chunks(tmp_path):
    array = np.random.default_rng(0).integers(0, 2, (25, 7), dtype=np.uint8)
    with io.NpyWriter(tmp_path / "a.npy", array.shape) as writer:
        for start in range(0, 25, 10):
            writer.write(array[start:start + 10])
    assert np.array_equal(np.load(tmp_path / "a.npy"), array)
    assert np.array_equal(io.NpyRows(tmp_path / "a.npy").read(3, 9), array[3:9])


def test_npy_writer_refuses_too_few_rows(tmp_path):
    with pytest.raises(ValueError, match="3 rows written, 5 declared"), \
            io.NpyWriter(tmp_path / "a.npy", (5, 2)) as writer:
        writer.write(np.zeros((3, 2), np.uint8))


def write_set(folder, bits, targets=None):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / io.BITS_FILE, bits)
    np.save(folder / io.TARGETS_FILE, running_parity(bits) if targets is None else targets)
    return folder


def test_truncated_file_is_named(tmp_path):
    folder = write_set(tmp_path / "set", np.ones((10, 10), np.uint8))
    path = folder / io.BITS_FILE
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(io.DataError, match=r"bits\.npy: .*truncated"):
        io.ParitySet(folder)


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
    np.save(folder / io.BITS_FILE, bits)
    np.save(folder / io.TARGETS_FILE, np.zeros((4, 5), np.uint8))
    with pytest.raises(io.DataError, match=message):
        io.ParitySet(folder).read(0, 4)


def test_targets_that_are_not_the_running_parity_are_named(tmp_path):
    bits = np.random.default_rng(0).integers(0, 2, (6, 9), dtype=np.uint8)
    targets = running_parity(bits)
    targets[4, 8] ^= 1
    folder = write_set(tmp_path / "set", bits, targets)
    with pytest.raises(io.DataError, match=r"targets\.npy: row 4 is not the running parity"):
        io.ParitySet(folder).read(0, 6)


def test_not_an_npy_file_is_named(tmp_path):
    (tmp_path / "x.npy").write_text("hello")
    with pytest.raises(io.DataError, match=r"x\.npy: not a readable \.npy file"):
        io.NpyRows(tmp_path / "x.npy")
