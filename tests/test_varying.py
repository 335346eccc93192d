"""Sequences of varying length: padding, masking, final-only supervision, and accuracy by bucket."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from stages import evaluate, io, params, parity
from stages.generate import generate_set
from stages.train import supervised, train
from tests.conftest import TINY


def test_varying_lengths_are_padded_after_the_same_bits():
    fixed = np.concatenate([b for b, _ in parity.generate_chunks(500, 20, 3, parity.STREAM_TRAIN)])
    chunks = list(parity.generate_chunks(500, 20, 3, parity.STREAM_TRAIN, min_len=5))
    bits = np.concatenate([b for b, _ in chunks])
    targets = np.concatenate([t for _, t in chunks])
    lengths = parity.sequence_lengths(bits)
    assert lengths.min() == 5 and lengths.max() == 20  # both ends drawn, 500 draws
    real = np.arange(20) < lengths[:, None]
    assert np.array_equal(bits[real], fixed[real]) and (bits[~real] == parity.PAD).all()
    assert (targets[~real] == parity.PAD).all()
    whole = [row[:n].sum() % 2 for row, n in zip(fixed, lengths, strict=True)]
    assert np.array_equal(parity.last_steps(targets, lengths), whole)


def test_padded_sets_round_trip_and_are_checked(tmp_path):
    generate_set(tmp_path / "set", 64, 12, 0, parity.STREAM_HELDOUT, min_len=1)
    bits, targets = io.ParitySet(tmp_path / "set").read(0, 64)
    assert np.array_equal(targets, parity.running_parity(bits))


def test_final_supervision_weighs_only_each_last_bit():
    bits = parity.pad_after(np.ones((3, 5), np.uint8), np.array([5, 2, 1]))
    _, y, w = supervised(bits, parity.running_parity(bits), "final")
    assert w.tolist() == [[0, 0, 0, 0, 1], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert set(np.unique(y)) <= {0, 1}  # padding targets become a valid class, masked out of the loss
    assert len(supervised(bits, parity.running_parity(bits), "per_step")) == 2


@pytest.fixture(scope="module")
def varying_model(tmp_path_factory):
    """A tiny model trained on varying lengths with final-only supervision (whether it learns or not)."""
    from stages.model import build_model, keras

    root = tmp_path_factory.mktemp("varying")
    cfg = params.parse({**TINY, "data": {**TINY["data"], "min_len": 2}})
    generate_set(root / "train", 400, 8, 0, parity.STREAM_TRAIN, validation_count=50, min_len=2)
    keras.utils.set_random_seed(0)
    model = build_model(4)
    tcfg = dataclasses.replace(cfg.train, epochs=1, supervision="final")
    result = train(model, io.ParitySet(root / "train"), io.ParitySet(root / "train/validation"), tcfg)
    assert result.steps == 400 // tcfg.batch_size and np.isfinite(result.history[-1]["loss"])
    return model


def test_answer_does_not_depend_on_padding(varying_model):
    """The same sequence padded by different amounts, on either side, gets the same prediction."""
    bits = np.array([1, 0, 1, 1, 0, 1, 1], np.uint8)
    answers = []
    for left, right in [(0, 0), (0, 5), (0, 40), (6, 0), (3, 9)]:
        padded = np.concatenate([np.full(left, parity.PAD), bits, np.full(right, parity.PAD)]).astype(np.uint8)
        probabilities = np.asarray(varying_model.predict_on_batch(padded[np.newaxis]))[0]
        answers.append(probabilities[left + len(bits) - 1])
    for answer in answers[1:]:
        np.testing.assert_allclose(answer, answers[0], rtol=0, atol=1e-6)


def test_padding_changes_nothing_for_a_batch_of_mixed_lengths(varying_model):
    bits = np.random.default_rng(1).integers(0, 2, (6, 9), dtype=np.uint8)
    lengths = np.array([9, 1, 4, 7, 2, 5])
    batch = np.asarray(varying_model.predict_on_batch(parity.pad_after(bits, lengths)))
    for row, n in enumerate(lengths):
        alone = np.asarray(varying_model.predict_on_batch(bits[row:row + 1, :n]))[0, -1]
        np.testing.assert_allclose(batch[row, n - 1], alone, atol=1e-6)


def test_heldout_of_varying_lengths_reports_buckets(tmp_path):
    generate_set(tmp_path / "heldout", 300, 20, 0, parity.STREAM_HELDOUT, min_len=1)
    data = io.ParitySet(tmp_path / "heldout")

    def oracle_except_short(batch):
        """Right on every sequence longer than 4 bits, wrong at the last bit of shorter ones."""
        targets = parity.running_parity(batch) & 1
        lengths = parity.sequence_lengths(batch)
        short = lengths <= 4
        targets[short, lengths[short] - 1] ^= 1
        return np.stack([1 - targets, targets], axis=-1).astype(np.float32)

    result = evaluate.evaluate_set(oracle_except_short, data)
    assert result["min_length"] == 1 and result["length"] == 20
    assert list(result["buckets"]) == ["1-4", "5-8", "9-12", "13-16", "17-20"]
    assert result["buckets"]["1-4"]["accuracy"] == 0.0
    assert all(b["accuracy"] == 1.0 for name, b in result["buckets"].items() if name != "1-4")
    assert sum(b["count"] for b in result["buckets"].values()) == 300
    rows = evaluate.by_length({"heldout": result})
    assert [row["length"] for row in rows] == [2.5, 6.5, 10.5, 14.5, 18.5]


def test_length_buckets_cover_the_range():
    assert evaluate.length_buckets(1, 50) == [(1, 10), (11, 20), (21, 30), (31, 40), (41, 50)]
    assert evaluate.length_buckets(3, 5) == [(3, 3), (4, 4), (5, 5)]
