"""The numpy forward pass against Keras's predict_on_batch: a trained model (the tiny one the tests train:
the committed model's architecture, 4 units, though not its skill) on sets generated from the committed
params (held-out and length sets), random-weight models of 1 to 8 units on padded sets and on 10^4 steps,
the written-down parity model, and the weights keras_file reads from the files Keras writes. Probabilities
agree within TOLERANCE (TensorFlow's softmax multiplies by a hardware reciprocal estimate numpy does not
reproduce) and the LSTM's states of a 4-unit model bit for bit. Imports TensorFlow (~3 s), once."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_parity import evaluation, params
from lstm_parity.forward import readout, record_states, step_probabilities
from lstm_parity.generation import generate_heldout, generate_lengths
from lstm_parity.inference import evaluate_columns
from lstm_parity.keras_file import LstmWeights, read_weights
from lstm_parity.metrics import answer_confidence, answer_correct, step_correct
from lstm_parity.parity import PAD, STREAM_HELDOUT, last_steps, running_parity, sequence_lengths
from tests.conftest import PROJECT
from tests.unit.test_forward import parity_weights

TOLERANCE = 1e-6
NAMES = ["kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"]


def assert_matches(probabilities: np.ndarray, expected: np.ndarray) -> float:
    """Within TOLERANCE at every step (PAD steps included: both carry the last output), and the same answer
    wherever Keras's is not within TOLERANCE of a coin toss. Returns the largest difference."""
    assert probabilities.shape == expected.shape and probabilities.dtype == np.float32
    difference = float(np.abs(probabilities - expected).max(initial=0))
    assert difference <= TOLERANCE
    decided = np.abs(expected[..., 1] - 0.5) > TOLERANCE
    np.testing.assert_array_equal(probabilities.argmax(-1)[decided], expected.argmax(-1)[decided])
    return difference


def assert_same_weights(weights: LstmWeights, other: LstmWeights) -> None:
    assert weights.units == other.units
    for name in NAMES:
        np.testing.assert_array_equal(getattr(weights, name), getattr(other, name))


def padded_set(rng: np.random.Generator, count: int, length: int) -> np.ndarray:
    """Random bits, rows cut to random lengths (PAD after), a few rows with PAD inside and before the bits
    (the mask carries the state anywhere), one row all PAD."""
    bits = rng.integers(0, 2, (count, length), dtype=np.uint8)
    bits[np.arange(length) >= rng.integers(1, length + 1, count)[:, None]] = PAD
    bits[1, 10:20] = PAD
    bits[2, :7] = PAD
    bits[3] = PAD
    return bits


def with_states(model):
    """A Keras model giving the LSTM's hidden states and the probabilities from one predict."""
    from lstm_parity.model import keras

    return keras.Model(model.inputs, [model.get_layer("lstm").output, model.outputs[0]])


def keras_model(weights: LstmWeights):
    """A model from build_model holding these weights."""
    from lstm_parity.model import build_model

    model = build_model(weights.units)
    model.set_weights([getattr(weights, name) for name in NAMES])
    return model


@pytest.fixture(scope="module")
def trained(tiny_run):
    """The tiny trained model, loaded by Keras and read by keras_file from the same file."""
    from lstm_parity.model import load_model

    path = tiny_run / "a/model.keras"
    return load_model(path), read_weights(path)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, Path]:
    """The held-out and length sets as `dvc repro` generates them from the committed params.yaml (2,000
    sequences of 50, 100 and 1,000 bits), so the tests need neither data/ nor DVC."""
    p = params.load(PROJECT / "params.yaml")
    root = tmp_path_factory.mktemp("sets")
    generate_heldout(root / "heldout", p.evaluate.heldout_count, p.data.seq_len, p.data.seed, p.evaluate.seed,
                     STREAM_HELDOUT, p.data.min_len)
    generate_lengths(root / "lengths", p.evaluate.lengths, p.evaluate.count, p.evaluate.seed)
    return {"heldout": root / "heldout"} | {str(n): root / "lengths" / str(n) for n in p.evaluate.lengths}


def test_weights_of_a_model_are_its_files(trained, tmp_path):
    """weights_of(model), what a model in memory runs with, is what read_weights finds in its file; saved
    again, the file reads back the same."""
    from lstm_parity.model import save_model, weights_of

    model, weights = trained
    assert_same_weights(weights_of(model), weights)
    save_model(model, tmp_path / "again.keras")
    assert_same_weights(read_weights(tmp_path / "again.keras"), weights)


