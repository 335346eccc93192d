"""The parity model's forward pass in numpy: one LSTM cell, for every batch, length and caller (evaluation,
prediction, the states explain records, and the validation checks of training), without TensorFlow.

The model (lstm_parity.keras_file) reads bits b, encodes each as the pair (b == 1, b == 0), runs a Keras LSTM
over them and reads out Dense(2, softmax) at every step; PAD (2) is masked, so the state is carried across
it unchanged. Here the same arithmetic runs in numpy, in Keras's order of operations (LSTMCell, fused
implementation 2): z = x @ W + h @ U + b, split into gates i, f, c, o; c' = f * c + i * tanh(g);
h' = o * tanh(c'), with tanh and sigmoid as TensorFlow computes them (lstm_parity.eigen): the LSTM's states
come out bit for bit equal to Keras's for this project's model (4 units, where numpy's matmul also sums as
TensorFlow's). Probabilities differ from Keras's by an ulp or so: TensorFlow's softmax multiplies by a
hardware reciprocal estimate that numpy cannot reproduce portably.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_parity.eigen import KerasSigmoid, KerasTanh, f32
from lstm_parity.keras_file import LstmWeights
from lstm_parity.parity import PAD


@dataclass(frozen=True)
class State:
    """The LSTM's hidden and cell state, (batch, units) float32 each."""
    h: np.ndarray
    c: np.ndarray


def zero_state(batch: int, units: int) -> State:
    """The state the model starts every sequence from (Keras's default initial state)."""
    return State(np.zeros((batch, units), f32), np.zeros((batch, units), f32))


