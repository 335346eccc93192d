"""Writing the data sets: random bit sequences and their running-parity targets, as uint8 .npy files in
a folder per set, atomically and chunk by chunk (memory does not grow with a set's size).

The training set never holds a string of the validation or held-out splits, and those sets draw only
from their own split (lstm_parity.splits), so neither shares a string with training. The length sets
are longer than any training sequence: every string of them is unseen.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lstm_parity import splits
from lstm_parity.datasets import VALIDATION_SET, length_folder, write_parity_files
from lstm_parity.files import atomic_path
from lstm_parity.params import Params
from lstm_parity.parity import (
    LENGTHS_STREAM_OFFSET,
    PAD,
    STREAM_HELDOUT,
    STREAM_LENGTH,
    STREAM_TRAIN,
    STREAM_VALIDATION,
    chunk_rng,
    chunk_rows,
    generate_bits,
    generate_chunks,
    pad_after,
    random_bits,
    running_parity,
    sequence_lengths,
)

Chunks = Iterable[tuple[np.ndarray, np.ndarray]]


def training_chunks(count: int, length: int, seed: int, stream: int, min_len: int | None) -> Chunks:
    """generate_chunks's sequences, except that a string of the validation or held-out split is redrawn
    (at the same length, from a stream of its own) until it is not: a training set holds none."""
    for index, bits in enumerate(generate_bits(count, length, seed, stream, min_len)):
        lengths = sequence_lengths(bits)
        redraw = splits.reserved(bits, lengths, seed)
        attempt = 0
        while redraw.any():
            attempt += 1
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, length, index, attempt)))
            fresh = pad_after(random_bits(int(redraw.sum()), length, rng), lengths[redraw])
            bits[redraw] = fresh
            redraw[redraw] = splits.reserved(fresh, lengths[redraw], seed)
        yield bits, running_parity(bits)


def split_chunks(split: str, count: int, length: int, split_seed: int, seed: int, stream: int,
                 min_len: int | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`count` sequences from the strings of `split` (validation or heldout), the split as data.seed
    (`split_seed`) fixes it, the draws from `seed`: at one length, `count` distinct strings (every string
    of the split once when `count` is all of them, so its figures are exact); at lengths min_len..length,
    lengths drawn uniformly (of 3 bits or more: shorter strings are all training strings) and strings with
    replacement, unless `count` is all the split's strings at those lengths: then each once."""
    shortest = max(min_len or length, splits.MIN_SPLIT_LENGTH)
    if shortest >= length:
        yield from _distinct_in_split(split, count, length, split_seed, seed, stream)
    elif count == splits.capacity(length, min_len):
        yield from _whole_split(split, length, shortest, split_seed, seed, stream)
    else:
        yield from _drawn_in_split(split, count, length, shortest, split_seed, seed, stream)


def _distinct_in_split(split: str, count: int, length: int, split_seed: int, seed: int, stream: int) -> Chunks:
    where = splits.split(split, length)
    # Positions drawn once, without replacement (at most 2^23 of them: 64 MB), then written chunk by chunk.
    order = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, length, 0, 0)))
    positions = where.first + order.choice(where.stop - where.first, size=count, replace=False).astype(np.uint64)
    for index, start in enumerate(range(0, count, chunk_rows(length))):
        picked = positions[start:start + chunk_rows(length)]
        bits = splits.strings_at(picked, length, split_seed, chunk_rng(seed, stream, length, index))
        yield bits, running_parity(bits)


def _whole_split(split: str, length: int, shortest: int, split_seed: int, seed: int, stream: int) -> Chunks:
    for row_length in range(shortest, length + 1):
        where = splits.split(split, row_length)
        for index, start in enumerate(range(where.first, where.stop, chunk_rows(length))):
            picked = np.arange(start, min(start + chunk_rows(length), where.stop), dtype=np.uint64)
            bits = np.full((len(picked), length), PAD, np.uint8)
            bits[:, :row_length] = splits.strings_at(picked, row_length, split_seed,
                                                     chunk_rng(seed, stream, row_length, index))
            yield bits, running_parity(bits)


def _drawn_in_split(split: str, count: int, length: int, shortest: int, split_seed: int, seed: int,
                    stream: int) -> Chunks:
    for index, start in enumerate(range(0, count, chunk_rows(length))):
        rows = min(chunk_rows(length), count - start)
        rng = chunk_rng(seed, stream, length, index)
        lengths = chunk_rng(seed, stream + LENGTHS_STREAM_OFFSET, length, index).integers(
            shortest, length, size=rows, endpoint=True)
        bits = np.full((rows, length), PAD, np.uint8)
        for row_length in np.unique(lengths):
            at = lengths == row_length
            bits[at, :row_length] = splits.draw_in_split(splits.split(split, int(row_length)), int(row_length),
                                                         int(at.sum()), split_seed, rng)
        yield bits, running_parity(bits)


def _write(folder: Path, count: int, length: int, chunks: Chunks) -> None:
    total = -(-count // chunk_rows(length))
    shown = tqdm(chunks, total=total, desc=f"generate {folder.name}", leave=False, disable=None)
    write_parity_files(folder, count, length, shown)


def generate_set(out: Path, count: int, length: int, seed: int, stream: int, validation_count: int = 0,
                 min_len: int | None = None) -> None:
    """Write the training set, `count` sequences of `length` random bits with their targets, into folder
    `out`, atomically; with validation_count, that many from the validation split into out/validation;
    with min_len, of lengths drawn from min_len..length, padded."""
    with atomic_path(out) as tmp:
        _write(tmp, count, length, training_chunks(count, length, seed, stream, min_len))
        if validation_count:
            _write(tmp / VALIDATION_SET, validation_count, length,
                   split_chunks("validation", validation_count, length, seed, seed, STREAM_VALIDATION, min_len))


def generate_heldout(out: Path, count: int, length: int, split_seed: int, seed: int, stream: int,
                     min_len: int | None = None) -> None:
    """Write the held-out set: `count` sequences from the held-out split of data.seed `split_seed`."""
    with atomic_path(out) as tmp:
        _write(tmp, count, length, split_chunks("heldout", count, length, split_seed, seed, stream, min_len))


def generate_lengths(out: Path, lengths: tuple[int, ...], count: int, seed: int) -> None:
    """Write a set of `count` full-length sequences for each length into out/<length>, atomically."""
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for length in lengths:
            _write(length_folder(tmp, length), count, length, generate_chunks(count, length, seed, STREAM_LENGTH))


SETS = ("train", "heldout", "lengths")


def generate(kind: str, out: Path, p: Params) -> None:
    """The set `kind` (train, heldout or lengths) that params `p` define, written to `out`: what each
    generate stage writes (its seeds and streams: stages/generate.py)."""
    if kind == "train":
        generate_set(out, p.data.count, p.data.seq_len, p.data.seed, STREAM_TRAIN, p.data.validation_count,
                     p.data.min_len)
    elif kind == "heldout":
        generate_heldout(out, p.evaluate.heldout_count, p.data.seq_len, p.data.seed, p.evaluate.seed,
                         STREAM_HELDOUT, p.data.min_len)
    elif kind == "lengths":
        generate_lengths(out, p.evaluate.lengths, p.evaluate.count, p.evaluate.seed)
    else:
        raise ValueError(f"unknown set {kind!r}; the sets are {', '.join(SETS)}")
