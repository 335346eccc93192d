"""Which strings may be trained on, validated on and held out: a fixed partition of every length's strings.

At short lengths a training set of 100,000 draws holds every string there is (1,024 at 10 bits), so a
held-out set drawn the same way would be a sample of the training set. Here each string of `length` bits
has a key, its first min(length, 64) bits read as an integer, and a keyed bijection of the keys
(Permutation, seeded by data.seed and the length) puts every key at a position: positions below
`held_out(length)` are the held-out split, the next as many the validation split, every other the
training split. The training set redraws a string whose position falls in the first two splits; the
validation and held-out sets pick positions inside their own range and turn them back into strings with
the inverse permutation. So no validation or held-out string is a training string, by construction,
whatever the counts, and nothing is kept in memory to check it.

Each held-out split is an eighth of a length's strings, capped at 2^23 keys: a quarter of the strings is
kept from training up to 26 bits, and above that a share too small to change a training set (at 50 bits
one draw in 67 million is redrawn).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_parity.parity import STREAM_SPLIT

KEY_BITS = 64               # a string's key is its first min(length, KEY_BITS) bits
MAX_SPLIT_KEYS = 1 << 23    # keys in each held-out split, at most
MIN_SPLIT_LENGTH = 3        # below this a length has too few strings to hold any out (4 at 2 bits)
WORD = np.uint64


def key_bits(length: int) -> int:
    return min(length, KEY_BITS)


def held_out(length: int) -> int:
    """Keys (hence strings, up to 64 bits) in each of the validation and held-out splits at `length`."""
    if length < MIN_SPLIT_LENGTH:
        return 0
    return min(1 << (key_bits(length) - 3), MAX_SPLIT_KEYS)


@dataclass(frozen=True)
class Split:
    """A range of positions: the strings a set of this split is drawn from."""
    name: str
    first: int
    stop: int


def split(name: str, length: int) -> Split:
    size = held_out(length)
    if name == "heldout":
        return Split(name, 0, size)
    if name == "validation":
        return Split(name, size, 2 * size)
    raise ValueError(f"unknown split {name!r}; expected heldout or validation")


def capacity(seq_len: int, min_len: int | None) -> int:
    """Strings in each held-out split over the lengths a set of these params draws (the first 64 bits of
    them past 64 bits, where the rest is free)."""
    if min_len is None:
        return held_out(seq_len)
    # the sum of the uncapped eighths of 2^3..2^26 is below 2^24; every longer length adds the cap
    short = range(max(min_len, MIN_SPLIT_LENGTH), min(seq_len, 26) + 1)
    return sum(held_out(length) for length in short) + max(0, seq_len - max(min_len - 1, 26)) * MAX_SPLIT_KEYS


def shortest_length_holding(count: int, min_len: int | None) -> int | None:
    """The shortest seq_len whose splits hold `count` strings each, for sets of these lengths; None when
    no length does (a fixed length holds MAX_SPLIT_KEYS at most)."""
    seq_len = max(min_len or 1, MIN_SPLIT_LENGTH)
    while seq_len <= 27 or min_len is None:  # past 26 bits a fixed length holds no more
        if capacity(seq_len, min_len) >= count:
            return seq_len
        if min_len is None and seq_len > 26:
            return None
        seq_len += 1
    # varying lengths: every length past 26 bits adds MAX_SPLIT_KEYS
    return seq_len + -(-(count - capacity(seq_len, min_len)) // MAX_SPLIT_KEYS)


def _mask(bits: int) -> WORD:
    return WORD((1 << bits) - 1)


@dataclass(frozen=True)
class Permutation:
    """A keyed bijection of the integers below 2^bits: two rounds of xor, odd multiply and xor-shift, each
    invertible modulo 2^bits, so that nearby keys land far apart and every position is some key's."""
    bits: int
    xor_in: WORD
    xor_out: WORD
    multipliers: tuple[WORD, WORD]
    shift: int

    @classmethod
    def of(cls, seed: int, length: int) -> Permutation:
        bits = key_bits(length)
        words = np.random.SeedSequence(seed, spawn_key=(STREAM_SPLIT, length)).generate_state(4, np.uint64)
        mask = _mask(bits)
        return cls(bits, words[0] & mask, words[1] & mask, (words[2] | WORD(1), words[3] | WORD(1)),
                   max(1, (bits + 1) // 2))

    def forward(self, keys: np.ndarray) -> np.ndarray:
        mask, shift = _mask(self.bits), WORD(self.shift)
        x = np.asarray(keys, WORD) ^ self.xor_in
        for multiplier in self.multipliers:
            x = (x * multiplier) & mask  # numpy's uint64 product wraps modulo 2^64, a multiple of 2^bits
            x ^= x >> shift
        return x ^ self.xor_out

    def inverse(self, positions: np.ndarray) -> np.ndarray:
        mask = _mask(self.bits)
        x = np.asarray(positions, WORD) ^ self.xor_out
        for multiplier in reversed(self.multipliers):
            x = _unshift(x, self.shift, self.bits)
            x = (x * WORD(pow(int(multiplier), -1, 1 << self.bits))) & mask
        return x ^ self.xor_in


def _unshift(y: np.ndarray, shift: int, bits: int) -> np.ndarray:
    """The x with x ^ (x >> shift) == y, for x below 2^bits."""
    x = y.copy()
    step = shift
    while step < bits:
        x ^= x >> WORD(step)
        step *= 2
    return x


def keys_of(bits: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each row's key: its first min(length, 64) bits, most significant first, as an integer."""
    head = np.zeros((len(bits), 8), np.uint8)
    packed = np.packbits(np.asarray(bits[:, :KEY_BITS]) & 1, axis=1)  # PAD (2) reads as 0; lengths cut below
    head[:, :packed.shape[1]] = packed
    words = head.view(">u8")[:, 0].astype(WORD)
    return words >> (WORD(KEY_BITS) - np.minimum(lengths, KEY_BITS).astype(WORD))


def bits_of(keys: np.ndarray, length: int) -> np.ndarray:
    """The first min(length, 64) bits of strings with these keys, as (rows, min(length, 64)) uint8."""
    bits = key_bits(length)
    words = (np.asarray(keys, WORD) << WORD(KEY_BITS - bits)).astype(">u8")
    return np.unpackbits(words.view(np.uint8).reshape(-1, 8), axis=1)[:, :bits]


def positions(bits: np.ndarray, lengths: np.ndarray, seed: int) -> np.ndarray:
    """Each row's position in its length's permutation: below 2 * held_out(length) it is kept from training."""
    keys = keys_of(bits, lengths)
    result = np.empty(len(bits), WORD)
    for length in np.unique(lengths):
        rows = lengths == length
        result[rows] = Permutation.of(seed, int(length)).forward(keys[rows])
    return result


def reserved(bits: np.ndarray, lengths: np.ndarray, seed: int) -> np.ndarray:
    """Rows whose string belongs to the validation or held-out split: never in a training set."""
    limits = np.array([2 * held_out(int(n)) for n in range(int(lengths.max(initial=0)) + 1)], WORD)
    return positions(bits, lengths, seed) < limits[lengths]


def strings_at(positions: np.ndarray, length: int, seed: int, rng: np.random.Generator) -> np.ndarray:
    """The strings of `length` bits at these positions of the permutation, as (rows, length) uint8: the
    positions turned back into keys, then the bits after the key (past 64) drawn freely from `rng`."""
    head = bits_of(Permutation.of(seed, length).inverse(positions), length)
    if length <= KEY_BITS:
        return head
    rows = len(positions)
    tail = np.unpackbits(np.frombuffer(rng.bytes(rows * -(-(length - KEY_BITS) // 8)), np.uint8)
                         .reshape(rows, -1), axis=1)[:, :length - KEY_BITS]
    return np.concatenate([head, tail], axis=1)


def draw_in_split(split_range: Split, length: int, rows: int, seed: int, rng: np.random.Generator) -> np.ndarray:
    """`rows` strings of `length` bits drawn uniformly from a split, with replacement."""
    picked = rng.integers(split_range.first, split_range.stop, size=rows, dtype=np.uint64)
    return strings_at(picked, length, seed, rng)


def fingerprints(bits: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A row per string that tells strings apart: (length, key, a 64-bit hash of the bits after the key).
    Exact up to 64 bits; past that two strings with one key differ only in a hash."""
    rest = np.zeros(len(bits), WORD)
    for start in range(KEY_BITS, bits.shape[1], KEY_BITS):
        chunk = np.asarray(bits[:, start:start + KEY_BITS]) & 1
        chunk = np.where(np.arange(start, start + chunk.shape[1]) < lengths[:, None], chunk, 0)
        rest = _mix(rest ^ keys_of(chunk, np.full(len(bits), chunk.shape[1])) ^ WORD(start))
    return np.stack([lengths.astype(WORD), keys_of(bits, lengths), rest], axis=1)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit."""
    x = (x ^ (x >> WORD(30))) * WORD(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> WORD(27))) * WORD(0x94D049BB133111EB)
    return x ^ (x >> WORD(31))


def shared(a: np.ndarray, b: np.ndarray) -> int:
    """How many distinct strings two sets (their distinct fingerprints) both hold."""
    both = np.concatenate([a, b])
    return len(both) - len(np.unique(both, axis=0))
