"""inference's guarantees, without Keras: speculation gives the sequential run's states and counts bit for
bit, whether its guesses are right (a model that forgets) or all wrong (chaotic weights); evaluate_columns
gives the same answers in any segments and checks what it reads; one long sequence gets its parity; the
recorded trajectories are forward's states. The weights are test_forward's: written down, not trained."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import forward, inference
from lstm_parity.forward import State
from lstm_parity.keras_file import LstmWeights
from lstm_parity.parity import PAD, random_bits, running_parity
from tests.unit.test_forward import assert_same_state, padded, parity_weights, random_weights


@pytest.fixture(scope="module")
def weights() -> LstmWeights:
    """The parity model: forgets all but the parity within a few steps, so guessed states are right."""
    return parity_weights()


def sequential(weights: LstmWeights, bits: np.ndarray) -> State:
    """The final state of a plain run, one step after another, no pieces."""
    return inference._advance(weights, bits, forward.zero_state(len(bits), weights.units),
                              np.zeros(len(bits), np.uint8), None, pieces=1)[0]


@pytest.fixture
def reruns(monkeypatch) -> list[int]:
    """The pieces speculation reruns from their true state (a spy: the runs happen as they would)."""
    runs: list[int] = []

    def run_counting(weights, bits, start, targets):
        runs.append(len(bits))
        return forward.run_counting(weights, bits, start, targets)

    monkeypatch.setattr(inference, "run_counting", run_counting)
    return runs


@pytest.mark.parametrize("name", ["parity", "random"])
def test_speculation_gives_the_sequential_state(name, reruns):
    """30,000 bits of one sequence cut into pieces (as many as the batch takes, or 7): the final state is
    the plain run's bit for bit; for the parity model, which forgets, with no piece run twice (the speed
    speculation is for)."""
    weights = parity_weights() if name == "parity" else random_weights(4, 1.0, seed=1)
    bits = np.random.default_rng(1).integers(0, 2, 30_000, dtype=np.uint8)
    expected = sequential(weights, bits[None])
    for pieces in (None, 7, 29):
        reruns.clear()
        assert_same_state(inference.final_state(weights, bits, pieces), expected)
        if name == "parity":
            assert reruns == []  # every guess was right: nothing run twice


@pytest.mark.parametrize(("units", "seed"), [(2, 0), (4, 1), (7, 0)])
def test_speculation_is_exact_when_every_guess_is_wrong(units, seed, reruns):
    """Chaotic weights (seeds where no piece's guess is right; a 1-unit LSTM contracts to the same state
    from any guess at every seed tried): each piece is rerun, one after another, and the answer is exact."""
    weights = random_weights(units, 3.0, seed=seed)
    bits = np.random.default_rng(2).integers(0, 2, 3000, dtype=np.uint8)
    expected = sequential(weights, bits[None])
    reruns.clear()
    assert_same_state(inference.final_state(weights, bits, pieces=10), expected)
    assert reruns == [1] * 9  # each piece after the first, rerun from the true state


def test_speculation_counts_right_steps_exactly(weights, monkeypatch):
    """Rows of many lengths, PAD inside, one row with its targets inverted after 1,000 steps (the model is
    then wrong at every step), pieces of 100 to 300 columns, some of PAD only: counts as a sequential
    run's, and the sequential run's are the model's."""
    rng = np.random.default_rng(3)
    bits = padded(rng, 12, 4000)
    bits[2] = rng.integers(0, 2, 4000)
    targets = running_parity(bits)
    targets[2, 1000:] = 1 - targets[2, 1000:]
    start = forward.zero_state(12, 4)
    parity = np.zeros(12, np.uint8)
    state, correct = inference._advance(weights, bits, start, parity, targets, pieces=1)
    monkeypatch.setattr(inference, "WARMUP", 64)
    for pieces in (13, 40):
        speculative, counted = inference._advance(weights, bits, start, parity, targets, pieces=pieces)
        assert_same_state(speculative, state)
        np.testing.assert_array_equal(counted, correct)
    assert correct[0] == 4000 and correct[2] == 1000  # right throughout; right until its targets turn
    np.testing.assert_array_equal(np.delete(correct, 2), np.delete(np.count_nonzero(bits != PAD, axis=1), 2))


def test_speculation_counts_exactly_when_guesses_are_wrong(monkeypatch, reruns):
    """Chaotic weights, padded rows: the counts of right steps of rerun pieces replace the guessed ones."""
    weights = random_weights(4, 3.0, seed=1)
    bits = padded(np.random.default_rng(4), 5, 2000)
    targets = running_parity(bits)
    start, parity = forward.zero_state(5, 4), np.zeros(5, np.uint8)
    state, correct = inference._advance(weights, bits, start, parity, targets, pieces=1)
    monkeypatch.setattr(inference, "WARMUP", 32)
    reruns.clear()
    speculative, counted = inference._advance(weights, bits, start, parity, targets, pieces=16)
    with_bits = (inference._cut(bits, 16, 125)[1:] != PAD).any(axis=2)
    assert sum(reruns) == with_bits.sum()  # every piece after a row's first, but those of PAD only, rerun
    assert_same_state(speculative, state)
    np.testing.assert_array_equal(counted, correct)