class Cell:
    """The LSTM cell for one batch size, its weights rearranged once and its buffers allocated once, so a
    step is a fixed sequence of numpy calls (~70) writing into place.

    Arrays are gate-major, transposed from Keras's: the state is (units, batch) and the gates (4 units,
    batch), so each gate is one contiguous block (numpy runs 5-7x slower on the strided columns of a
    (batch, 4 units) array) and z^T = U^T h^T sums each element in the same order as h @ U (checked for
    up to 6 units, where it equals TensorFlow's)."""

    def __init__(self, weights: LstmWeights, batch: int) -> None:
        u = weights.units
        self.units, self.batch = u, batch
        # A one-column matmul goes to BLAS's gemv, whose sums round unlike gemm's: two columns at least keep
        # each row's arithmetic independent of the batch size (and, for up to 5 units, equal to TensorFlow's).
        self.rows = rows = max(batch, 2)
        # Gates reordered from Keras's i, f, c, o to i, f, o, g: the three sigmoid gates side by side.
        order = np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]
        kernel = weights.kernel[:, order]
        # x @ W for the one-hot pairs of bit 0 (0, 1), bit 1 (1, 0) and PAD (0, 0) is a row of W, exactly:
        # the product is looked up by bit value, a column of this table.
        self.inputs = np.ascontiguousarray(np.stack([kernel[1], kernel[0], np.zeros(4 * u, f32)], axis=1))
        self.recurrent = np.ascontiguousarray(weights.recurrent_kernel[:, order].T)  # (4u, u)
        self.bias = weights.bias[order][:, None]
        self.z, self.hu = np.empty((4 * u, rows), f32), np.empty((4 * u, rows), f32)
        self.h, self.c = np.zeros((u, rows), f32), np.zeros((u, rows), f32)
        self.h_new, self.c_new, self.tmp = (np.empty((u, rows), f32) for _ in range(3))
        self.keep = np.empty((1, rows), bool)
        # Counting right answers as the steps go (see _count): the readout's logit difference and its bound.
        self.readout_weights = weights
        self.difference = (weights.dense_kernel[:, 1] - weights.dense_kernel[:, 0])[None, :]  # (1, u)
        self.difference_bias = f32(weights.dense_bias[1] - weights.dense_bias[0])
        largest_logit = float(np.abs(weights.dense_kernel).sum(axis=0).max() + np.abs(weights.dense_bias).max())
        self.margin = np.full((1, rows), _decision_margin(u, largest_logit), f32)
        self.d, self.d_abs = np.empty((1, rows), f32), np.empty((1, rows), f32)
        self.hit, self.unsure = np.empty((1, rows), bool), np.empty((1, rows), bool)
        z = self.z
        self.i, self.f, self.o, self.g, self.sigmoid_gates = z[:u], z[u:2 * u], z[2 * u:3 * u], z[3 * u:], z[:3 * u]
        self._sigmoid, self._tanh = KerasSigmoid((3 * u, rows)), KerasTanh((u, rows))

    def set_state(self, state: State) -> None:
        self.h[:, :self.batch], self.c[:, :self.batch] = state.h.T, state.c.T
        if self.batch:
            self.h[:, self.batch:], self.c[:, self.batch:] = state.h[:1].T, state.c[:1].T  # spare columns: row 0

    def state(self) -> State:
        """A copy of the state, (batch, units): never a view of the buffers the next run overwrites (for one
        unit, ascontiguousarray of the transpose would be one)."""
        return State(self.h[:, :self.batch].T.copy(), self.c[:, :self.batch].T.copy())

    def _activate(self) -> None:
        self._sigmoid(self.sigmoid_gates, self.sigmoid_gates)
        self._tanh(self.g, self.g)

    def run(self, bits: np.ndarray, hidden: np.ndarray | None = None, cell: np.ndarray | None = None,
            targets: np.ndarray | None = None) -> np.ndarray | None:
        """Advance the state over (batch, time) bits of 0, 1 and PAD, in place; hidden and cell, when
        given as (units, time, batch) arrays, receive the state after every step. With (batch, time)
        targets, returns each row's count of steps whose readout argmax equals them (PAD never does)."""
        if not self.batch:  # no rows: nothing to run (the spare columns copy a first row)
            return None if targets is None else np.zeros(0, np.int64)
        columns = self._columns(bits)
        target_columns = None if targets is None else self._columns(targets)
        correct = None if targets is None else np.zeros((1, self.rows), np.int64)
        padded_steps = (columns == PAD).any(axis=1).tolist()
        z, hu, h, c, tmp, batch = self.z, self.hu, self.h, self.c, self.tmp, self.batch
        i, f, o, g = self.i, self.f, self.o, self.g
        inputs, recurrent, bias = self.inputs, self.recurrent, self.bias
        activate, tanh_into = self._activate, self._tanh
        take, matmul, add, multiply, copyto = np.take, np.matmul, np.add, np.multiply, np.copyto
        for t, padded in enumerate(padded_steps):
            column = columns[t]
            take(inputs, column, axis=1, out=z)  # x @ W
            matmul(recurrent, h, out=hu)
            add(z, hu, out=z)  # (x @ W + h @ U) + b: Keras's order of additions
            add(z, bias, out=z)
            activate()
            if padded:  # columns at PAD keep their state: the new one goes to spare buffers first
                h_new, c_new = self.h_new, self.c_new
                multiply(f, c, out=c_new)
            else:
                h_new, c_new = h, c
                multiply(f, c, out=c)
            multiply(i, g, out=tmp)
            add(c_new, tmp, out=c_new)  # c' = f c + i g
            tanh_into(c_new, h_new)
            multiply(o, h_new, out=h_new)  # h' = o tanh(c')
            if padded:
                np.not_equal(column[None, :], PAD, out=self.keep)
                copyto(h, h_new, where=self.keep)
                copyto(c, c_new, where=self.keep)
            if hidden is not None:
                hidden[:, t] = h[:, :batch]
            if cell is not None:
                cell[:, t] = c[:, :batch]
            if correct is not None:
                self._count(target_columns[t], correct)
        return None if correct is None else correct[0, :batch]

    def _columns(self, rows: np.ndarray) -> np.ndarray:
        """(batch, time) -> (time, rows) contiguous, a step's column in one piece, spare columns as row 0."""
        columns = np.ascontiguousarray(rows.T)
        if self.rows > self.batch:
            columns = np.concatenate([columns, np.repeat(columns[:, :1], self.rows - self.batch, axis=1)], axis=1)
        return columns

    def _count(self, target: np.ndarray, correct: np.ndarray) -> None:
        """Add this step's right answers to `correct`. The answer is the sign of the logit difference
        d = h . (w1 - w0) + (b1 - b0), one small matmul a step instead of the readout's softmax; where d is
        within self.margin of 0 (rounding, or a tie in the softmax, could decide there) the softmax is
        computed exactly as readout() does, so counts always equal argmax(readout(h)) == target."""
        d, hit = self.d, self.hit
        np.matmul(self.difference, self.h, out=d)
        np.add(d, self.difference_bias, out=d)
        np.greater(d, 0, out=hit)
        np.equal(hit.view(np.uint8), target, out=hit)
        np.add(correct, hit, out=correct)
        np.absolute(d, out=self.d_abs)
        np.less(self.d_abs, self.margin, out=self.unsure)
        if self.unsure.any():
            unsure = np.flatnonzero(self.unsure[0])
            provisional = hit[0, unsure]
            exact = _predicted_t(self.readout_weights, self.h[:, unsure]) == target[unsure]
            correct[0, unsure] += exact.astype(np.int64) - provisional


def _decision_margin(units: int, largest_logit: float) -> float:
    """A bound on |d| below which the sign of the logit difference d may disagree with the readout's argmax:
    the rounding of the two logits and of d ((units + 1) roundings of values up to largest_logit each, as
    |h| <= 1), and the softmax's own ties (its probabilities can round equal for logits ~2^-24 apart);
    four times over."""
    return 4.0 * (2.0 ** -20 + 4 * (units + 1) * 2.0 ** -24 * (largest_logit + 1.0))


