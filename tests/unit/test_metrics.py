"""The one definition of each reported figure."""
from __future__ import annotations

import numpy as np

from lstm_parity.metrics import (
    answer_confidence,
    answer_correct,
    final_step_confidence,
    final_step_correct,
    rounded,
    step_correct,
)
from lstm_parity.parity import PAD, pad_after, running_parity, sequence_lengths


def answers(targets: np.ndarray, sure: float = 0.9) -> np.ndarray:
    """Probabilities that pick `targets` with probability `sure` at every step."""
    odd = np.where(targets == 1, sure, 1 - sure)
    return np.stack([1 - odd, odd], axis=-1).astype(np.float32)


def test_final_step_is_each_sequence_own_last_bit():
    bits = pad_after(np.array([[1, 1, 1, 0], [1, 0, 1, 1]], np.uint8), np.array([2, 4]))
    targets = running_parity(bits)
    probabilities = answers(np.where(targets == PAD, 0, targets))
    probabilities[0, 3] = [0.0, 1.0]  # a wrong answer on padding does not count
    lengths = sequence_lengths(bits)
    assert final_step_correct(probabilities, targets, lengths).tolist() == [True, True]
    probabilities[1, 3] = [0.7, 0.3]  # the last bit of the second sequence, answered wrong
    assert final_step_correct(probabilities, targets, lengths).tolist() == [True, False]
    np.testing.assert_allclose(final_step_confidence(probabilities, lengths), [0.9, 0.7], rtol=1e-6)


def test_step_accuracy_counts_every_real_position():
    bits = pad_after(np.ones((2, 5), np.uint8), np.array([5, 3]))
    targets = running_parity(bits)
    probabilities = answers(np.where(targets == PAD, 0, targets))
    probabilities[0, 0] = probabilities[0, 0, ::-1]
    assert step_correct(probabilities, targets) == (7, 8)


def test_rounding_keeps_six_digits_and_none():
    assert rounded(0.12345678) == 0.123457 and rounded(None) is None and rounded(np.float32(0.5)) == 0.5


def test_answers_are_read_from_final_probabilities():
    final = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], np.float32)
    assert answer_correct(final, np.array([0, 1, 1])).tolist() == [True, True, False]
    np.testing.assert_allclose(answer_confidence(final), [0.9, 0.8, 0.6])


def test_final_step_figures_are_the_answers_at_each_last_bit():
    bits = pad_after(np.random.default_rng(5).integers(0, 2, (6, 7), dtype=np.uint8), np.array([7, 3, 1, 7, 5, 2]))
    targets = running_parity(bits)
    probabilities = np.random.default_rng(6).dirichlet([1, 1], size=(6, 7)).astype(np.float32)
    lengths = sequence_lengths(bits)
    last = probabilities[np.arange(6), lengths - 1]
    np.testing.assert_array_equal(final_step_correct(probabilities, targets, lengths),
                                  answer_correct(last, targets[np.arange(6), lengths - 1]))
    np.testing.assert_array_equal(final_step_confidence(probabilities, lengths), answer_confidence(last))
