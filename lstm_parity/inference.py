"""Evaluation at any length: long sequences run in segments across the whole batch, LSTM state carried.

`predict_on_batch` on a whole set holds a (count, length, 2) float32 output (16 GB for 2,000 sequences of
10^6 bits), and row chunks of a few sequences make each of the 10^6 steps pay Keras's per-step overhead for
a tiny batch. Here every sequence of a set runs at once, one segment of columns at a time: an XLA-compiled
loop over the segment's steps calls the trained model's own layers (BitPairs, the LSTM's cell, the Dense
readout) and returns only what the metrics need, the count of correct steps per sequence and the state
(h, c) to carry into the next segment. Memory is bound by count x segment_steps, not by the length.

PAD (2) keeps the state unchanged, as the LSTM's mask does in the whole model, so padded sets give the
same answers: each sequence's final answer is the readout of its state after its last real bit.

Column segments come from the caller: stages.evaluate reads them with ParitySet.columns (one seek and
one read per row and segment, so the set's bytes pass through the page cache, never the process's memory).
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lstm_parity.model import BitPairs, keras, model_layers
from lstm_parity.parity import PAD, random_bits, running_parity
from lstm_parity.states import Trajectories

# Steps written out per iteration of the compiled loop: fewer trips round the loop, a longer compile.
# Measured at 200 sequences on this 2-core machine: 1 -> ~37 us/step, 8 -> ~15 us/step, compile ~3 s.
UNROLL = 8
# Bits per segment (count x segment steps): segments this long make the per-segment cost (a read per
# row, a call into the compiled loop) negligible, while a segment's arrays stay a few tens of MB. Measured
# at 200 sequences and length 10^5 on this project's 2-core machine: 1024 to 8192 steps per segment run
# alike; from 32768 the time and the peak memory grow (750 MB at 8192, 890 MB at 32768, 1260 MB at 10^5).
SEGMENT_BITS = 200 * 8192


# Sets at least this long go through lstm_parity.inference.evaluate_columns. Measured at 2,000 sequences on
# this 2-core machine: predict_on_batch takes ~1.3 ms a step (1.2 s at length 1,000, 4.6 s at 3,000, 12.8 s
# at 10^4); the segments ~0.35 ms a step, after ~6.4 s of XLA compiling for the process's first (count,
# segment) shape. They break even near length 6,600; from 10^4 the segments win by more the longer the set,
# and below it predict_on_batch keeps the default lengths' metrics exactly as they were.
LONG_LENGTH = 10_000


def default_segment_steps(count: int) -> int:
    """Steps per segment for `count` sequences: SEGMENT_BITS in all, a multiple of UNROLL."""
    return max(UNROLL, SEGMENT_BITS // max(count, 1) // UNROLL * UNROLL)


class TargetsMismatch(ValueError):
    """Given targets that are not the running parity of the bits (a damaged data set)."""


ReadColumns = Callable[[int, int], "np.ndarray | tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class State:
    """The LSTM's hidden and cell state, (batch, units) float32 each."""
    h: np.ndarray
    c: np.ndarray


def zero_state(batch: int, units: int) -> State:
    """The state the model starts every sequence from (Keras's default initial state)."""
    return State(np.zeros((batch, units), np.float32), np.zeros((batch, units), np.float32))


def units(model: keras.Model) -> int:
    return model_layers(model)[1].units


def _tf():
    import tensorflow as tf  # the Keras backend here; only tf.function compiles a loop with XLA

    return tf


def _time_major(pairs_layer: BitPairs, bits):
    """(batch, time) bits -> the model's input pairs (time, batch, 2) and the real-bit mask (time, batch)."""
    tf = _tf()
    return tf.transpose(pairs_layer(bits), [1, 0, 2]), tf.transpose(tf.not_equal(bits, PAD))


def _run_cells(cell, pairs, real, h, c, step: Callable, accumulators):
    """Inside a traced function: run the LSTM cell over every step of time-major pairs, the state kept
    where the bit is PAD (as the LSTM's mask does), calling step(t, h, c, accumulators) after each step.
    The time length must be a multiple of UNROLL."""
    tf = _tf()

    def body(k, h, c, accumulators):
        for j in range(UNROLL):
            t = k * UNROLL + j
            _, (h_new, c_new) = cell(pairs[t], [h, c], training=False)
            keep = real[t][:, None]
            h, c = tf.where(keep, h_new, h), tf.where(keep, c_new, c)
            accumulators = step(t, h, c, accumulators)
        return k + 1, h, c, accumulators

    _, h, c, accumulators = tf.while_loop(lambda k, *_: k < tf.shape(pairs)[0] // UNROLL, body,
                                          (tf.constant(0), h, c, accumulators))
    return h, c, accumulators


