"""forward's own guarantees, without Keras: the cell is the LSTM's equations in Keras's gate order, PAD
carries the state wherever it is, batches and splits of a run change nothing, recorded states read out as
the probabilities, counts of right steps follow the readout's argmax even at a tie, bits are checked.
(That the arithmetic is Keras's is test_keras_equality's.)

The weights here are written down, not trained: random ones, and parity_weights, an LSTM that computes
parity exactly and forgets everything else at once, which the inference and evaluation tests use where
a model that has learned parity matters (the tiny model the tests train has not: ~50% at 8 bits).
"""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import forward
from lstm_parity.forward import Cell, State
from lstm_parity.keras_file import LstmWeights
from lstm_parity.parity import PAD, running_parity


def parity_weights(units: int = 4, seed: int = 0) -> LstmWeights:
    """An LSTM that computes parity, exactly and at any length. Unit 0 holds it as the sign of its cell
    state: gates saturated by weights of +-30 (input 1, forget 0 at bit 1; the reverse at bit 0; output 1),
    so a 0 keeps c and a 1 sets c = tanh(-40 (h - 0.38)) = +1 from h <= 0 (even parity, or the zero
    state) and -1 from h = tanh(1) (odd). The state after a 1 is exactly +-1 whatever came before, so the
    model forgets all but the parity within a few steps, as the trained one does within ~150. The readout's
    logit difference is 20 h - 4: odd at h = tanh(1) (p > 0.9999), even at 0 and -tanh(1). Units 1.. are
    random, fed by the bits and unit 0, and forget fast (forget bias -4), so the state is not trivial."""
    k, m, u = 30.0, 40.0, units
    i, f, g, o = 0, u, 2 * u, 3 * u  # Keras's gate order along 4 * units
    rng = np.random.default_rng(seed)
    kernel = np.zeros((2, 4 * u))  # row 0 multiplies (b == 1), row 1 (b == 0)
    recurrent, bias = np.zeros((u, 4 * u)), np.zeros(4 * u)
    kernel[:, i], kernel[:, f] = [k, -k], [-k, k]
    recurrent[0, g], bias[g] = -m, 0.38 * m
    bias[o] = k
    for gate in (i, g, o):
        kernel[:, gate + 1:gate + u] = rng.normal(0, 1, (2, u - 1))
    recurrent[:, g + 1:g + u] = rng.normal(0, 1, (u, u - 1))
    bias[f + 1:f + u] = -4.0
    dense = np.zeros((u, 2))
    dense[0] = [-10.0, 10.0]
    return LstmWeights(kernel, recurrent, bias, dense, np.array([2.0, -2.0]), units=u)


def random_weights(units: int, scale: float, seed: int) -> LstmWeights:
    """Weights of no trained model; at scale 3 the dynamics are chaotic: an ulp grows to 0.03 in ~30 steps."""
    rng = np.random.default_rng(seed)
    shapes = [(2, 4 * units), (units, 4 * units), (4 * units,), (units, 2), (2,)]
    return LstmWeights(*(rng.normal(0, scale, shape) for shape in shapes), units=units)


def padded(rng: np.random.Generator, count: int, length: int) -> np.ndarray:
    """Random bits, rows cut to random lengths (PAD after, some all PAD), row 0 full, row 1 with PAD
    inside (from column 5 to 900: the mask carries the state anywhere, not only at a row's end)."""
    bits = rng.integers(0, 2, (count, length), dtype=np.uint8)
    bits[np.arange(length) >= rng.integers(0, length + 1, count)[:, None]] = PAD
    bits[0] = rng.integers(0, 2, length)
    bits[1, 5:900] = PAD
    return bits


def assert_same_state(a: State, b: State) -> None:
    np.testing.assert_array_equal(a.h, b.h)
    np.testing.assert_array_equal(a.c, b.c)


@pytest.fixture(scope="module")
def weights() -> LstmWeights:
    return random_weights(4, 1.5, seed=0)


