"""Held-out means held out: the partition of each length's strings (lstm_parity.splits) and the sets drawn
from it share no string with training, at lengths where a training set holds every string it may."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import splits
from lstm_parity.datasets import VALIDATION_SET, ParitySet
from lstm_parity.evaluation import split_figures
from lstm_parity.generation import generate_heldout, generate_set, split_chunks, training_chunks
from lstm_parity.parity import STREAM_HELDOUT, STREAM_TRAIN, sequence_lengths


@pytest.mark.parametrize("bits", [1, 2, 3, 7, 10, 16])
def test_the_permutation_is_a_bijection_and_inverts(bits):
    every = np.arange(1 << bits, dtype=np.uint64)
    permutation = splits.Permutation.of(seed=7, length=bits)
    moved = permutation.forward(every)
    assert sorted(moved.tolist()) == every.tolist()
    assert np.array_equal(permutation.inverse(moved), every)


@pytest.mark.parametrize("length", [50, 64, 200])
def test_the_permutation_inverts_on_long_keys(length):
    keys = np.random.default_rng(0).integers(0, 1 << splits.key_bits(length), size=10_000, dtype=np.uint64,
                                             endpoint=False) if length < 64 else \
        np.random.default_rng(0).integers(0, 2**64 - 1, size=10_000, dtype=np.uint64)
    permutation = splits.Permutation.of(seed=3, length=length)
    assert np.array_equal(permutation.inverse(permutation.forward(keys)), keys)


def test_keys_read_the_first_bits_and_back():
    bits = np.random.default_rng(1).integers(0, 2, size=(100, 80), dtype=np.uint8)
    for length in (1, 5, 64, 80):
        keys = splits.keys_of(bits[:, :length], np.full(100, length))
        assert np.array_equal(splits.bits_of(keys, length), bits[:, :min(length, 64)])


def test_split_sizes():
    assert [splits.held_out(n) for n in (1, 2, 3, 8, 10, 26, 27, 50, 1000)] == \
        [0, 0, 1, 32, 128, 1 << 23, 1 << 23, 1 << 23, 1 << 23]
    assert splits.capacity(10, None) == 128 and splits.capacity(10, 1) == sum(1 << (n - 3) for n in range(3, 11))


def all_strings(length: int) -> np.ndarray:
    return np.unpackbits(np.arange(1 << length, dtype=">u2").view(np.uint8).reshape(-1, 2), axis=1)[:, 16 - length:]


@pytest.mark.parametrize("length", [8, 10])
def test_every_string_has_one_split_and_a_quarter_is_kept_from_training(length):
    strings = all_strings(length)
    positions = splits.positions(strings, np.full(len(strings), length), seed=0)
    held = splits.held_out(length)
    assert np.count_nonzero(positions < held) == held and np.count_nonzero(positions < 2 * held) == 2 * held
    assert np.array_equal(splits.reserved(strings, np.full(len(strings), length), 0), positions < 2 * held)


def generated(tmp_path, length: int, min_len: int | None, count: int = 20_000) -> dict[str, ParitySet]:
    capacity = splits.capacity(length, min_len)
    generate_set(tmp_path / "train", count, length, 0, STREAM_TRAIN, capacity, min_len)
    generate_heldout(tmp_path / "heldout", capacity, length, 0, 5, STREAM_HELDOUT, min_len)
    return {"train": ParitySet(tmp_path / "train"), "validation": ParitySet(tmp_path / "train" / VALIDATION_SET),
            "heldout": ParitySet(tmp_path / "heldout")}


def strings_of(data: ParitySet) -> set[str]:
    bits, _ = data.read(0, len(data))
    return {"".join(map(str, row[:n])) for row, n in zip(bits, sequence_lengths(bits), strict=True)}


@pytest.mark.parametrize("length, min_len", [(8, None), (10, None), (10, 1)])
def test_no_validation_or_heldout_string_is_a_training_string(tmp_path, length, min_len):
    """At 8 and 10 bits, and at lengths 1..10, a training set of 20,000 draws a length holds every string it may
    (each of the rest three quarters, at 3 bits and more) and none of the validation or held-out ones;
    those two do not share a string either. Counted here as strings, and by the evaluate stage's figures."""
    count = 20_000 if min_len is None else 200_000  # 20,000 per length: every allowed string drawn
    sets = generated(tmp_path, length, min_len, count)
    training, validation, heldout = (strings_of(sets[name]) for name in ("train", "validation", "heldout"))
    lengths = [length] if min_len is None else range(min_len, length + 1)
    assert len(training) == sum((1 << n) - 2 * splits.held_out(n) for n in lengths)
    assert not training & validation and not training & heldout and not validation & heldout
    figures = split_figures(sets["train"], sets["validation"], sets["heldout"])
    assert figures["training"] == {"count": count, "distinct": len(training)}
    for name, found in (("validation", validation), ("heldout", heldout)):
        assert figures[name]["distinct"] == len(found) and figures[name]["shared_with_training"] == 0


def test_shared_strings_are_counted_when_there_are_some(tmp_path):
    """The figure the metrics record can be other than zero: a set compared with itself shares all."""
    generate_set(tmp_path / "train", 500, 12, 0, STREAM_TRAIN, 20)
    train = ParitySet(tmp_path / "train")
    assert split_figures(train, None, train)["heldout"]["shared_with_training"] == \
        split_figures(train, None, train)["training"]["distinct"]


def test_past_64_bits_the_first_64_decide(tmp_path):
    """At 200 bits the key is the first 64: held-out strings start with a held-out key, training ones never."""
    rng = np.random.default_rng(0)
    heldout = splits.draw_in_split(splits.split("heldout", 200), 200, 500, 0, rng)
    lengths = np.full(500, 200)
    assert np.all(splits.positions(heldout, lengths, 0) < splits.held_out(200))
    train = np.concatenate([bits for bits, _ in training_chunks(2000, 200, 0, STREAM_TRAIN, None)])
    assert not splits.reserved(train, np.full(2000, 200), 0).any()
    assert len({row.tobytes() for row in heldout}) == 500


def test_split_sets_are_the_same_bytes_for_the_same_seeds():
    def draw(seed):
        return np.concatenate([b for b, _ in split_chunks("heldout", 300, 12, 0, seed, STREAM_HELDOUT, 2)])
    assert np.array_equal(draw(1), draw(1)) and not np.array_equal(draw(1), draw(2))
    assert sequence_lengths(draw(1)).min() >= splits.MIN_SPLIT_LENGTH  # 1 and 2 bits: training strings only


@pytest.mark.parametrize("length, min_len", [(10, None), (10, 1)])
def test_a_set_of_the_whole_split_holds_each_of_its_strings_once(tmp_path, length, min_len):
    """Asked for every string of the split, the held-out set is the split: its figures are exact."""
    capacity = splits.capacity(length, min_len)
    generate_heldout(tmp_path / "heldout", capacity, length, 0, 5, STREAM_HELDOUT, min_len)
    data = ParitySet(tmp_path / "heldout")
    bits, _ = data.read(0, len(data))
    lengths = sequence_lengths(bits)
    assert len(strings_of(data)) == capacity == len(data)
    assert np.all(splits.positions(bits, lengths, 0) < [splits.held_out(int(n)) for n in lengths])


def test_at_one_length_the_strings_drawn_are_distinct(tmp_path):
    generate_heldout(tmp_path / "heldout", 2000, 50, 0, 0, STREAM_HELDOUT)
    assert len(strings_of(ParitySet(tmp_path / "heldout"))) == 2000
