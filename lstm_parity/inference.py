"""Running the trained model at any length, in bounded memory, without TensorFlow: whole sets a segment of
columns at a time with the state and the parity carried; one long sequence by speculation; and the states
the explain stage reads the model's automaton from. The cell itself is lstm_parity.forward's.

Long runs go fast by speculation (`_advance`): a row's columns are cut into pieces that run side by side
as one batch, each piece but the first starting from a guess - the state after the WARMUP bits before it,
with the parity the model should be carrying - and each guess is then checked, bit for bit, against the
true state the previous piece ends in. A piece whose guess was wrong is run again from the true state, so
the result is always exactly the sequential one; how often a guess is right only decides the speed. This
model forgets all but the parity within ~150 steps (two runs that differ only in the far past end in the
same float32 state), so guesses after 256 bits are right and 10^6 bits of one sequence run as ~1,000
pieces of ~1,000 steps.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_parity.forward import Cell, State, check_bits, readout, record_states, run_counting, zero_state
from lstm_parity.keras_file import LstmWeights
from lstm_parity.parity import PAD, random_bits, running_parity
from lstm_parity.states import Trajectories

# Bits of history a guessed state is built from. The trained model's states from different pasts agree
# bit for bit after ~105 steps (median; 155 at most in 400 trials); 256 leaves a margin.
WARMUP = 256
# A piece is at least this many times WARMUP long, so guessing costs at most a quarter more steps.
MIN_PIECE_WARMUPS = 4
# Rows run side by side in one batch: numpy's per-call overhead (~0.3 us) is spread over this many rows
# while a step's arrays (batch x 4 units x 4 bytes) stay in the CPU's cache.
TARGET_BATCH = 4096
# Bits per segment of columns (count x columns): a segment's arrays (bits, targets, their pieces) are a
# few copies of this many bytes, and pieces of long segments need fewer warm-ups.
SEGMENT_BITS = 1 << 24


# Long runs: speculation

def _pieces_per_row(count: int, width: int) -> int:
    """How many pieces to cut each row's `width` columns into: enough for TARGET_BATCH rows in all, but
    none shorter than MIN_PIECE_WARMUPS warm-ups."""
    return max(1, min(TARGET_BATCH // max(count, 1), width // (MIN_PIECE_WARMUPS * WARMUP)))


def _advance(weights: LstmWeights, bits: np.ndarray, start: State, parity: np.ndarray, targets: np.ndarray | None,
             pieces: int | None = None) -> tuple[State, np.ndarray | None]:
    """Run (count, width) bits from the true state `start` (parity: each row's parity before them), by
    speculation: exactly the sequential run's final state and, with targets, counts of right steps."""
    count, width = bits.shape
    if count == 0:
        return start, (None if targets is None else np.zeros(0, np.int64))
    k = _pieces_per_row(count, width) if pieces is None else pieces
    if k <= 1:
        return run_counting(weights, bits, start, targets)
    size = -(-width // k)  # columns per piece; the last piece is padded with PAD, which changes nothing
    by_piece = _cut(bits, k, size)
    piece_targets = None if targets is None else _cut(targets, k, size)
    warm = min(WARMUP, size)
    initial = zero_state(k * count, weights.units)
    initial.h[:count], initial.c[:count] = start.h, start.c
    cell = Cell(weights, k * count)
    cell.set_state(initial)
    cell.run(_guesses(by_piece, parity, warm))
    guessed = cell.state()
    counted = cell.run(by_piece.reshape(k * count, size),
                       targets=None if piece_targets is None else piece_targets.reshape(k * count, size))
    final = cell.state()
    shape = (k, count, weights.units)
    guess = State(guessed.h.reshape(shape), guessed.c.reshape(shape))
    end = State(final.h.reshape(shape), final.c.reshape(shape))
    guess.h[0], guess.c[0] = start.h, start.c  # the first piece started from the true state
    correct = np.zeros((k, count), np.int64) if counted is None else counted.reshape(k, count)
    _settle(weights, by_piece, piece_targets, guess, end, correct)
    return State(end.h[-1].copy(), end.c[-1].copy()), (None if targets is None else correct.sum(axis=0))


def _cut(rows: np.ndarray, k: int, size: int) -> np.ndarray:
    """(count, width) -> (k, count, size): piece j of row r, the last padded with PAD."""
    count, width = rows.shape
    wide = np.full((count, k * size), PAD, np.uint8)
    wide[:, :width] = rows
    return wide.reshape(count, k, size).transpose(1, 0, 2).copy()


def _guesses(by_piece: np.ndarray, parity: np.ndarray, warm: int) -> np.ndarray:
    """The bits each piece runs before its own, (k * count, warm + 1): the first piece none (PAD: it starts
    from the true state); each other piece, from zeros, the bit 1 if the row's parity before its warm-up is
    odd (the model's state for the prefix "1", so the guess carries the parity the model should), then the
    warm-up: the last `warm` bits of the piece before."""
    _, count, size = by_piece.shape
    ones = np.count_nonzero(by_piece == 1, axis=2)  # (k, count)
    ones_in_warmup = np.count_nonzero(by_piece[:, :, size - warm:] == 1, axis=2)
    parity_before = (parity[None, :] + np.cumsum(ones, axis=0) - ones_in_warmup) & 1  # before piece j+1's warm-up
    lead = np.where(parity_before[:-1] == 1, 1, PAD).astype(np.uint8)[:, :, None]
    guesses = np.concatenate([lead, by_piece[:-1, :, size - warm:]], axis=2).reshape(-1, warm + 1)
    return np.concatenate([np.full((count, warm + 1), PAD, np.uint8), guesses])


def _settle(weights: LstmWeights, by_piece: np.ndarray, piece_targets: np.ndarray | None, guess: State,
            end: State, correct: np.ndarray) -> None:
    """Check every piece's guessed start against the state the piece before it ends in, bit for bit, and
    rerun wrong pieces from the true state, a row's first wrong piece at a time (all rows together), until
    every piece started where its predecessor ended. Updates end and correct (k, count, ...) in place."""
    all_pad = (by_piece == PAD).all(axis=2)  # pieces that leave the state as it was
    while True:
        # Piece j is right if it started from the state piece j-1 ends in (and piece j-1 is right).
        right = (guess.h[1:] == end.h[:-1]).all(axis=2) & (guess.c[1:] == end.c[:-1]).all(axis=2)
        wrong = ~right
        rows = np.flatnonzero(wrong.any(axis=0))
        if not len(rows):
            return
        first = wrong[:, rows].argmax(axis=0) + 1  # each such row's first wrong piece
        true_h, true_c = end.h[first - 1, rows], end.c[first - 1, rows]
        guess.h[first, rows], guess.c[first, rows] = true_h, true_c
        skip = all_pad[first, rows]  # nothing to run: the state passes through unchanged
        end.h[first[skip], rows[skip]], end.c[first[skip], rows[skip]] = true_h[skip], true_c[skip]
        correct[first[skip], rows[skip]] = 0
        run = ~skip
        if run.any():
            pieces, rows_run = first[run], rows[run]
            again, again_correct = run_counting(
                weights, by_piece[pieces, rows_run], State(true_h[run], true_c[run]),
                None if piece_targets is None else piece_targets[pieces, rows_run])
            end.h[pieces, rows_run], end.c[pieces, rows_run] = again.h, again.c
            if again_correct is not None:
                correct[pieces, rows_run] = again_correct


# Whole sets, and one long sequence

ReadColumns = Callable[[int, int], "np.ndarray | tuple[np.ndarray, np.ndarray]"]


class TargetsMismatch(ValueError):
    """Given targets that are not the running parity of the bits (a damaged data set); `row` is the first
    such row, counted in the rows given, or None when the bits themselves hold values other than 0, 1, PAD."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


def carried_parity(bits: np.ndarray, carry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running parity of a segment given each row's parity before it: (targets, parity after it)."""
    targets = running_parity(bits)
    real = bits != PAD
    targets[real] ^= np.broadcast_to(carry[:, None], bits.shape)[real]
    after = carry ^ (np.count_nonzero(bits == 1, axis=1) & 1).astype(np.uint8)
    return targets, after


def default_segment_steps(count: int) -> int:
    """Columns per segment: SEGMENT_BITS for `count` rows, and long enough to cut into pieces."""
    return max(MIN_PIECE_WARMUPS * WARMUP, SEGMENT_BITS // max(count, 1))


def evaluate_columns(weights: LstmWeights, read_columns: ReadColumns, count: int, length: int,
                     segment_steps: int | None = None) -> dict[str, np.ndarray]:
    """Run `count` sequences of `length` columns through the model, a segment of columns at a time, the
    state and the parity carried, so memory stays bounded by count x segment_steps whatever the length.

    `read_columns(start, stop)` returns the (count, stop - start) uint8 bits of those columns, or (bits,
    targets); without targets the running parity is computed, with them it is checked against it.
    Returns per-sequence arrays, from which lstm_parity.evaluation makes a set's figures:
      final_probabilities (count, 2)  the readout after each sequence's last real bit
      final_targets (count,)          the parity of each whole sequence
      step_correct, steps (count,)    correct and real steps of each sequence
    """
    segment_steps = default_segment_steps(count) if segment_steps is None else segment_steps
    if segment_steps <= 0:
        raise ValueError(f"segment_steps must be positive, got {segment_steps}")
    state = zero_state(count, weights.units)
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
        targets, parity_after = carried_parity(bits, parity)
        if given is not None:
            given = np.asarray(given)
            if given.shape != bits.shape:
                raise ValueError(f"columns {start}..{stop}: expected targets of shape {bits.shape}, got {given.shape}")
            if not np.array_equal(given, targets):
                row = int(np.flatnonzero((given != targets).any(axis=1))[0])
                raise TargetsMismatch(f"columns {start}..{stop}: targets of row {row} are not the running parity "
                                      f"of its bits", row)
        state, correct = _advance(weights, bits, state, parity, targets)
        parity = parity_after
        step_correct += correct
        steps += np.count_nonzero(bits != PAD, axis=1)
    return {"final_probabilities": readout(weights, state.h), "final_targets": parity,
            "step_correct": step_correct, "steps": steps}


def last_probabilities(weights: LstmWeights, bits: np.ndarray) -> np.ndarray:
    """The readout (rows, 2) after each row's last real bit, for (rows, time) padded bits: the answers
    training's validation checks read, in memory that grows with the rows, not the steps."""
    bits = check_bits(bits)
    if bits.ndim != 2:
        raise ValueError(f"bits must be (rows, time), got shape {bits.shape}")
    state, _ = run_counting(weights, bits, zero_state(len(bits), weights.units), None)
    return readout(weights, state.h)


def final_state(weights: LstmWeights, bits: np.ndarray, pieces: int | None = None) -> State:
    """The state after the last bit of one sequence (1-D bits), by speculation: as fast as ~1,000 steps
    at a batch of ~1,000, whatever the length, when guesses are right; never less exact."""
    bits = check_bits(bits)
    if bits.ndim != 1:
        raise ValueError(f"bits must be one sequence (1-D), got shape {bits.shape}")
    row = bits[None, :]
    state, _ = _advance(weights, row, zero_state(1, weights.units), np.zeros(1, np.uint8), None, pieces)
    return state


def final_probabilities(weights: LstmWeights, bits: np.ndarray) -> np.ndarray:
    """The model's two probabilities (parity 0, parity 1) after the last bit of one sequence."""
    return readout(weights, final_state(weights, bits).h)[0]


def record_trajectories(weights: LstmWeights, bits: np.ndarray) -> Trajectories:
    """The LSTM's hidden and cell state after every step of each (unpadded) row of bits, from the zero
    state, with the running parity and the readout's answer at each step."""
    bits = np.atleast_2d(check_bits(bits))
    hidden, cell, _ = record_states(weights, bits)
    predicted = readout(weights, hidden).argmax(axis=-1).astype(np.uint8)
    return Trajectories(bits, running_parity(bits), hidden, cell, predicted)


def random_trajectories(weights: LstmWeights, count: int, length: int, rng: np.random.Generator) -> Trajectories:
    return record_trajectories(weights, random_bits(count, length, rng))