def test_pieces_are_long_enough_and_fill_the_batch():
    assert inference._pieces_per_row(1, 10 ** 6) == 10 ** 6 // (inference.MIN_PIECE_WARMUPS * inference.WARMUP)
    assert inference._pieces_per_row(2, 10 ** 9) == inference.TARGET_BATCH // 2
    assert inference._pieces_per_row(10 ** 5, 10 ** 9) == 1  # rows enough to fill the batch: no pieces
    assert inference._pieces_per_row(1, 500) == 1  # too short to be worth a warm-up
    assert inference.default_segment_steps(1) == inference.SEGMENT_BITS
    assert inference.default_segment_steps(10 ** 6) == inference.MIN_PIECE_WARMUPS * inference.WARMUP


def test_guesses_carry_the_parity_before_each_warmup():
    """Each piece but the first runs from zeros: a 1 if the row's parity before its warm-up is odd, then
    the warm-up, the last bits of the piece before; the first piece runs nothing (PAD)."""
    bits = np.array([[1, 0, 1, 0, 0, 1, 1, 1, 0]], np.uint8)
    by_piece = inference._cut(bits, 3, 3)
    np.testing.assert_array_equal(by_piece[:, 0], [[1, 0, 1], [0, 0, 1], [1, 1, 0]])
    guesses = inference._guesses(by_piece, np.array([0], np.uint8), warm=2)
    # piece 1's warm-up (0, 1) follows "1": odd; piece 2's (0, 1) follows "1 0 1 0": even
    np.testing.assert_array_equal(guesses, [[PAD, PAD, PAD], [1, 0, 1], [PAD, 0, 1]])
    np.testing.assert_array_equal(inference._cut(bits, 2, 5)[1, 0], [1, 1, 1, 0, PAD])  # the last piece padded


@pytest.mark.parametrize("segment_steps", [None, 1, 37, 1000])
def test_evaluate_columns_in_any_segments(weights, segment_steps, monkeypatch):
    monkeypatch.setattr(inference, "WARMUP", 32)
    bits = padded(np.random.default_rng(7), 10, 2500)
    probabilities, _ = forward.step_probabilities(weights, bits)
    targets = running_parity(bits)
    real = bits != PAD
    result = inference.evaluate_columns(weights, lambda a, b: bits[:, a:b], 10, 2500, segment_steps)
    np.testing.assert_array_equal(result["final_probabilities"], probabilities[:, -1])
    np.testing.assert_array_equal(result["step_correct"], ((probabilities.argmax(-1) == targets) & real).sum(axis=1))
    np.testing.assert_array_equal(result["steps"], real.sum(axis=1))
    np.testing.assert_array_equal(result["final_targets"], bits.sum(axis=1, where=real) % 2)
    np.testing.assert_array_equal(result["step_correct"], result["steps"])  # the parity model: always right


def test_evaluate_columns_of_chaotic_weights_in_segments(monkeypatch):
    """Where no guess is right, segments and pieces still give the plain run's answers."""
    monkeypatch.setattr(inference, "WARMUP", 32)
    weights = random_weights(4, 3.0, seed=5)
    bits = padded(np.random.default_rng(5), 3, 1500)
    probabilities, _ = forward.step_probabilities(weights, bits)
    real = bits != PAD
    result = inference.evaluate_columns(weights, lambda a, b: bits[:, a:b], 3, 1500, 700)
    np.testing.assert_array_equal(result["final_probabilities"], probabilities[:, -1])
    np.testing.assert_array_equal(result["step_correct"],
                                  ((probabilities.argmax(-1) == running_parity(bits)) & real).sum(axis=1))


def test_evaluate_columns_checks_what_it_reads(weights):
    bits = padded(np.random.default_rng(8), 6, 100)
    targets = running_parity(bits)
    result = inference.evaluate_columns(weights, lambda a, b: (bits[:, a:b], targets[:, a:b]), 6, 100, 30)
    np.testing.assert_array_equal(result["steps"], np.count_nonzero(bits != PAD, axis=1))
    targets[4, 50] ^= 1
    with pytest.raises(inference.TargetsMismatch, match=r"columns 30\.\.60: targets of row 4 are not"):
        inference.evaluate_columns(weights, lambda a, b: (bits[:, a:b], targets[:, a:b]), 6, 100, 30)
    bits[2, 70] = 3
    with pytest.raises(inference.TargetsMismatch, match="values other than 0, 1 and PAD"):
        inference.evaluate_columns(weights, lambda a, b: bits[:, a:b], 6, 100, 30)
    with pytest.raises(ValueError, match=r"expected shape \(6, 30\)"):
        inference.evaluate_columns(weights, lambda a, b: bits[:5, a:b], 6, 100, 30)
    with pytest.raises(ValueError, match="segment_steps must be positive"):
        inference.evaluate_columns(weights, lambda a, b: bits[:, a:b], 6, 100, 0)