# The readout

def _probabilities_t(weights: LstmWeights, hidden_t: np.ndarray) -> np.ndarray:
    """The readout's probabilities (2, n) for hidden states given transposed, (units, n): Dense then softmax
    as TensorFlow orders it - exp of the logits less their maximum, times the reciprocal of their sum -
    on two contiguous rows (numpy's reductions along a length-2 axis are slow)."""
    logits = weights.dense_kernel.T @ hidden_t  # sums as (n, units) @ (units, 2) does (checked to 16 units)
    logits += weights.dense_bias[:, None]
    logits -= np.maximum(logits[0], logits[1])
    np.exp(logits, out=logits)
    logits *= f32(1) / (logits[0] + logits[1])
    return logits


def readout(weights: LstmWeights, hidden: np.ndarray) -> np.ndarray:
    """The Dense(2, softmax) readout's probabilities (..., 2) for hidden states (..., units), float32."""
    hidden = np.asarray(hidden, f32)
    flat = hidden.reshape(-1, weights.units)
    return _probabilities_t(weights, flat.T).T.reshape(*hidden.shape[:-1], 2)


def _predicted_t(weights: LstmWeights, hidden_t: np.ndarray) -> np.ndarray:
    """argmax of the readout (uint8, ties to 0 as numpy's argmax) for transposed hidden states (units, n)."""
    probabilities = _probabilities_t(weights, hidden_t)
    return np.greater(probabilities[1], probabilities[0]).view(np.uint8)


def check_bits(bits: np.ndarray) -> np.ndarray:
    """Bits as uint8, refused unless every value is 0, 1 or PAD."""
    bits = np.asarray(bits)
    if not np.issubdtype(bits.dtype, np.integer):
        raise ValueError(f"bits must be integers 0, 1 or PAD ({PAD}), got dtype {bits.dtype}")
    if bits.size and (bits.min() < 0 or bits.max() > PAD):
        raise ValueError(f"bits must be 0, 1 or PAD ({PAD}), found {bits.min()}..{bits.max()}")
    return bits.astype(np.uint8, copy=False)


def _start(state: State | None, batch: int, units: int) -> State:
    if state is None:
        return zero_state(batch, units)
    if state.h.shape != (batch, units) or state.c.shape != (batch, units):
        raise ValueError(f"state must be ({batch}, {units}) arrays, got {state.h.shape} and {state.c.shape}")
    return State(np.asarray(state.h, f32), np.asarray(state.c, f32))


# Whole batches

def record_states(weights: LstmWeights, bits: np.ndarray,
                  state: State | None = None) -> tuple[np.ndarray, np.ndarray, State]:
    """(hidden, cell, final state) for (batch, time) bits from `state` (default zeros): hidden and cell
    (batch, time, units) hold the state after every step (carried unchanged over PAD). For the short
    recordings an automaton is read from: memory grows with batch x time."""
    bits = check_bits(bits)
    if bits.ndim != 2:
        raise ValueError(f"bits must be (batch, time), got shape {bits.shape}")
    batch, time = bits.shape
    cell = Cell(weights, batch)
    cell.set_state(_start(state, batch, weights.units))
    hidden, cells = (np.empty((weights.units, time, batch), f32) for _ in range(2))
    cell.run(bits, hidden, cells)
    return (np.ascontiguousarray(hidden.transpose(2, 1, 0)), np.ascontiguousarray(cells.transpose(2, 1, 0)),
            cell.state())


def step_probabilities(weights: LstmWeights, bits: np.ndarray,
                       state: State | None = None) -> tuple[np.ndarray, State]:
    """(probabilities (batch, time, 2) float32, final state): the model's output at every step of padded
    (batch, time) bits, as Keras's predict_on_batch gives it (at PAD, the last real step's output)."""
    bits = check_bits(bits)
    if bits.ndim != 2:
        raise ValueError(f"bits must be (batch, time), got shape {bits.shape}")
    batch, time = bits.shape
    cell = Cell(weights, batch)
    cell.set_state(_start(state, batch, weights.units))
    hidden = np.empty((weights.units, time, batch), f32)
    cell.run(bits, hidden)
    probabilities = _probabilities_t(weights, hidden.reshape(weights.units, -1)).reshape(2, time, batch)
    return np.ascontiguousarray(probabilities.transpose(2, 1, 0)), cell.state()


def run_counting(weights: LstmWeights, bits: np.ndarray, start: State,
                 targets: np.ndarray | None) -> tuple[State, np.ndarray | None]:
    """Run rows of bits from `start`; with targets, count each row's steps whose argmax equals them
    (PAD targets never count)."""
    cell = Cell(weights, len(bits))
    cell.set_state(start)
    correct = cell.run(bits, targets=targets)
    return cell.state(), correct
