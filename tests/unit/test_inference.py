"""Segment-wise evaluation gives the whole model's answers, on a real (random-weight) Keras model."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import inference
from lstm_parity.parity import PAD, pad_after, running_parity

COUNT, LENGTH, SEGMENT = 23, 45, 16  # segments that do not divide the length, with PAD filling the last


@pytest.fixture(scope="module")
def model():
    from lstm_parity.model import build_model, keras

    keras.utils.set_random_seed(3)
    return build_model(4)


@pytest.fixture(scope="module")
def padded_bits():
    """Random bits, most rows cut to a random length and padded with PAD; the first rows full."""
    rng = np.random.default_rng(0)
    bits = pad_after(rng.integers(0, 2, (COUNT, LENGTH), dtype=np.uint8), rng.integers(1, LENGTH + 1, COUNT))
    bits[:4] = rng.integers(0, 2, (4, LENGTH), dtype=np.uint8)
    return bits


def test_recorded_states_give_the_models_probabilities(model, padded_bits):
    expected = np.asarray(model.predict_on_batch(padded_bits))
    hidden, cell, state = inference.record_steps(model, padded_bits, inference.zero_state(COUNT, 4))
    probabilities = inference.step_probabilities(model, hidden)
    real = padded_bits != PAD
    np.testing.assert_allclose(probabilities[real], expected[real], atol=1e-5)
    assert hidden.shape == cell.shape == (COUNT, LENGTH, 4)
    np.testing.assert_array_equal(state.h, hidden[:, -1])  # carried unchanged over the padding


def test_segments_give_the_models_argmax_at_every_step(model, padded_bits):
    """With the model's own argmax as targets, every real step of every row must count as correct."""
    expected = np.asarray(model.predict_on_batch(padded_bits)).argmax(axis=-1).astype(np.uint8)
    expected[padded_bits == PAD] = PAD
    count = inference.segment_counter(model)
    state = inference.zero_state(COUNT, 4)
    correct = np.zeros(COUNT, np.int64)
    for start in range(0, 48, SEGMENT):
        segment = slice(start, start + SEGMENT)
        wide = np.full((COUNT, 48), PAD, np.uint8)
        wide_targets = wide.copy()
        wide[:, :LENGTH], wide_targets[:, :LENGTH] = padded_bits, expected
        step_correct, state = count(wide[:, segment], wide_targets[:, segment], state)
        correct += step_correct
    np.testing.assert_array_equal(correct, np.count_nonzero(padded_bits != PAD, axis=1))


def test_evaluate_columns_matches_whole_sequences(model, padded_bits):
    probabilities = np.asarray(model.predict_on_batch(padded_bits))
    targets = running_parity(padded_bits)
    real = padded_bits != PAD
    lengths = real.sum(axis=1)
    result = inference.evaluate_columns(model, lambda a, b: padded_bits[:, a:b], COUNT, LENGTH, SEGMENT)
    np.testing.assert_allclose(result["final_probabilities"], probabilities[np.arange(COUNT), lengths - 1], atol=1e-5)
    np.testing.assert_array_equal(result["final_targets"], targets[np.arange(COUNT), lengths - 1])
    np.testing.assert_array_equal(result["step_correct"], ((probabilities.argmax(-1) == targets) & real).sum(axis=1))
    np.testing.assert_array_equal(result["steps"], lengths)


def test_given_targets_are_checked(model, padded_bits):
    targets = running_parity(padded_bits)
    result = inference.evaluate_columns(model, lambda a, b: (padded_bits[:, a:b], targets[:, a:b]),
                                        COUNT, LENGTH, SEGMENT)
    assert result["steps"].sum() == np.count_nonzero(padded_bits != PAD)
    targets[5, 30] ^= 1 if targets[5, 30] != PAD else 0
    targets[0, 20] ^= 1
    with pytest.raises(ValueError, match="row 0 are not the running parity"):
        inference.evaluate_columns(model, lambda a, b: (padded_bits[:, a:b], targets[:, a:b]), COUNT, LENGTH, SEGMENT)


def test_carried_parity_is_the_running_parity_split_anywhere(padded_bits):
    carry = np.zeros(COUNT, np.uint8)
    pieces = []
    for start, stop in ((0, 7), (7, 8), (8, 40), (40, LENGTH)):
        targets, carry = inference.carried_parity(padded_bits[:, start:stop], carry)
        pieces.append(targets)
    np.testing.assert_array_equal(np.concatenate(pieces, axis=1), running_parity(padded_bits))


def test_final_probabilities_agree_below_and_above_the_long_threshold(model, monkeypatch):
    bits = np.random.default_rng(5).integers(0, 2, 300, dtype=np.uint8)
    short_path = inference.final_probabilities(model, bits)
    monkeypatch.setattr(inference, "LONG_LENGTH", 100)
    np.testing.assert_allclose(inference.final_probabilities(model, bits), short_path, atol=1e-5)