def test_a_step_is_the_lstm_cell_in_keras_gate_order(weights):
    """One step from a random state, against the LSTM's equations in float64 (gates i, f, c, o along
    4 * units, input pair (b == 1, b == 0)): the cell reads Keras's weights the way Keras does."""
    rng = np.random.default_rng(1)
    start = State(rng.uniform(-1, 1, (6, 4)).astype(np.float32), rng.uniform(-2, 2, (6, 4)).astype(np.float32))
    bits = np.array([[0], [1], [0], [1], [1], [0]], np.uint8)
    hidden, cell, state = forward.record_states(weights, bits, start)

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    x = np.stack([bits[:, 0] == 1, bits[:, 0] == 0], axis=1).astype(np.float64)
    z = x @ weights.kernel + start.h.astype(np.float64) @ weights.recurrent_kernel + weights.bias
    i, f, g, o = np.split(z, 4, axis=1)
    c = sigmoid(f) * start.c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    np.testing.assert_allclose(cell[:, 0], c, atol=1e-5)
    np.testing.assert_allclose(hidden[:, 0], h, atol=1e-5)
    assert_same_state(state, State(hidden[:, 0], cell[:, 0]))
    logits = h @ weights.dense_kernel + weights.dense_bias
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(forward.readout(weights, hidden[:, 0]), softmax, atol=1e-6)


def test_parity_weights_compute_parity_at_every_step():
    """The written-down parity model the other tests rely on answers every real step right, surely."""
    bits = padded(np.random.default_rng(2), 50, 1000)
    probabilities, _ = forward.step_probabilities(parity_weights(), bits)
    real = bits != PAD
    np.testing.assert_array_equal(probabilities.argmax(-1)[real], running_parity(bits)[real])
    assert probabilities.max(-1)[real].min() > 0.98


def test_pad_carries_the_state_anywhere(weights):
    rng = np.random.default_rng(4)
    bits = rng.integers(0, 2, (5, 60), dtype=np.uint8)
    with_pad = np.insert(bits, [0, 0, 17, 17, 17, 60], PAD, axis=1)  # before, inside, after
    probabilities, state = forward.step_probabilities(weights, bits)
    padded_probabilities, padded_state = forward.step_probabilities(weights, with_pad)
    real = with_pad[0] != PAD
    np.testing.assert_array_equal(padded_probabilities[:, real], probabilities)
    np.testing.assert_array_equal(padded_probabilities[:, 19], probabilities[:, 16])  # PAD repeats the last output
    assert_same_state(padded_state, state)
    zero = forward.readout(weights, np.zeros((1, 4), np.float32))
    np.testing.assert_array_equal(padded_probabilities[:, 0], np.repeat(zero, 5, axis=0))


@pytest.mark.parametrize("units", [1, 4, 7])
def test_rows_compute_alike_in_any_batch_and_any_split(units):
    """A row's answers do not depend on the rows beside it (a batch of one too: numpy's one-column matmul
    sums differently, which the cell avoids), nor on where a run is split with the state carried."""
    weights = random_weights(units, 1.5, seed=units)
    bits = padded(np.random.default_rng(5), 9, 500)
    whole, state = forward.step_probabilities(weights, bits)
    for row in (0, 1, 8):
        alone, _ = forward.step_probabilities(weights, bits[row:row + 1])
        np.testing.assert_array_equal(alone, whole[row:row + 1])
    first, middle = forward.step_probabilities(weights, bits[:, :123])
    second, end = forward.step_probabilities(weights, bits[:, 123:], middle)
    np.testing.assert_array_equal(np.concatenate([first, second], axis=1), whole)
    assert_same_state(end, state)


def test_recorded_states_read_out_as_the_probabilities(weights):
    bits = padded(np.random.default_rng(6), 7, 300)
    hidden, cell, state = forward.record_states(weights, bits)
    probabilities, _ = forward.step_probabilities(weights, bits)
    assert hidden.shape == cell.shape == (7, 300, 4)
    np.testing.assert_array_equal(forward.readout(weights, hidden), probabilities)
    np.testing.assert_array_equal(state.h, hidden[:, -1])
    np.testing.assert_array_equal(state.c, cell[:, -1])


