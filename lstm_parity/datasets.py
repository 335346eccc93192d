"""The data sets on disk: each a folder of bits.npy and targets.npy, 2-D uint8 arrays of equal shape,
the targets the running parity of the bits. Written chunk by chunk and read row range by row range, so
memory does not grow with a set's size; every read is checked and names the file on error.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from lstm_parity.errors import DataError
from lstm_parity.parity import PAD, running_parity

BIT_DTYPE = np.dtype(np.uint8)

VALIDATION_SET = "validation"  # its folder, inside the training set's folder


def length_folder(lengths_dir: Path, length: int) -> Path:
    """The folder of the length set of sequences `length` long, inside the folder of all length sets."""
    return Path(lengths_dir) / str(length)


class NpyWriter:
    """Write a 2-D uint8 .npy of known shape chunk by chunk, with plain writes.

    Not np.lib.format.open_memmap: the pages of a memory map count toward the process's RSS, about 1 GB
    per 10^9 bits, while written pages stay in the kernel's cache.
    """

    def __init__(self, path: Path, shape: tuple[int, int]):
        self.path, self.shape, self.rows = Path(path), shape, 0
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close(), used as a context manager
        header = {"descr": np.lib.format.dtype_to_descr(BIT_DTYPE), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(self._file, header)

    def write(self, chunk: np.ndarray) -> None:
        if chunk.dtype != BIT_DTYPE or chunk.ndim != 2 or chunk.shape[1] != self.shape[1]:
            raise ValueError(f"{self.path}: chunk {chunk.dtype} {chunk.shape} does not fit {self.shape}")
        if self.rows + len(chunk) > self.shape[0]:
            raise ValueError(f"{self.path}: more than {self.shape[0]} rows written")
        self._file.write(np.ascontiguousarray(chunk).data)
        self.rows += len(chunk)

    def close(self) -> None:
        self._file.close()
        if self.rows != self.shape[0]:
            raise ValueError(f"{self.path}: {self.rows} rows written, {self.shape[0]} declared")

    def __enter__(self) -> NpyWriter:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self._file.close()


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class NpyRows:
    """A checked, read-only view of a 2-D uint8 .npy: its shape is read from the header and the file's
    size checked against it, and rows are read on demand with plain reads (no memory map, see NpyWriter)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read_header = _HEADER_READERS.get(version)
                if read_header is None:
                    raise ValueError(f"unsupported .npy version {version}")
                shape, fortran, dtype = read_header(f)
                self.offset = f.tell()
        except FileNotFoundError:
            raise DataError(f"{self.path}: file not found; run `dvc repro` to make it") from None
        except (ValueError, OSError, SyntaxError) as error:
            raise DataError(f"{self.path}: not a readable .npy file ({error})") from None
        if dtype != BIT_DTYPE or fortran or len(shape) != 2 or 0 in shape:
            raise DataError(f"{self.path}: expected a non-empty 2-D uint8 array, found {dtype} {shape}"
                            f"{' in Fortran order' if fortran else ''}")
        self.shape: tuple[int, int] = shape
        expected = self.offset + shape[0] * shape[1]
        size = self.path.stat().st_size
        if size != expected:
            raise DataError(f"{self.path}: {size} bytes, expected {expected} for shape {shape}; "
                            f"the file is truncated or damaged")

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def length(self) -> int:
        return self.shape[1]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) as a (stop - start, length) uint8 array, checked to hold only 0, 1 and
        PAD, with PAD only after a row's last bit."""
        stop = min(stop, self.shape[0])
        with open(self.path, "rb") as f:
            f.seek(self.offset + start * self.length)
            rows = np.fromfile(f, dtype=BIT_DTYPE, count=(stop - start) * self.length)
        if rows.size != (stop - start) * self.length:
            raise DataError(f"{self.path}: truncated while reading rows {start}..{stop}")
        if rows.size and rows.max() > 1:
            if rows.max() > PAD:
                raise DataError(f"{self.path}: holds values other than 0 and 1 (rows {start}..{stop})")
            padded = rows.reshape(stop - start, self.length) == PAD
            if (padded[:, :-1] & ~padded[:, 1:]).any() or padded[:, 0].any():
                raise DataError(f"{self.path}: padding ({PAD}) before a bit, or a row of padding only "
                                f"(rows {start}..{stop})")
        return rows.reshape(stop - start, self.length)


    def read_columns(self, start: int, stop: int, rows: range | None = None) -> np.ndarray:
        """Columns [start, stop) of `rows` (default: every row), as a (rows, stop - start) uint8 array: whole
        rows in one read, a segment of them with one seek and one read per row, so a segment of a long set
        passes through the page cache, never this process's memory (a memory map's touched pages count
        toward RSS: 200 MB for 200 x 10^6 bits). Checked to hold only 0, 1 and PAD."""
        rows = range(len(self)) if rows is None else rows
        if not 0 <= start <= stop <= self.length or not 0 <= rows.start <= rows.stop <= len(self):
            raise ValueError(f"{self.path}: rows {rows.start}..{rows.stop}, columns {start}..{stop} outside "
                             f"{len(self)} x {self.length}")
        out = np.empty((len(rows), stop - start), BIT_DTYPE)
        with open(self.path, "rb", buffering=0) as f:
            if (start, stop) == (0, self.length):
                f.seek(self.offset + rows.start * self.length)
                if f.readinto(out) != out.size:
                    raise DataError(f"{self.path}: truncated while reading rows {rows.start}..{rows.stop}")
            else:
                for index, row in enumerate(rows):
                    f.seek(self.offset + row * self.length + start)
                    if f.readinto(out[index]) != stop - start:
                        raise DataError(f"{self.path}: truncated while reading row {row}, columns {start}..{stop}")
        if out.size and out.max() > PAD:
            raise DataError(f"{self.path}: holds values other than 0 and 1 (columns {start}..{stop})")
        return out


