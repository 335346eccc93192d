"""Atomic writes: a file or folder goes to a temporary name beside its destination and is renamed into
place only when complete, so a stage killed at any moment leaves the previous output or none, never half
of one. Temporary names start with TMP_PREFIX, which .gitignore and .dvcignore exclude, and are swept by
the next write of the same path.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lstm_parity.errors import DataError

TMP_PREFIX = ".tmp-"
# The date of every zip entry written here (the earliest zip can store): zip writers otherwise stamp the
# clock's, and the same contents would give other bytes on every run.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _sweep_leftovers(folder: Path, name: str) -> None:
    """Remove temporaries that an earlier, killed write of `name` left behind."""
    for leftover in folder.glob(f"{TMP_PREFIX}{name}.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`, on error remove it.

    Works for a file or a folder written at the temporary path. An existing folder is swapped out, not
    merged into, so no file of an older version survives in the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_leftovers(path.parent, path.name)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{path.name}.", dir=path.parent))
    target = tmp / "out"
    try:
        try:
            yield target
            if not target.exists():
                raise FileNotFoundError(f"nothing was written for {path}")
            _fsync_tree(target)
        except OSError as error:
            if error.filename is not None:
                raise
            # A write that failed by a file object (a full disk, most often) names no file: name the output.
            raise OSError(error.errno, error.strerror or str(error), str(path)) from error
        if path.is_dir() and target.is_dir():
            old = tmp / "old"
            os.rename(path, old)
        os.replace(target, path)
        _fsync(path.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            _fsync_tree(child)
    _fsync(path)


def read_json(path: Path) -> Any:
    """A JSON file a stage wrote; a missing or unreadable one is the user's to fix, by name."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; run the stage that writes it (`dvc repro`)") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: not a readable JSON file ({error})") from None


def write_json(path: Path, data: Any) -> None:
    """Sorted keys, indent 2 and a final newline, so diffs across versions stay readable; NaN and infinity
    are refused (they are not JSON, and DVC could not compare them)."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def copy_file(source: Path, destination: Path) -> None:
    """Copy `source` onto `destination`, byte for byte and atomically; a missing source is the user's
    to fix (run the stage that writes it)."""
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{source}: file not found; run the stage that writes it (`dvc repro`)") from None
    with atomic_path(destination) as tmp:
        tmp.write_bytes(data)


def copy_tree(source: Path, destination: Path) -> None:
    """Copy the folder `source` onto `destination`, atomically: the old folder is swapped out whole."""
    if not Path(source).is_dir():
        raise DataError(f"{source}: folder not found; run the stage that writes it (`dvc repro`)")
    with atomic_path(destination) as tmp:
        shutil.copytree(source, tmp)


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def zip_entry(name: str, compress_type: int = zipfile.ZIP_STORED) -> zipfile.ZipInfo:
    """A zip entry dated ZIP_DATE, so that the same contents always give the same archive bytes."""
    entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    entry.compress_type = compress_type
    return entry
