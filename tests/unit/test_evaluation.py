"""Evaluation: exact figures from models whose answers are known, buckets of lengths, the plot's rows, the
same figures in any blocks of rows, damaged targets refused. Sets are real files (generate_set); models are
weights, run in numpy: written down (test_forward's parity model and a model that answers the last bit),
random, or the tiny trained one. No TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import evaluation as evaluate
from lstm_parity import parity
from lstm_parity.datasets import ParitySet
from lstm_parity.errors import DataError
from lstm_parity.forward import step_probabilities
from lstm_parity.generation import generate_lengths, generate_set
from lstm_parity.keras_file import LstmWeights, read_weights
from lstm_parity.metrics import answer_confidence, answer_correct, rounded, step_correct
from tests.unit.test_forward import parity_weights, random_weights


def inverted(weights: LstmWeights) -> LstmWeights:
    """The same LSTM with its readout's two answers swapped: wrong wherever the model is right."""
    return LstmWeights(weights.kernel, weights.recurrent_kernel, weights.bias, weights.dense_kernel[:, ::-1],
                       weights.dense_bias[::-1], units=weights.units)


def last_bit_weights() -> LstmWeights:
    """A 1-unit LSTM that answers the last bit it read: input gate 1 and forget gate 0 at every step (biases
    of +-30), c = tanh(+-30) = +-1 from the bit, output gate 1; the readout's logit difference is 20 h. Right
    exactly where the last bit equals the parity so far."""
    k = 30.0
    kernel, bias = np.zeros((2, 4)), np.array([k, -k, 0.0, k])  # gates i, f, c, o
    kernel[:, 2] = [k, -k]  # c from (b == 1, b == 0)
    return LstmWeights(kernel, np.zeros((1, 4)), bias, np.array([[-10.0, 10.0]]), np.zeros(2), units=1)


def test_a_model_that_knows_parity_scores_exactly_one_and_its_inverse_zero(tmp_path):
    generate_set(tmp_path / "heldout", 50, 30, 0, parity.STREAM_HELDOUT, min_len=1)
    data = ParitySet(tmp_path / "heldout")
    right = evaluate.evaluate_set(parity_weights(), data)
    assert {k: right.section[k] for k in ("accuracy", "step_accuracy", "length", "count")} == \
        {"accuracy": 1.0, "step_accuracy": 1.0, "length": 30, "count": 50}
    assert right.section["confidence"] > 0.98 and right.errors == 0
    wrong = evaluate.evaluate_set(inverted(parity_weights()), data)
    assert (wrong.section["accuracy"], wrong.section["step_accuracy"], wrong.errors) == (0.0, 0.0, 50)


def test_heldout_of_varying_lengths_reports_buckets(tmp_path):
    """A model right exactly where a sequence's last bit is its parity: each bucket's accuracy, and the
    step accuracy, are those counted from the bits."""
    generate_set(tmp_path / "heldout", 300, 20, 0, parity.STREAM_HELDOUT, min_len=1)
    data = ParitySet(tmp_path / "heldout")
    bits, targets = np.load(data.bits.path), np.load(data.targets.path)
    lengths = parity.sequence_lengths(bits)
    correct = parity.last_steps(bits, lengths) == parity.last_steps(targets, lengths)
    result = evaluate.evaluate_set(last_bit_weights(), data)
    section = result.section
    assert section["min_length"] == 1 and section["length"] == 20 and section["count"] == 300
    assert section["accuracy"] == rounded(correct.mean()) and result.errors == int((~correct).sum())
    real = bits != parity.PAD
    assert section["step_accuracy"] == rounded((bits == targets)[real].mean())
    assert list(section["buckets"]) == ["1-4", "5-8", "9-12", "13-16", "17-20"]
    assert [(b.low, b.high) for b in result.buckets] == [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20)]
    for bucket in result.buckets:
        inside = (lengths >= bucket.low) & (lengths <= bucket.high)
        assert (bucket.count, bucket.accuracy, bucket.errors) == \
            (int(inside.sum()), rounded(correct[inside].mean()), int((~correct[inside]).sum()))
        assert section["buckets"][f"{bucket.low}-{bucket.high}"] == {"accuracy": bucket.accuracy,
                                                                     "count": bucket.count}
    rows = evaluate.by_length({"heldout": result, "length_100": evaluate.set_result(
        np.ones(4, bool), np.full(4, 0.9), np.full(4, 100), 400, 400, 100)})
    assert [row["length"] for row in rows] == [2.5, 6.5, 10.5, 14.5, 18.5, 100]
    # DVC's plots read a file's rows only when every row has the same keys: a bucket's as a whole set's
    from dvc.render.converter.vega import get_datapoints

    assert get_datapoints({"accuracy_by_length": rows}) == rows


