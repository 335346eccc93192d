"""Training: batches streamed from a data set on disk, the recipe's fit, and the callback that checks the
validation set and decides when to stop. The caller builds and seeds the model (lstm_parity.model).

Batches stream from disk in shuffled blocks, so memory does not grow with data.count.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from lstm_parity.datasets import ParitySet
from lstm_parity.inference import last_probabilities
from lstm_parity.metrics import answer_confidence, answer_correct, rounded
from lstm_parity.model import keras, weights_of
from lstm_parity.params import TrainParams
from lstm_parity.parity import PAD, STREAM_SHUFFLE, last_steps, sequence_lengths

# Rows shuffled together: a block of about this many bits is read, permuted and cut into batches.
BLOCK_BITS = 1 << 24


def block_batches(data: ParitySet, stop: int, batch_size: int,
                  rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of full batches over rows [0, stop): blocks in random order, rows shuffled within each
    block. The last partial batch is dropped so every batch has one shape (XLA compiles once)."""
    block = max(batch_size, BLOCK_BITS // data.length // batch_size * batch_size)
    starts = np.arange(0, stop, block)
    carry_bits = carry_targets = None
    for start in rng.permutation(starts):
        bits, targets = data.read(int(start), min(int(start) + block, stop))
        order = rng.permutation(len(bits))
        bits, targets = bits[order], targets[order]
        if carry_bits is not None:
            bits, targets = np.concatenate([carry_bits, bits]), np.concatenate([carry_targets, targets])
        full = len(bits) // batch_size * batch_size
        for at in range(0, full, batch_size):
            yield bits[at:at + batch_size], targets[at:at + batch_size]
        carry_bits, carry_targets = bits[full:], targets[full:]


def supervised(bits: np.ndarray, targets: np.ndarray, supervision: str):
    """A Keras batch: padding targets set to a valid class (the mask drops them from the loss) and, for
    final supervision, a weight of 1 at each sequence's last bit and 0 elsewhere."""
    targets = np.where(targets == PAD, 0, targets).astype(np.uint8)
    if supervision == "per_step":
        return bits, targets
    weights = np.zeros(bits.shape, np.float32)
    weights[np.arange(len(bits)), sequence_lengths(bits) - 1] = 1.0
    return bits, targets, weights


def endless_batches(data: ParitySet, cfg: TrainParams, rng: np.random.Generator):
    """Epoch after epoch of supervised batches; Keras's fit decides when to stop."""
    while True:
        for bits, targets in block_batches(data, len(data), cfg.batch_size, rng):
            yield supervised(bits, targets, cfg.supervision)


def reached(value: float, target: float | None) -> bool:
    return target is None or value >= target


class StopAtTarget(keras.callbacks.Callback):
    """Every `check_every` batches, and at the end of each epoch, measure final-step accuracy and
    confidence on the validation set into a row (step, epoch, loss, validation figures), handed to every
    `on_check`; stop training once both reach their targets (a None target is always reached; both None:
    never stop early).

    Stopping at the first accurate check leaves models that slip on much longer sequences; the
    confidence target adds a few dozen steps that make them exact there.
    """

    def __init__(self, validation: ParitySet | None, steps_per_epoch: int, cfg: TrainParams,
                 on_check: Sequence[Callable[[dict], None]] = ()):
        super().__init__()
        self.on_check = tuple(on_check)  # each is called with every check's row, as it is made
        self.steps_per_epoch, self.check_every = steps_per_epoch, cfg.check_every
        self.target_accuracy, self.target_confidence = cfg.target_accuracy, cfg.target_confidence
        self.stops_early = cfg.target_accuracy is not None or cfg.target_confidence is not None
        if validation is not None:
            self.validation_bits, targets = validation.read(0, len(validation))
            self.validation_answers = last_steps(targets, sequence_lengths(self.validation_bits))
        else:
            self.validation_bits = self.validation_answers = None
        self.steps = 0
        self.accuracy: float | None = None
        self.confidence: float | None = None
        self.reached_target = False

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps % self.check_every and (batch + 1) != self.steps_per_epoch:
            return
        row = {"step": self.steps, "epoch": round(self.steps / self.steps_per_epoch, 4),
               "loss": rounded(logs["loss"]), "accuracy": rounded(logs["accuracy"])}
        if self.validation_bits is not None:
            # The forward pass in numpy from the weights as they are now: no Keras graph to call, and the
            # same arithmetic the evaluation and predict run.
            final = last_probabilities(weights_of(self.model), self.validation_bits)
            self.accuracy = float(answer_correct(final, self.validation_answers).mean())
            self.confidence = float(answer_confidence(final).mean())
            row["validation_final_accuracy"] = rounded(self.accuracy)
            row["validation_confidence"] = rounded(self.confidence)
            if self.stops_early and reached(self.accuracy, self.target_accuracy) \
                    and reached(self.confidence, self.target_confidence):
                self.reached_target = True
                self.model.stop_training = True
        for report in self.on_check:
            report(row)


class TerminalProgress:
    """A check's row as one line on a terminal, each overwriting the last, so a long run is not silent;
    nothing at all when the stream is not a terminal (a log, a pipe, a test), so logs stay quiet."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.shown = stream.isatty()
        self.width = 0

    def __call__(self, row: dict) -> None:
        if not self.shown:
            return
        text = f"step {row['step']} ({row['epoch']:.2f} epochs): loss {row['loss']:.4f}"
        if "validation_final_accuracy" in row:
            text += (f", validation accuracy {row['validation_final_accuracy']:.4f}, "
                     f"confidence {row['validation_confidence']:.4f}")
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        """End the line, so the next output starts on its own."""
        if self.shown and self.width:
            self.stream.write("\n")
            self.stream.flush()


class LiveLog:
    """Each check through dvclive into `folder`, so that DVC's tools (`dvc exp show`, `dvc plots`, VS Code,
    Studio) show a run while it trains: plots/metrics/<figure>.tsv gains a row per check (the training
    curve by step) and metrics.json holds the step reached, then the outcome (reached_target), as the
    training metrics of record. The curve's figures stay out of metrics.json, which `dvc metrics show`
    lists beside every other file's: its table stays readable. No timestamps (the same run gives the
    same bytes), and dvclive neither commits nor edits dvc.yaml: the pipeline declares the files."""

    FIGURES = ("loss", "validation_final_accuracy", "validation_confidence")

    def __init__(self, folder: Path):
        from dvclive import Live  # imported here: only training logs

        self.folder = Path(folder)
        with self._naming_the_folder():
            self.live = Live(dir=str(folder), save_dvc_exp=False, dvcyaml=None, report=None)

    def __call__(self, row: dict) -> None:
        self.live.step = row["step"]
        with self._naming_the_folder():
            for figure in self.FIGURES:
                if figure in row:
                    self.live.log_metric(figure, row[figure])
                    del self.live.summary[figure]  # on the curve only (log_metric puts it in the summary too)
            self.live.next_step()

    def close(self, reached_target: bool) -> None:
        """The outcome beside the last check's figures, and dvclive's own ending."""
        self.live.summary["reached_target"] = reached_target
        with self._naming_the_folder():
            self.live.end()

    @contextlib.contextmanager
    def _naming_the_folder(self) -> Iterator[None]:
        """dvclive's writes fail (a full disk) without a file name: the error names the log's folder."""
        try:
            yield
        except OSError as error:
            if error.filename is not None:
                raise
            raise OSError(error.errno, error.strerror or str(error), str(self.folder)) from error


@dataclass(frozen=True)
class TrainResult:
    steps: int
    epochs: float
    reached_target: bool
    validation_accuracy: float | None
    validation_confidence: float | None
    fit_seconds: float


def train(model: keras.Model, data: ParitySet, validation: ParitySet | None, cfg: TrainParams,
          on_check: Sequence[Callable[[dict], None]] = ()) -> TrainResult:
    """Fit `model` on `data` with the recipe in cfg, checking on `validation` and handing each check's row
    to every `on_check`; the caller has seeded Keras."""
    steps_per_epoch = len(data) // cfg.batch_size  # >= 1: params reject a batch larger than data.count
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(STREAM_SHUFFLE,)))
    stopper = StopAtTarget(validation, steps_per_epoch, cfg, on_check)
    # Keras turns XLA off when op determinism is already on (some XLA ops lack deterministic GPU kernels);
    # on the CPU, XLA's compiled steps are deterministic, so determinism is turned on after compiling, and
    # off before, so that a second model trained in the same process compiles as the first did.
    _op_determinism(False)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=cfg.jit_compile)
    _op_determinism(True)
    started = time.perf_counter()
    model.fit(endless_batches(data, cfg, rng), shuffle=False, epochs=cfg.epochs,
              steps_per_epoch=steps_per_epoch, verbose=0, callbacks=[stopper])
    return TrainResult(steps=stopper.steps, epochs=round(stopper.steps / steps_per_epoch, 4),
                       reached_target=stopper.reached_target, validation_accuracy=rounded(stopper.accuracy),
                       validation_confidence=rounded(stopper.confidence), fit_seconds=time.perf_counter() - started)


def _op_determinism(on: bool) -> None:
    # The switch Keras reads when it compiles (tf.config.experimental exports only the enabling half)
    from tensorflow.python.framework import config

    (config.enable_op_determinism if on else config.disable_op_determinism)()
