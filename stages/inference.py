"""Evaluation at any length: long sequences run in segments across the whole batch, LSTM state carried.

`predict_on_batch` on a whole set holds a (count, length, 2) float32 output (16 GB for 2,000 sequences of
10^6 bits), and row chunks of a few sequences make each of the 10^6 steps pay Keras's per-step overhead for
a tiny batch. Here every sequence of a set runs at once, one segment of columns at a time: an XLA-compiled
loop over the segment's steps calls the trained model's own layers (BitPairs, the LSTM's cell, the Dense
readout) and returns only what the metrics need, the count of correct steps per sequence and the state
(h, c) to carry into the next segment. Memory is bound by count x segment_steps, not by the length.

PAD (2) keeps the state unchanged, as the LSTM's mask does in the whole model, so padded sets give the
same answers: each sequence's final answer is the readout of its state after its last real bit.

Column segments come from `NpyColumns`, which reads a (count, length) uint8 .npy with one seek and one
read per row and segment: the set's bytes pass through the page cache, never the process's memory.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stages.model import BitPairs, keras
from stages.parity import PAD, running_parity

# Steps written out per iteration of the compiled loop: fewer trips round the loop, a longer compile.
# Measured at 200 sequences on this 2-core machine: 1 -> ~37 us/step, 8 -> ~15 us/step, compile ~3 s.
UNROLL = 8
# Bits per segment (count x segment steps): segments this long make the per-segment cost (a read per
# row, a call into the compiled loop) negligible, while a segment's arrays stay a few tens of MB. Measured
# at 200 sequences and length 10^5 (bench/long_lengths.py segments): 1024 to 8192 steps per segment run
# alike; from 32768 the time and the peak memory grow (750 MB at 8192, 890 MB at 32768, 1260 MB at 10^5).
SEGMENT_BITS = 200 * 8192


def default_segment_steps(count: int) -> int:
    """Steps per segment for `count` sequences: SEGMENT_BITS in all, a multiple of UNROLL."""
    return max(UNROLL, SEGMENT_BITS // max(count, 1) // UNROLL * UNROLL)


ReadColumns = Callable[[int, int], "np.ndarray | tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class State:
    """The LSTM's hidden and cell state, (batch, units) float32 each."""
    h: np.ndarray
    c: np.ndarray


def zero_state(batch: int, units: int) -> State:
    """The state the model starts every sequence from (Keras's default initial state)."""
    return State(np.zeros((batch, units), np.float32), np.zeros((batch, units), np.float32))


def model_layers(model: keras.Model) -> tuple[BitPairs, keras.layers.LSTM, keras.layers.Dense]:
    """The encoder, LSTM and readout of a model from stages.model.build_model, checked to be what the
    segment loop reproduces: a forward LSTM with tanh/sigmoid and a softmax Dense."""
    kinds = [type(layer).__name__ for layer in model.layers]
    if kinds != ["BitPairs", "LSTM", "Dense"]:
        raise ValueError(f"expected layers BitPairs, LSTM, Dense; found {', '.join(kinds)}")
    pairs, lstm, dense = model.layers
    if lstm.go_backwards or lstm.stateful or not lstm.return_sequences:
        raise ValueError("expected a forward, stateless LSTM with return_sequences")
    if dense.activation is not keras.activations.softmax:
        raise ValueError(f"expected a softmax readout, found {dense.activation.__name__}")
    return pairs, lstm, dense


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


def state_recorder(model: keras.Model) -> Callable[[np.ndarray, State], tuple[np.ndarray, np.ndarray, State]]:
    """make_state_recorder's function for this model, made once."""
    return _compiled(model, make_state_recorder)


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