# Compiled functions per model, so that each (batch, segment) shape is compiled once per model and process.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model: keras.Model, make: Callable) -> Callable:
    functions = _COMPILED.setdefault(model, {})
    if make.__name__ not in functions:
        functions[make.__name__] = make(model)
    return functions[make.__name__]


def segment_counter(model: keras.Model) -> Callable[[np.ndarray, np.ndarray, State], tuple[np.ndarray, State]]:
    """make_segment_counter's function for this model, made once."""
    return _compiled(model, make_segment_counter)


def make_segment_counter(model: keras.Model) -> Callable[[np.ndarray, np.ndarray, State], tuple[np.ndarray, State]]:
    """A function (bits, targets, state) -> (correct, new state) for (batch, segment) uint8 bits and
    targets, segment a multiple of UNROLL: correct[i] counts the real steps of row i where the model's
    argmax equals the target, the argmax of the model's own readout layer. XLA-compiled once per
    (batch, segment) shape."""
    tf = _tf()
    pairs_layer, lstm, dense = model_layers(model)

    @tf.function(jit_compile=True, reduce_retracing=False)
    def run(bits, targets, h, c):
        pairs, real = _time_major(pairs_layer, bits)
        targets = tf.transpose(tf.cast(targets, tf.int32))

        def step(t, h, c, correct):
            predicted = tf.argmax(dense(h), axis=-1, output_type=tf.int32)
            return correct + tf.cast(tf.logical_and(real[t], tf.equal(predicted, targets[t])), tf.int32)

        return _run_cells(lstm.cell, pairs, real, h, c, step, tf.zeros(tf.shape(bits)[:1], tf.int32))

    def count(bits: np.ndarray, targets: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        if bits.shape[1] % UNROLL:
            raise ValueError(f"segment of {bits.shape[1]} steps is not a multiple of {UNROLL}")
        h, c, correct = run(bits, targets, state.h, state.c)
        return np.asarray(correct), State(np.asarray(h), np.asarray(c))

    return count


def record_steps(model: keras.Model, bits: np.ndarray, state: State) -> tuple[np.ndarray, np.ndarray, State]:
    """(bits, state) -> (h, c, new state), h and c (batch, time, units): the state after every step, a
    step at a time in eager mode: nothing to compile, ~1.5 ms a step at 100 sequences here, against
    ~5.7 s of XLA compiling for each new shape. For the short recordings the automaton is read from."""
    bits = np.asarray(bits, np.uint8)
    pairs_layer, lstm, _ = model_layers(model)
    pairs = np.asarray(pairs_layer(bits))
    h, c = state.h, state.c
    hidden, cell = [], []
    for t in range(bits.shape[1]):
        _, (h_new, c_new) = lstm.cell(pairs[:, t], [h, c], training=False)
        keep = (bits[:, t] != PAD)[:, None]
        h, c = np.where(keep, np.asarray(h_new), h), np.where(keep, np.asarray(c_new), c)
        hidden.append(h)
        cell.append(c)
    empty = np.zeros((len(bits), 0, lstm.units), np.float32)
    return (np.stack(hidden, axis=1) if hidden else empty, np.stack(cell, axis=1) if cell else empty, State(h, c))


def step_probabilities(model: keras.Model, hidden: np.ndarray) -> np.ndarray:
    """The readout's probabilities (..., 2) for hidden states (..., units)."""
    dense = model_layers(model)[2]
    flat = np.asarray(hidden, np.float32).reshape(-1, hidden.shape[-1])
    return np.asarray(dense(flat)).reshape(*hidden.shape[:-1], 2)


def _pad_columns(bits: np.ndarray, width: int) -> np.ndarray:
    """Bits widened to `width` columns with PAD, which leaves the state and the counts unchanged."""
    if bits.shape[1] == width:
        return bits
    padded = np.full((len(bits), width), PAD, np.uint8)
    padded[:, :bits.shape[1]] = bits
    return padded


def carried_parity(bits: np.ndarray, carry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running parity of a segment given each row's parity before it: (targets, parity after it).
    PAD positions are PAD, as in lstm_parity.parity.running_parity."""
    targets = running_parity(bits)
    real = bits != PAD
    targets[real] ^= np.broadcast_to(carry[:, None], bits.shape)[real]
    after = carry ^ (np.count_nonzero(bits == 1, axis=1) & 1).astype(np.uint8)
    return targets, after


def evaluate_columns(model: keras.Model, read_columns: ReadColumns, count: int, length: int,
                     segment_steps: int | None = None) -> dict[str, np.ndarray]:
    """Run `count` sequences of `length` columns through the model, segment by segment.

    `read_columns(start, stop)` returns the (count, stop - start) uint8 bits of those columns, or
    (bits, targets); without targets the running parity is computed, carried across segments, and with
    them it is checked against it. Returns per-sequence arrays:
      final_probabilities (count, 2)  the readout after each sequence's last real bit
      final_targets (count,)          the parity of each whole sequence
      step_correct, steps (count,)    correct and real steps of each sequence
    stages.evaluate builds its metrics from them. segment_steps (a multiple of UNROLL) defaults to
    default_segment_steps(count); each (count, segment_steps) shape is compiled once, in ~3 s.
    """
    segment_steps = default_segment_steps(count) if segment_steps is None else segment_steps
    if segment_steps <= 0 or segment_steps % UNROLL:
        raise ValueError(f"segment_steps must be a positive multiple of {UNROLL}, got {segment_steps}")
    segment_steps = min(segment_steps, -(-length // UNROLL) * UNROLL)
    count_segment = segment_counter(model)
    state = zero_state(count, units(model))
    parity = np.zeros(count, np.uint8)
    step_correct = np.zeros(count, np.int64)
    steps = np.zeros(count, np.int64)
    for start in range(0, length, segment_steps):
        stop = min(start + segment_steps, length)
        columns = read_columns(start, stop)
        bits, given = columns if isinstance(columns, tuple) else (columns, None)
        bits = np.asarray(bits, np.uint8)
        if bits.shape != (count, stop - start):
            raise ValueError(f"columns {start}..{stop}: expected shape {(count, stop - start)}, got {bits.shape}")
        if bits.max(initial=0) > PAD:
            raise TargetsMismatch(f"columns {start}..{stop}: values other than 0, 1 and PAD ({PAD})")
        targets, parity = carried_parity(bits, parity)
        if given is not None and not np.array_equal(np.asarray(given), targets):
            row = int(np.flatnonzero((np.asarray(given) != targets).any(axis=1))[0])
            raise TargetsMismatch(f"columns {start}..{stop}: targets of row {row} are not the running parity of "
                                  f"its bits")
        correct, state = count_segment(_pad_columns(bits, segment_steps), _pad_columns(targets, segment_steps),
                                       state)
        step_correct += correct
        steps += np.count_nonzero(bits != PAD, axis=1)
    return {"final_probabilities": step_probabilities(model, state.h), "final_targets": parity,
            "step_correct": step_correct, "steps": steps}


def final_probabilities(model: keras.Model, bits: np.ndarray) -> np.ndarray:
    """The model's two probabilities after the last bit of one sequence: predict_on_batch below
    LONG_LENGTH, segments from there on, so a long sequence costs no (length, 2) output."""
    if len(bits) < LONG_LENGTH:
        return np.asarray(model.predict_on_batch(bits[np.newaxis, :]))[0, -1]
    row = np.asarray(bits, np.uint8)[np.newaxis, :]
    return evaluate_columns(model, lambda start, stop: row[:, start:stop], 1, len(bits))["final_probabilities"][0]


def record_states(model: keras.Model, bits: np.ndarray) -> Trajectories:
    """The LSTM's hidden and cell state after every step of each (unpadded) row of bits, from the zero state."""
    bits = np.atleast_2d(np.asarray(bits, np.uint8))
    hidden, cell, _ = record_steps(model, bits, zero_state(len(bits), units(model)))
    predicted = step_probabilities(model, hidden).argmax(axis=-1).astype(np.uint8)
    return Trajectories(bits, running_parity(bits), hidden, cell, predicted)


def random_trajectories(model: keras.Model, count: int, length: int, rng: np.random.Generator) -> Trajectories:
    return record_states(model, random_bits(count, length, rng))
