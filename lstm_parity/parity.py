"""Pure numpy: random bit sequences and their running parity.

Sequences shorter than their array row are padded on the right with PAD, in the bits and in the
targets alike; the model masks PAD, so how much padding there is does not change its answer.

Every set is generated in fixed-size chunks, each from its own seed derived from (seed, stream, length,
chunk index), so a set's bytes depend only on its own parameters: not on how many other sets exist,
nor on how much memory the machine has.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Bits generated per chunk. Part of the data's definition: changing it changes every generated file.
CHUNK_BITS = 1 << 24

# The value of a padding position, in bits and targets; 0 and 1 are the only bit values.
PAD = 2

# Independent random streams, one per kind of set.
STREAM_TRAIN = 0
STREAM_HELDOUT = 1
STREAM_LENGTH = 2
STREAM_SHUFFLE = 3  # train.py's order of rows, kept apart from the data's own streams
STREAM_VALIDATION = 4
STREAM_SPLIT = 5  # the constants of lstm_parity.splits's permutation: which strings are kept from training
LENGTHS_STREAM_OFFSET = 8  # sequence lengths are drawn from stream + 8, apart from the bits


def running_parity(bits: np.ndarray) -> np.ndarray:
    """Parity of each prefix along the last axis: targets[..., t] = bits[..., 0] ^ ... ^ bits[..., t],
    and PAD wherever the bits are PAD."""
    bits = np.asarray(bits, dtype=np.uint8)
    # Accumulating along the first axis of the transposed view runs ~3x faster than along axis=-1.
    targets = np.ascontiguousarray(np.bitwise_xor.accumulate((bits & 1).T, axis=0).T)
    padded = bits == PAD
    if padded.any():
        targets[padded] = PAD
    return targets


def sequence_lengths(bits: np.ndarray) -> np.ndarray:
    """Length of each row before its padding."""
    return np.count_nonzero(np.asarray(bits) != PAD, axis=-1)


def last_steps(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """values[i, lengths[i] - 1, ...]: each row's value at its last real position."""
    return values[np.arange(len(values)), np.asarray(lengths) - 1]


def pad_after(bits: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Bits with each row cut to its length and padded with PAD on the right."""
    padded = bits.copy()
    padded[np.arange(bits.shape[1]) >= np.asarray(lengths)[:, None]] = PAD
    return padded


def random_bits(rows: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """(rows, length) uint8 array of fair random bits, 8 per random byte."""
    n = rows * length
    raw = np.frombuffer(rng.bytes((n + 7) // 8), dtype=np.uint8)
    return np.unpackbits(raw)[:n].reshape(rows, length)


def chunk_rows(length: int) -> int:
    """Rows per generated chunk for sequences of this length."""
    return max(1, CHUNK_BITS // length)


def chunk_rng(seed: int, stream: int, length: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, length, chunk)))


def generate_bits(count: int, length: int, seed: int, stream: int, min_len: int | None = None) -> Iterator[np.ndarray]:
    """Yield chunks of bits that together make `count` sequences of `length` bits; with min_len, each
    sequence is cut to a length drawn uniformly from min_len..length and padded with PAD. The bits
    before the padding do not depend on min_len."""
    per_chunk = chunk_rows(length)
    for index, start in enumerate(range(0, count, per_chunk)):
        rows = min(per_chunk, count - start)
        bits = random_bits(rows, length, chunk_rng(seed, stream, length, index))
        if min_len is not None and min_len < length:
            lengths_rng = chunk_rng(seed, stream + LENGTHS_STREAM_OFFSET, length, index)
            bits = pad_after(bits, lengths_rng.integers(min_len, length, size=rows, endpoint=True))
        yield bits


def generate_chunks(count: int, length: int, seed: int, stream: int,
                    min_len: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """generate_bits's chunks with their targets: (bits, running parity)."""
    for bits in generate_bits(count, length, seed, stream, min_len):
        yield bits, running_parity(bits)
