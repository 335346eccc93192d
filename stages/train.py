"""Stage: train the LSTM on data/train; write the model and its training curve.

Reads data/train (bits.npy, targets.npy, and the validation/ set beside them) and the train.* params.
Every train.check_every batches, and at the end of each epoch, the model's final-step accuracy and
confidence on the validation set are measured; once they reach train.target_accuracy and
train.target_confidence, training stops. (Stopping at the first accurate check leaves models that
slip on much longer sequences; the confidence bar adds a few dozen steps that make them exact there.)
Batches stream from disk in blocks, so memory does not grow with data.count. Writes the .keras model,
a JSON of training metrics and a CSV curve (one row per check) for `dvc plots`.
"""
from __future__ import annotations

import argparse
import csv
import io as text_io
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stages import cli, io, params
from stages.params import TrainParams
from stages.parity import PAD, STREAM_SHUFFLE, last_steps, sequence_lengths

# Rows shuffled together: a block of about this many bits is read, permuted and cut into batches.
BLOCK_BITS = 1 << 24


def block_batches(data: io.ParitySet, stop: int, batch_size: int,
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


def final_step_accuracy(probabilities: np.ndarray, targets: np.ndarray, lengths: np.ndarray) -> float:
    """Accuracy of the answers at each sequence's last bit: the parity of the whole sequence."""
    return float(np.mean(last_steps(probabilities, lengths).argmax(axis=-1) == last_steps(targets, lengths)))


def final_step_confidence(probabilities: np.ndarray, lengths: np.ndarray) -> float:
    """Mean probability the model gives its own answer at each sequence's last bit (the post's figure)."""
    return float(np.mean(last_steps(probabilities, lengths).max(axis=-1)))


def supervised(bits: np.ndarray, targets: np.ndarray, supervision: str):
    """A Keras batch: padding targets set to a valid class (the mask drops them from the loss) and, for
    final supervision, a weight of 1 at each sequence's last bit and 0 elsewhere."""
    targets = np.where(targets == PAD, 0, targets).astype(np.uint8)
    if supervision == "per_step":
        return bits, targets
    weights = np.zeros(bits.shape, np.float32)
    weights[np.arange(len(bits)), sequence_lengths(bits) - 1] = 1.0
    return bits, targets, weights


def reached(value: float, target: float | None) -> bool:
    return target is None or value >= target


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@dataclass(frozen=True)
class TrainResult:
    steps: int
    epochs: float
    reached_target: bool
    validation_accuracy: float | None
    validation_confidence: float | None
    history: list[dict]
    seconds: float


def train(model, data: io.ParitySet, validation: io.ParitySet | None, cfg: TrainParams) -> TrainResult:
    """Fit `model` on `data` with the recipe in cfg; the caller has seeded Keras."""
    from stages.model import keras

    fit_rows = len(data)
    steps_per_epoch = fit_rows // cfg.batch_size
    if steps_per_epoch == 0:
        raise cli.UsageError(f"train.batch_size {cfg.batch_size} is larger than data.count {fit_rows}")
    stops_early = cfg.target_accuracy is not None or cfg.target_confidence is not None
    if stops_early and validation is None:
        raise io.DataError(f"{data.folder / io.VALIDATION_SET}: not found; train.target_accuracy and "
                           f"train.target_confidence need a validation set (data.validation_count >= 1)")
    val_bits, val_targets = validation.read(0, len(validation)) if validation else (None, None)
    val_lengths = sequence_lengths(val_bits) if validation else None
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(STREAM_SHUFFLE,)))

    def forever():
        while True:
            for bits, targets in block_batches(data, fit_rows, cfg.batch_size, rng):
                yield supervised(bits, targets, cfg.supervision)

    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=cfg.jit_compile)
    # Keras turns XLA off when op determinism is already on (some XLA ops lack deterministic GPU kernels);
    # on the CPU, XLA's compiled steps are deterministic, so determinism is turned on after compiling.
    _enable_op_determinism()
    history: list[dict] = []
    state = {"step": 0, "accuracy": None, "confidence": None, "reached": False}

    class Checkpoints(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            state["step"] += 1
            step = state["step"]
            if step % cfg.check_every and (batch + 1) != steps_per_epoch:
                return
            row = {"step": step, "epoch": round(step / steps_per_epoch, 4),
                   "loss": round(float(logs["loss"]), 6), "accuracy": round(float(logs["accuracy"]), 6)}
            if val_bits is not None:
                probabilities = np.asarray(self.model.predict_on_batch(val_bits))
                state["accuracy"] = final_step_accuracy(probabilities, val_targets, val_lengths)
                state["confidence"] = final_step_confidence(probabilities, val_lengths)
                row["validation_final_accuracy"] = round(state["accuracy"], 6)
                row["validation_confidence"] = round(state["confidence"], 6)
                if stops_early and reached(state["accuracy"], cfg.target_accuracy) \
                        and reached(state["confidence"], cfg.target_confidence):
                    state["reached"] = True
                    self.model.stop_training = True
            history.append(row)

    started = time.perf_counter()
    model.fit(forever(), shuffle=False, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch, verbose=0,
              callbacks=[Checkpoints()])
    return TrainResult(steps=state["step"], epochs=round(state["step"] / steps_per_epoch, 4),
                       reached_target=state["reached"], validation_accuracy=_rounded(state["accuracy"]),
                       validation_confidence=_rounded(state["confidence"]),
                       history=history, seconds=time.perf_counter() - started)


def history_csv(history: list[dict]) -> str:
    out = text_io.StringIO()
    columns = list(history[0]) if history else ["step", "epoch", "loss", "accuracy"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return out.getvalue()


def _enable_op_determinism() -> None:
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="training set folder")
    parser.add_argument("--model", type=Path, required=True, help=".keras file to write")
    parser.add_argument("--metrics", type=Path, required=True, help="JSON of training metrics to write")
    parser.add_argument("--history", type=Path, required=True, help="CSV training curve to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    cfg = params.load(args.params).train
    data = io.ParitySet(args.data)
    validation_folder = args.data / io.VALIDATION_SET
    validation = io.ParitySet(validation_folder) if validation_folder.exists() else None

    from stages.model import build_model, keras, save_model

    keras.utils.set_random_seed(cfg.seed)  # Python, numpy and TensorFlow, once
    model = build_model(cfg.units)
    result = train(model, data, validation, cfg)
    save_model(model, args.model)
    io.write_json(args.metrics, {
        "steps": result.steps, "epochs": result.epochs, "reached_target": result.reached_target,
        "validation_final_accuracy": result.validation_accuracy,
        "validation_confidence": result.validation_confidence,
        "loss": result.history[-1]["loss"] if result.history else None,
    })
    io.write_text(args.history, history_csv(result.history))
    print(f"trained {result.steps} steps ({result.epochs} epochs) in {result.seconds:.1f} s; validation "
          f"final-step accuracy {result.validation_accuracy}, confidence {result.validation_confidence}; "
          f"target reached: {result.reached_target}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