def test_a_cells_states_are_copies():
    """Cell.state() is never a view of the buffers the next run overwrites (for one unit, a transpose
    made contiguous would be one)."""
    weights = random_weights(1, 1.5, seed=7)
    bits = np.random.default_rng(7).integers(0, 2, (3, 20), dtype=np.uint8)
    cell = Cell(weights, 3)
    cell.set_state(forward.zero_state(3, 1))
    cell.run(bits)
    first = cell.state()
    kept = State(first.h.copy(), first.c.copy())
    cell.run(1 - bits)
    assert_same_state(first, kept)
    assert not np.array_equal(cell.state().c, kept.c)


def test_counts_are_the_argmax_against_the_targets():
    """run_counting counts each row's steps whose answer is the target, PAD never: with the parity model,
    every real step against the running parity and none against its inverse."""
    weights = parity_weights()
    bits = padded(np.random.default_rng(8), 12, 700)
    targets = running_parity(bits)
    start = forward.zero_state(12, 4)
    state, correct = forward.run_counting(weights, bits, start, targets)
    np.testing.assert_array_equal(correct, np.count_nonzero(bits != PAD, axis=1))
    _, wrong = forward.run_counting(weights, bits, start, np.where(targets == PAD, PAD, 1 - targets))
    np.testing.assert_array_equal(wrong, 0)
    no_counts_state, none = forward.run_counting(weights, bits, start, None)
    assert none is None
    assert_same_state(no_counts_state, state)


@pytest.mark.parametrize("gap", [0.0, 3e-8, 1e-6, 1e-4])
def test_counts_follow_the_readouts_argmax_where_it_is_nearly_a_tie(weights, gap):
    """A readout whose two logits are (nearly) equal: counting by the sign of their difference must fall
    back to the softmax there, ties going to 0 as argmax's do."""
    dense = np.array(weights.dense_kernel)
    dense[:, 1] = dense[:, 0] + gap * np.sign(weights.recurrent_kernel[:, 0])
    tied = LstmWeights(weights.kernel, weights.recurrent_kernel, weights.bias, dense,
                       np.array([0.5, 0.5], np.float32), units=4)
    bits = padded(np.random.default_rng(10), 6, 700)
    targets = running_parity(bits)
    probabilities, _ = forward.step_probabilities(tied, bits)
    expected = ((probabilities.argmax(-1) == targets) & (bits != PAD)).sum(axis=1)
    _, correct = forward.run_counting(tied, bits, forward.zero_state(6, 4), targets)
    np.testing.assert_array_equal(correct, expected)


def test_bits_are_checked(weights):
    with pytest.raises(ValueError, match=r"found 0\.\.3"):
        forward.step_probabilities(weights, np.array([[0, 1, 3]]))
    with pytest.raises(ValueError, match=r"found -1\.\.1"):
        forward.check_bits(np.array([[0, 1, -1]]))
    with pytest.raises(ValueError, match="got dtype float64"):
        forward.record_states(weights, np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"must be \(batch, time\)"):
        forward.step_probabilities(weights, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"state must be \(2, 4\) arrays"):
        forward.step_probabilities(weights, np.zeros((2, 3), np.uint8), forward.zero_state(3, 4))
    bits = np.array([[1, 0, 1, 1, 0, 0, 1]])
    assert forward.check_bits(bits).dtype == np.uint8
    np.testing.assert_array_equal(forward.step_probabilities(weights, bits.astype(np.int64))[0],
                                  forward.step_probabilities(weights, bits.astype(np.uint8))[0])


def test_empty_batches_and_sequences(weights):
    probabilities, state = forward.step_probabilities(weights, np.zeros((0, 5), np.uint8))
    assert probabilities.shape == (0, 5, 2) and state.h.shape == (0, 4)
    hidden, cell, state = forward.record_states(weights, np.zeros((3, 0), np.uint8))
    assert hidden.shape == cell.shape == (3, 0, 4)
    assert_same_state(state, forward.zero_state(3, 4))
    _, correct = forward.run_counting(weights, np.zeros((0, 5), np.uint8), forward.zero_state(0, 4),
                                      np.zeros((0, 5), np.uint8))
    assert correct.shape == (0,)
