"""Writing the data sets: random bit sequences and their running-parity targets, as uint8 .npy files in
a folder per set, atomically and chunk by chunk (memory does not grow with a set's size)."""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from lstm_parity.datasets import VALIDATION_SET, length_folder, write_parity_files
from lstm_parity.files import atomic_path
from lstm_parity.parity import STREAM_LENGTH, STREAM_VALIDATION, chunk_rows, generate_chunks


def _write(folder: Path, count: int, length: int, seed: int, stream: int, min_len: int | None) -> None:
    chunks = generate_chunks(count, length, seed, stream, min_len)
    total = -(-count // chunk_rows(length))
    shown = tqdm(chunks, total=total, desc=f"generate {folder.name}", leave=False, disable=None)
    write_parity_files(folder, count, length, shown)


def generate_set(out: Path, count: int, length: int, seed: int, stream: int, validation_count: int = 0,
                 min_len: int | None = None) -> None:
    """Write `count` sequences of `length` random bits with their targets into folder `out`, atomically;
    with validation_count, that many more from their own stream into out/validation; with min_len, of
    lengths drawn from min_len..length, padded."""
    with atomic_path(out) as tmp:
        _write(tmp, count, length, seed, stream, min_len)
        if validation_count:
            _write(tmp / VALIDATION_SET, validation_count, length, seed, STREAM_VALIDATION, min_len)


def generate_lengths(out: Path, lengths: tuple[int, ...], count: int, seed: int) -> None:
    """Write a set of `count` full-length sequences for each length into out/<length>, atomically."""
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for length in lengths:
            _write(length_folder(tmp, length), count, length, seed, STREAM_LENGTH, None)