def test_figures_are_the_models_answers_in_any_blocks_of_rows(tmp_path, monkeypatch):
    """Blocks of rows (the last one short) give the figures a whole-set run gives: the final answer at
    each row's last bit and the right steps, from forward's probabilities."""
    generate_set(tmp_path / "heldout", 40, 60, 0, parity.STREAM_HELDOUT, min_len=5)
    data = ParitySet(tmp_path / "heldout")
    weights = random_weights(4, 1.5, seed=0)
    bits, targets = np.load(data.bits.path), np.load(data.targets.path)
    probabilities, _ = step_probabilities(weights, bits)
    lengths = parity.sequence_lengths(bits)
    final = parity.last_steps(probabilities, lengths)
    expected = evaluate.set_result(answer_correct(final, parity.last_steps(targets, lengths)),
                                   answer_confidence(final), lengths, *step_correct(probabilities, targets), 60)
    whole = evaluate.evaluate_set(weights, data)
    assert whole == expected
    monkeypatch.setattr(evaluate, "ROWS_PER_BLOCK", 7)
    assert evaluate.evaluate_set(weights, data) == expected


def test_length_buckets_cover_the_range():
    assert evaluate.length_buckets(1, 50) == [(1, 10), (11, 20), (21, 30), (31, 40), (41, 50)]
    assert evaluate.length_buckets(3, 5) == [(3, 3), (4, 4), (5, 5)]


def test_trained_model_is_evaluated_on_every_set(tiny_run, tmp_path):
    weights = read_weights(tiny_run / "a/model.keras")
    generate_set(tmp_path / "heldout", 40, 8, 0, parity.STREAM_HELDOUT)
    generate_lengths(tmp_path / "lengths", (30, 333), 40, 0)
    results = evaluate.evaluate_all(weights, tmp_path / "heldout", tmp_path / "lengths", (30, 333))
    assert list(results) == ["heldout", "length_30", "length_333"]
    assert results["length_333"].section["length"] == 333 and results["length_333"].section["count"] == 40
    for result in results.values():
        assert 0 <= result.section["accuracy"] <= 1 and 0.5 <= result.section["confidence"] <= 1
    assert [row["length"] for row in evaluate.by_length(results)] == [8, 30, 333]


def test_one_builder_makes_every_sets_figures():
    correct = np.array([True, True, False, True])
    result = evaluate.set_result(correct, np.array([0.9, 0.8, 0.6, 0.7], np.float32), np.array([3, 3, 3, 3]), 10, 12, 3)
    assert result.section == {"accuracy": 0.75, "step_accuracy": 0.833333, "confidence": 0.75, "length": 3, "count": 4}
    assert result.errors == 1 and result.buckets == []
    varying = evaluate.set_result(correct, np.full(4, 0.9), np.array([1, 2, 3, 4]), 9, 10, 4)
    assert varying.section["min_length"] == 1 and varying.errors == 1
    assert [(b.low, b.high, b.count, b.errors) for b in varying.buckets] == [(1, 1, 1, 0), (2, 2, 1, 0), (3, 3, 1, 1),
                                                                             (4, 4, 1, 0)]


def test_damaged_targets_are_refused_naming_the_file(tmp_path, monkeypatch):
    """Targets that are not the running parity of the bits stop the evaluation with the file's name and the
    row's number in the file, whichever block of rows it falls in (the parity is carried along the bits)."""
    generate_lengths(tmp_path / "lengths", (40,), 10, 0)
    folder = tmp_path / "lengths/40"
    targets = np.load(folder / "targets.npy")
    targets[3, 25] ^= 1
    np.save(folder / "targets.npy", targets)
    with pytest.raises(DataError, match=r"targets\.npy: the targets of row 3 are not the running parity of its bits"):
        evaluate.evaluate_set(parity_weights(), ParitySet(folder))
    monkeypatch.setattr(evaluate, "ROWS_PER_BLOCK", 2)
    with pytest.raises(DataError, match=r"targets\.npy: the targets of row 3 are not the running parity of its bits"):
        evaluate.evaluate_set(parity_weights(), ParitySet(folder))
