"""Atomic writes: a failed or killed write leaves the old output or none."""
from __future__ import annotations

import json

import pytest

from lstm_parity.files import TMP_PREFIX, atomic_path, write_json


def test_atomic_path_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"b": 1, "a": 2})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"a": 2, "b": 1}
    assert target.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_folder_replaces_whole_folder(tmp_path):
    folder = tmp_path / "set"
    with atomic_path(folder) as tmp:
        tmp.mkdir()
        (tmp / "old.txt").write_text("old")
    with atomic_path(folder) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in folder.iterdir()) == ["new.txt"]


def test_leftovers_of_a_killed_write_are_swept(tmp_path):
    (tmp_path / f"{TMP_PREFIX}out.json.abc").mkdir()
    write_json(tmp_path / "out.json", [])
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_json_refuses_nan_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(ValueError):
        write_json(target, {"a": float("nan")})
    assert json.loads(target.read_text()) == {"a": 1}