def test_evaluate_columns_of_no_rows(weights):
    result = inference.evaluate_columns(weights, lambda a, b: np.zeros((0, b - a), np.uint8), 0, 100)
    assert result["final_probabilities"].shape == (0, 2) and result["steps"].shape == (0,)
    assert result["step_correct"].shape == result["final_targets"].shape == (0,)


def test_carried_parity_is_the_running_parity_split_anywhere():
    bits = padded(np.random.default_rng(9), 23, 45)
    carry = np.zeros(23, np.uint8)
    pieces = []
    for start, stop in ((0, 7), (7, 8), (8, 40), (40, 45)):
        targets, carry = inference.carried_parity(bits[:, start:stop], carry)
        pieces.append(targets)
    np.testing.assert_array_equal(np.concatenate(pieces, axis=1), running_parity(bits))
    np.testing.assert_array_equal(carry, np.count_nonzero(bits == 1, axis=1) % 2)


def test_final_probabilities_of_one_long_sequence(weights):
    """The default path for one long sequence (speculation; its exactness is tested above): the answer."""
    bits = np.random.default_rng(9).integers(0, 2, 200_000, dtype=np.uint8)
    probabilities = inference.final_probabilities(weights, bits)
    assert probabilities.shape == (2,) and probabilities.dtype == np.float32
    assert probabilities.argmax() == bits.sum() % 2 and probabilities.max() > 0.99
    assert inference.final_probabilities(weights, np.array([1, 0, 1, 1, 0, 0, 1])).argmax() == 0  # any integers
    empty = inference.final_probabilities(weights, np.zeros(0, np.uint8))
    np.testing.assert_array_equal(empty, forward.readout(weights, np.zeros(4, np.float32)))


def test_one_sequence_is_checked(weights):
    with pytest.raises(ValueError, match="got dtype float64"):
        inference.final_probabilities(weights, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="one sequence"):
        inference.final_state(weights, np.zeros((2, 3), np.uint8))
    with pytest.raises(ValueError, match=r"found 0\.\.7"):
        inference.final_probabilities(weights, np.array([0, 1, 7]))


def test_last_probabilities_are_the_answers_after_each_rows_last_bit():
    weights = random_weights(4, 1.5, seed=10)
    bits = padded(np.random.default_rng(10), 9, 400)
    bits[5] = PAD  # a row of no bits: the zero state's answer
    probabilities, _ = forward.step_probabilities(weights, bits)
    last = inference.last_probabilities(weights, bits)
    np.testing.assert_array_equal(last, probabilities[:, -1])
    np.testing.assert_array_equal(last[5], forward.readout(weights, np.zeros(4, np.float32)))


def test_recorded_trajectories_are_forwards_states():
    weights = random_weights(3, 1.5, seed=11)
    bits = np.random.default_rng(11).integers(0, 2, (6, 40), dtype=np.uint8)
    trajectories = inference.record_trajectories(weights, bits)
    hidden, cell, _ = forward.record_states(weights, bits)
    probabilities, _ = forward.step_probabilities(weights, bits)
    np.testing.assert_array_equal(trajectories.bits, bits)
    np.testing.assert_array_equal(trajectories.parity, running_parity(bits))
    np.testing.assert_array_equal(trajectories.hidden, hidden)
    np.testing.assert_array_equal(trajectories.cell, cell)
    np.testing.assert_array_equal(trajectories.predicted, probabilities.argmax(-1))
    assert trajectories.predicted.dtype == np.uint8 and trajectories.states.shape == (6, 40, 6)
    one = inference.record_trajectories(weights, bits[2])  # one sequence, as a row
    np.testing.assert_array_equal(one.hidden, hidden[2:3])


def test_random_trajectories_are_of_random_bits_from_the_generator():
    weights = random_weights(2, 1.5, seed=12)
    trajectories = inference.random_trajectories(weights, 5, 30, np.random.default_rng(12))
    np.testing.assert_array_equal(trajectories.bits, random_bits(5, 30, np.random.default_rng(12)))
    again = inference.random_trajectories(weights, 5, 30, np.random.default_rng(12))
    np.testing.assert_array_equal(again.hidden, trajectories.hidden)
    assert trajectories.hidden.shape == (5, 30, 2)