def make_state_recorder(model: keras.Model) -> Callable[[np.ndarray, State], tuple[np.ndarray, np.ndarray, State]]:
    """A function (bits, state) -> (h, c, new state), h and c of shape (batch, time, units): the state after
    every step (carried unchanged over PAD). Any time length, but memory grows with it: for tests, and for
    the states the automaton is read from."""
    tf = _tf()
    pairs_layer, lstm, _ = model_layers(model)

    @tf.function(jit_compile=True, reduce_retracing=False)
    def run(bits, h, c):
        pairs, real = _time_major(pairs_layer, bits)
        records = (tf.TensorArray(tf.float32, size=tf.shape(bits)[1]),
                   tf.TensorArray(tf.float32, size=tf.shape(bits)[1]))

        def step(t, h, c, records):
            return records[0].write(t, h), records[1].write(t, c)

        h, c, records = _run_cells(lstm.cell, pairs, real, h, c, step, records)
        return h, c, records[0].stack(), records[1].stack()

    def record(bits: np.ndarray, state: State) -> tuple[np.ndarray, np.ndarray, State]:
        bits = np.asarray(bits, np.uint8)
        steps = bits.shape[1]
        h, c, hs, cs = run(_pad_columns(bits, -(-steps // UNROLL) * UNROLL), state.h, state.c)
        return (np.asarray(hs).transpose(1, 0, 2)[:, :steps], np.asarray(cs).transpose(1, 0, 2)[:, :steps],
                State(np.asarray(h), np.asarray(c)))

    return record


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
    PAD positions are PAD, as in stages.parity.running_parity."""
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
    `summarise` turns them into evaluate's metrics. segment_steps (a multiple of UNROLL) defaults to
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
            raise ValueError(f"columns {start}..{stop}: values other than 0, 1 and PAD ({PAD})")
        targets, parity = carried_parity(bits, parity)
        if given is not None and not np.array_equal(np.asarray(given), targets):
            row = int(np.flatnonzero((np.asarray(given) != targets).any(axis=1))[0])
            raise ValueError(f"columns {start}..{stop}: targets of row {row} are not the running parity of its bits")
        correct, state = count_segment(_pad_columns(bits, segment_steps), _pad_columns(targets, segment_steps),
                                       state)
        step_correct += correct
        steps += np.count_nonzero(bits != PAD, axis=1)
    return {"final_probabilities": step_probabilities(model, state.h), "final_targets": parity,
            "step_correct": step_correct, "steps": steps}


def summarise(result: dict[str, np.ndarray], length: int) -> dict:
    """evaluate's metrics from evaluate_columns' arrays: accuracy (final step), step_accuracy,
    confidence (mean probability of the model's own final answer), length, count."""
    probabilities = result["final_probabilities"]
    final_correct = probabilities.argmax(axis=-1) == result["final_targets"]
    return {"accuracy": round(float(final_correct.mean()), 6),
            "step_accuracy": round(float(result["step_correct"].sum() / result["steps"].sum()), 6),
            "confidence": round(float(probabilities.max(axis=-1).mean()), 6),
            "length": length, "count": len(probabilities)}


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class NpyColumns:
    """Column segments of a 2-D uint8 .npy in C order, read with one seek and read per row: a segment of
    200 rows costs 200 small reads, and the file never enters the process's memory (a memory map's
    touched pages count toward RSS: 200 MB for 200 x 10^6 bits)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version not in _HEADER_READERS:
                raise ValueError(f"{self.path}: unsupported .npy version {version}")
            shape, fortran, dtype = _HEADER_READERS[version](f)
            self.offset = f.tell()
        if dtype != np.uint8 or fortran or len(shape) != 2:
            raise ValueError(f"{self.path}: expected a 2-D uint8 array in C order, found {dtype} {shape}")
        self.shape: tuple[int, int] = shape
        if self.path.stat().st_size != self.offset + shape[0] * shape[1]:
            raise ValueError(f"{self.path}: size does not match shape {shape}; truncated or damaged")

    def read(self, start: int, stop: int) -> np.ndarray:
        """Columns [start, stop) of every row, as a (rows, stop - start) uint8 array."""
        rows, length = self.shape
        if not 0 <= start <= stop <= length:
            raise ValueError(f"{self.path}: columns {start}..{stop} outside 0..{length}")
        out = np.empty((rows, stop - start), np.uint8)
        with open(self.path, "rb", buffering=0) as f:
            for row in range(rows):
                f.seek(self.offset + row * length + start)
                if f.readinto(out[row]) != stop - start:
                    raise ValueError(f"{self.path}: truncated at row {row}")
        return out


def paired_columns(bits: NpyColumns, targets: NpyColumns) -> ReadColumns:
    """read_columns for a data folder's bits.npy and targets.npy: (bits, targets) of each segment."""
    if bits.shape != targets.shape:
        raise ValueError(f"{targets.path}: shape {targets.shape} does not match {bits.path} {bits.shape}")
    return lambda start, stop: (bits.read(start, stop), targets.read(start, stop))
