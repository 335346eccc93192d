"""What the params will cost before anything is spent: the disk the data sets take against the free space
where they go, and the memory each stage needs against the machine's. check_params refuses params that do
not fit, in one line with the numbers, so a typo of a few zeros ends in a second, not in a full disk or a
machine swapping. The estimates are deliberately generous (a stage that fits uses less), built from what
each stage holds at once: the data stages stream in chunks and need no estimate.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from lstm_parity.errors import ParamsError
from lstm_parity.params import Params

# A data set's bytes per bit: the bits and their targets, one byte each; and DVC's cache holds a copy
# (where it cannot link files instead of copying them), so the disk holds two.
SET_BYTES_PER_BIT = 2
COPIES_ON_DISK = 2
# What a process of the stage needs before its data: Python, numpy, and for training TensorFlow and Keras.
TRAIN_BASE = 800 << 20
NUMPY_BASE = 200 << 20
# Training: per bit of a batch or of the validation set, the float pairs, the LSTM's activations and
# their gradients for each unit (Keras keeps every step's for backpropagation), generously.
TRAIN_BYTES_PER_BIT = 16
TRAIN_BYTES_PER_BIT_AND_UNIT = 64
# Evaluation keeps a few figures per sequence (final probabilities, counts); its segments are bounded.
EVALUATE_SEGMENTS = 512 << 20
EVALUATE_BYTES_PER_SEQUENCE = 64
# It also counts the distinct strings of the training, validation and held-out sets (lstm_parity.splits):
# a 24-byte fingerprint per sequence, and np.unique's sorted copy beside it.
FINGERPRINT_BYTES = 64
# Explaining records h and c for every step, projects them in float64 and clusters them.
EXPLAIN_BYTES_PER_STEP = 64
EXPLAIN_BYTES_PER_STEP_AND_UNIT = 64


def sizes(value: float) -> str:
    """Bytes as a person reads them: 32.0 TB, 512 MB; an absurd count in powers of ten."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}" if value < 1e6 * scale else f"{value:.2g} bytes"
    return f"{value:.0f} bytes"


def machine_memory() -> int | None:
    """The machine's physical memory in bytes, where the platform says (Linux, macOS); None elsewhere."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


@dataclass(frozen=True)
class Need:
    what: str       # who needs it, and how it is counted, for the message
    bytes: int


def disk_need(params: Params) -> Need:
    data, evaluate = params.data, params.evaluate
    bits = (data.count + data.validation_count + evaluate.heldout_count) * data.seq_len \
        + sum(evaluate.count * length for length in evaluate.lengths)
    return Need("the data sets (data.count + data.validation_count + evaluate.heldout_count at data.seq_len, and "
                "evaluate.count at each of evaluate.lengths; bits and targets, and DVC's cached copy)",
                bits * SET_BYTES_PER_BIT * COPIES_ON_DISK)


def memory_needs(params: Params) -> list[Need]:
    data, train, evaluate, explain = params.data, params.train, params.evaluate, params.explain
    per_bit = TRAIN_BYTES_PER_BIT + TRAIN_BYTES_PER_BIT_AND_UNIT * train.units
    return [
        Need("the train stage (train.batch_size and data.validation_count sequences of data.seq_len bits, "
             "train.units wide)", TRAIN_BASE + (train.batch_size + data.validation_count) * data.seq_len * per_bit),
        Need("the evaluate stage (evaluate.count and evaluate.heldout_count sequences, and the fingerprints of "
             "data.count + data.validation_count + evaluate.heldout_count)",
             NUMPY_BASE + EVALUATE_SEGMENTS + max(evaluate.count, evaluate.heldout_count) * EVALUATE_BYTES_PER_SEQUENCE
             + (data.count + data.validation_count + evaluate.heldout_count) * FINGERPRINT_BYTES),
        Need("the explain stage (explain.count x explain.length recorded steps, train.units wide)",
             NUMPY_BASE + explain.count * explain.length
             * (EXPLAIN_BYTES_PER_STEP + EXPLAIN_BYTES_PER_STEP_AND_UNIT * train.units)),
    ]


def check_resources(params: Params, where: Path) -> None:
    """Refuse params whose data sets do not fit the free space of the disk holding `where`, or whose any
    stage needs more memory than the machine has (ParamsError, one line with the numbers)."""
    disk = disk_need(params)
    free = shutil.disk_usage(where).free
    if disk.bytes > free:
        raise ParamsError(f"{disk.what} need {sizes(disk.bytes)} of disk, and the disk holding {where.resolve()} "
                          f"has {sizes(free)} free; make the sets smaller")
    memory = machine_memory()
    if memory is None:
        return
    for need in memory_needs(params):
        if need.bytes > memory:
            raise ParamsError(f"{need.what} needs about {sizes(need.bytes)} of memory, and this machine has "
                              f"{sizes(memory)}; make it smaller")