BITS_FILE = "bits.npy"
TARGETS_FILE = "targets.npy"


class ParitySet:
    """One data folder: bits.npy and targets.npy of equal shape, targets the running parity of the bits.
    Every read checks that, so a damaged or mismatched pair stops the stage with the file's name."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.bits = NpyRows(self.folder / BITS_FILE)
        self.targets = NpyRows(self.folder / TARGETS_FILE)
        if self.bits.shape != self.targets.shape:
            raise DataError(f"{self.targets.path}: shape {self.targets.shape} does not match "
                            f"{self.bits.path} {self.bits.shape}")

    def __len__(self) -> int:
        return len(self.bits)

    @property
    def length(self) -> int:
        return self.bits.length

    def read(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        bits, targets = self.bits.read(start, stop), self.targets.read(start, stop)
        wrong = np.flatnonzero((targets != running_parity(bits)).any(axis=1))
        if wrong.size:
            raise DataError(f"{self.targets.path}: row {start + wrong[0]} is not the running parity of "
                            f"{self.bits.path}")
        return bits, targets

    def columns(self, start: int, stop: int, rows: range | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(bits, targets) of columns [start, stop) of `rows` (default: every row). The targets cannot be
        checked against the bits here (the parity carries over from earlier columns): the reader carries it
        and checks."""
        return self.bits.read_columns(start, stop, rows), self.targets.read_columns(start, stop, rows)

    def chunks(self, rows: int, start: int = 0, stop: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        stop = len(self) if stop is None else stop
        for at in range(start, stop, rows):
            yield self.read(at, min(at + rows, stop))


def write_parity_files(folder: Path, count: int, length: int,
                       chunks: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
    """Write (bits, targets) chunks as a set in a new folder, never holding more than one chunk.
    Not atomic by itself: call it inside atomic_path."""
    folder.mkdir()
    with NpyWriter(folder / BITS_FILE, (count, length)) as bits_out, \
            NpyWriter(folder / TARGETS_FILE, (count, length)) as targets_out:
        for bits, targets in chunks:
            bits_out.write(bits)
            targets_out.write(targets)
