"""The Keras model: build, save byte-reproducibly, and load safely.

The model reads uint8 bits of shape (batch, time) with a free time axis, so one model runs on sequences
of any length; it encodes each bit as the post's pair (b, not b) itself, so no float copy of the data
set is ever made outside a batch. Only stages that need Keras import this module.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from lstm_parity.errors import DataError, UsageError
from lstm_parity.files import atomic_path, zip_entry
from lstm_parity.keras_file import LstmWeights, read_weights
from lstm_parity.parity import PAD
from lstm_parity.safe_yaml import shown


def _import_keras():
    """Import Keras with TensorFlow's C++ start-up notices (absl and oneDNN lines, written straight to
    the process's stderr at import) kept off the user's terminal, so an error stays one clear line."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow":
        raise UsageError(f"KERAS_BACKEND={shown(backend)}: this project's model trains on Keras's "
                         f"TensorFlow backend; unset KERAS_BACKEND (or set it to tensorflow)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # and XLA's info lines at run time
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras
        # The first transpose of a bool tensor in a process (the LSTM transposes its mask) makes oneDNN
        # log, once, at ERROR level, "oneDNN supports DT_BOOL only on platforms with AVX-512. Falling
        # back to the default Eigen-based implementation": a notice, same results. Spend that once here,
        # where stderr is closed, so TensorFlow's real errors still show and the numerics do not change.
        keras.ops.transpose(keras.ops.zeros((1, 1), dtype="bool"))
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras


keras = _import_keras()
layers, ops = keras.layers, keras.ops


@keras.saving.register_keras_serializable(package="parity")
class BitPairs(layers.Layer):
    """(batch, time) bits -> (batch, time, 2) float32 pairs (b, not b): the post's input encoding.
    PAD becomes (0, 0) and is masked, so the LSTM carries its state across padding unchanged and the
    answer at a sequence's last bit does not depend on how much padding there is, on either side."""

    def call(self, bits):
        return ops.stack([ops.cast(ops.equal(bits, 1), "float32"),
                          ops.cast(ops.equal(bits, 0), "float32")], axis=-1)

    def compute_mask(self, bits, mask=None):
        return ops.not_equal(bits, PAD)

    def compute_output_shape(self, input_shape):
        return (*input_shape, 2)


def build_model(units: int) -> keras.Model:
    """The post's architecture: LSTM(units, return_sequences) then Dense(2, softmax) at every step.
    Output [..., 1] is the probability that the prefix up to that step has odd parity."""
    return keras.Sequential([
        layers.Input(shape=(None,), dtype="uint8", name="bits"),
        BitPairs(name="bit_pairs"),
        layers.LSTM(units, return_sequences=True, name="lstm"),
        layers.Dense(2, activation="softmax", name="parity"),
    ], name="parity_lstm")


def model_layers(model: keras.Model) -> tuple[BitPairs, keras.layers.LSTM, keras.layers.Dense]:
    """The encoder, LSTM and readout of a model from build_model, checked to be that architecture (what
    lstm_parity.forward runs in numpy): a forward LSTM and a softmax Dense."""
    kinds = [type(layer).__name__ for layer in model.layers]
    if kinds != ["BitPairs", "LSTM", "Dense"]:
        raise DataError(f"expected layers BitPairs, LSTM, Dense; found {', '.join(kinds)}")
    pairs, lstm, dense = model.layers
    if lstm.go_backwards or lstm.stateful or not lstm.return_sequences:
        raise DataError("expected a forward, stateless LSTM with return_sequences")
    if dense.activation is not keras.activations.softmax:
        raise DataError(f"expected a softmax readout, found {dense.activation.__name__}")
    return pairs, lstm, dense


def _renumber_shared_objects(config, ids: dict | None = None):
    """Keras writes Python object ids as "shared_object_id"; number them 1, 2, ... in order of appearance
    instead, keeping which objects are shared, so the config's bytes do not change from run to run."""
    ids = {} if ids is None else ids
    if isinstance(config, dict):
        return {key: (ids.setdefault(value, len(ids) + 1) if key == "shared_object_id"
                      else _renumber_shared_objects(value, ids)) for key, value in config.items()}
    if isinstance(config, list):
        return [_renumber_shared_objects(value, ids) for value in config]
    return config


def save_model(model: keras.Model, path: Path) -> None:
    """Save in the .keras format, atomically, with the save date and zip timestamps removed, so that
    identical weights give an identical file (and DVC sees an unchanged output)."""
    with atomic_path(path) as tmp:
        raw = tmp.with_name("raw.keras")
        model.save(raw)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for entry in sorted(src.namelist()):
                data = src.read(entry)
                if entry == "metadata.json":
                    metadata = json.loads(data)
                    metadata.pop("date_saved", None)
                    data = json.dumps(metadata, sort_keys=True).encode()
                elif entry == "config.json":
                    data = json.dumps(_renumber_shared_objects(json.loads(data))).encode()
                dst.writestr(zip_entry(entry, zipfile.ZIP_DEFLATED), data)


def weights_of(model: keras.Model) -> LstmWeights:
    """A model's weights as lstm_parity.forward runs them: the same arrays its .keras file would hold."""
    _, lstm, dense = model_layers(model)
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in lstm.cell.get_weights())
    dense_kernel, dense_bias = (np.asarray(w) for w in dense.get_weights())
    return LstmWeights(kernel, recurrent_kernel, bias, dense_kernel, dense_bias, lstm.units)


def load_model(path: Path) -> keras.Model:
    """Load a model saved by save_model, in Keras's safe mode (no arbitrary code is deserialised), once
    lstm_parity.keras_file has checked the file (its sizes and architecture), and check that it takes bit
    sequences of any length and answers two probabilities per step. The pipeline itself runs models in
    numpy (lstm_parity.forward); this is for the tests that hold the two to each other."""
    path = Path(path)
    read_weights(path)  # every size bounded and the architecture checked, before Keras builds anything
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds here; the user needs the file and the reason
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise DataError(f"{path}: cannot be loaded as a Keras model: {reason}") from None
    inputs, outputs = model.input_shape, model.output_shape
    if not (isinstance(inputs, tuple) and len(inputs) == 2 and inputs[1] is None
            and isinstance(outputs, tuple) and len(outputs) == 3 and outputs[-1] == 2):
        raise DataError(f"{path}: expected a model from (batch, time) bits of any length to (batch, time, 2) "
                        f"probabilities, found input {inputs} and output {outputs}")
    try:
        model_layers(model)
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    return model