def test_trained_model_on_the_evaluation_sets(trained, sets):
    """Held-out, 100 and 1,000 bits, 2,000 rows: the hidden states are TensorFlow's bit for bit, and the
    probabilities within TOLERANCE."""
    model, weights = trained
    both = with_states(model)
    for folder in sets.values():
        bits = np.load(folder / "bits.npy")
        keras_hidden, expected = (np.asarray(a) for a in both.predict_on_batch(bits))
        hidden, _, _ = record_states(weights, bits)
        np.testing.assert_array_equal(hidden, keras_hidden)
        assert_matches(readout(weights, hidden), expected)


def test_trained_model_metrics_in_segments(trained):
    """evaluate_columns (segments of columns, pieces run side by side) gives Keras's metrics: its final
    probabilities, and its count of right steps (the model is never undecided here, so counts are exact)."""
    model, weights = trained
    bits = padded_set(np.random.default_rng(7), 40, 3000)
    targets = running_parity(bits)
    expected = np.asarray(model.predict_on_batch(bits))
    real = bits != PAD
    assert (np.abs(expected[..., 1] - 0.5) > TOLERANCE)[real].all()
    result = evaluate_columns(weights, lambda a, b: (bits[:, a:b], targets[:, a:b]), 40, 3000, segment_steps=1100)
    assert_matches(result["final_probabilities"], expected[:, -1])  # the last column carries the last real step's
    np.testing.assert_array_equal(result["step_correct"], ((expected.argmax(-1) == targets) & real).sum(axis=1))
    np.testing.assert_array_equal(result["steps"], real.sum(axis=1))
    np.testing.assert_array_equal(result["final_targets"], bits.sum(axis=1, where=real) % 2)


def test_evaluation_figures_are_keras_figures(trained, sets):
    """evaluate_all's figures for every set are the ones Keras's probabilities give (confidence to the
    probabilities' tolerance, the counts exactly)."""
    model, weights = trained
    results = evaluation.evaluate_all(weights, sets["heldout"], sets["heldout"].parent / "lengths", (100, 1000))
    assert list(results) == ["heldout", "length_100", "length_1000"]
    for name, folder in zip(results, sets.values(), strict=True):
        bits, targets = np.load(folder / "bits.npy"), np.load(folder / "targets.npy")
        probabilities = np.asarray(model.predict_on_batch(bits))
        lengths = sequence_lengths(bits)
        final = last_steps(probabilities, lengths)
        right, steps = step_correct(probabilities, targets)
        expected = evaluation.set_result(answer_correct(final, last_steps(targets, lengths)),
                                         answer_confidence(final), lengths, right, steps, bits.shape[1]).section
        section = results[name].section
        assert section["confidence"] == pytest.approx(expected.pop("confidence"), abs=2e-6)
        assert {k: section[k] for k in expected} == expected


def random_model(units: int, seed: int, scale: float = 1.5):
    """A model of `units` with random weights, larger than Keras's initial ones (scale) so gates saturate
    and states move a lot: a harder test of the arithmetic than a freshly initialised model."""
    from lstm_parity.model import build_model

    model = build_model(units)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, scale, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("units", [1, 2, 4, 8])
def test_random_models_on_padded_and_long_sets(units, tmp_path):
    """Saved and read back by keras_file, a random model's weights are Keras's (in Keras's gate order);
    run on padded rows of 300 bits and on 10^4 bits (a row padded after 6,000), its probabilities are
    Keras's at every step, for 8 units too (where matmuls no longer sum alike: the states differ by ulps)."""
    from lstm_parity.model import save_model, weights_of

    model = random_model(units, seed=units)
    save_model(model, tmp_path / "model.keras")
    weights = read_weights(tmp_path / "model.keras")
    for name, array in zip(NAMES, model.get_weights(), strict=True):
        np.testing.assert_array_equal(getattr(weights, name), array)
    assert_same_weights(weights_of(model), weights)
    rng = np.random.default_rng(units)
    long = rng.integers(0, 2, (3, 10_000), dtype=np.uint8)
    long[1, 6000:] = PAD
    for bits in (padded_set(rng, 24, 300), long):
        probabilities, _ = step_probabilities(weights, bits)
        assert_matches(probabilities, np.asarray(model.predict_on_batch(bits)))


def test_the_written_down_parity_model_is_a_keras_model():
    """parity_weights, which the inference and evaluation tests use as a model that has learned parity,
    runs in Keras as in numpy: the same states bit for bit, and Keras answers parity with it too."""
    weights = parity_weights()
    both = with_states(keras_model(weights))
    bits = padded_set(np.random.default_rng(8), 16, 2000)
    keras_hidden, expected = (np.asarray(a) for a in both.predict_on_batch(bits))
    hidden, _, _ = record_states(weights, bits)
    np.testing.assert_array_equal(hidden, keras_hidden)
    assert_matches(readout(weights, hidden), expected)
    real = bits != PAD
    np.testing.assert_array_equal(expected.argmax(-1)[real], running_parity(bits)[real])
