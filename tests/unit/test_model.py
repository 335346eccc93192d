"""The Keras model: any length, padding masked, saved and loaded safely."""
from __future__ import annotations

import dataclasses
import zipfile

import numpy as np
import pytest

from lstm_parity import params, parity
from lstm_parity.datasets import ParitySet
from lstm_parity.errors import DataError
from lstm_parity.generation import generate_set
from lstm_parity.training import train
from tests.conftest import TINY


@pytest.fixture(scope="module")
def varying_model(tmp_path_factory):
    """A tiny model trained on varying lengths with final-only supervision (whether it learns or not)."""
    from lstm_parity.model import build_model, keras

    root = tmp_path_factory.mktemp("varying")
    cfg = params.parse({**TINY, "data": {**TINY["data"], "min_len": 2}})
    generate_set(root / "train", 400, 8, 0, parity.STREAM_TRAIN, validation_count=50, min_len=2)
    keras.utils.set_random_seed(0)
    model = build_model(4)
    tcfg = dataclasses.replace(cfg.train, epochs=1, supervision="final")
    checks: list[dict] = []
    result = train(model, ParitySet(root / "train"), ParitySet(root / "train/validation"), tcfg,
                   on_check=[checks.append])
    assert result.steps == 400 // tcfg.batch_size and np.isfinite(checks[-1]["loss"])
    return model


def test_answer_does_not_depend_on_padding(varying_model):
    """The same sequence padded by different amounts, on either side, gets the same prediction."""
    bits = np.array([1, 0, 1, 1, 0, 1, 1], np.uint8)
    answers = []
    for left, right in [(0, 0), (0, 5), (0, 40), (6, 0), (3, 9)]:
        padded = np.concatenate([np.full(left, parity.PAD), bits, np.full(right, parity.PAD)]).astype(np.uint8)
        probabilities = np.asarray(varying_model.predict_on_batch(padded[np.newaxis]))[0]
        answers.append(probabilities[left + len(bits) - 1])
    for answer in answers[1:]:
        np.testing.assert_allclose(answer, answers[0], rtol=0, atol=1e-6)


def test_padding_changes_nothing_for_a_batch_of_mixed_lengths(varying_model):
    bits = np.random.default_rng(1).integers(0, 2, (6, 9), dtype=np.uint8)
    lengths = np.array([9, 1, 4, 7, 2, 5])
    batch = np.asarray(varying_model.predict_on_batch(parity.pad_after(bits, lengths)))
    for row, n in enumerate(lengths):
        alone = np.asarray(varying_model.predict_on_batch(bits[row:row + 1, :n]))[0, -1]
        np.testing.assert_allclose(batch[row, n - 1], alone, atol=1e-6)


def test_load_model_refuses_files_that_are_not_models(tmp_path):
    from lstm_parity.model import load_model

    (tmp_path / "model.keras").write_text("not a model")
    with pytest.raises(DataError, match=r"model\.keras: not a readable \.keras \(zip\) file"):
        load_model(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(DataError, match=r"empty\.keras: no model\.weights\.h5 in the zip; not a Keras 3 \.keras"):
        load_model(tmp_path / "empty.keras")


def test_load_model_refuses_fixed_length_models(tmp_path):
    import keras

    from lstm_parity.model import load_model

    fixed = keras.Sequential([keras.layers.Input((50, 2)), keras.layers.LSTM(1, return_sequences=True),
                              keras.layers.Dense(2, activation="softmax")])
    fixed.save(tmp_path / "fixed.keras")
    with pytest.raises(DataError, match=r"fixed\.keras: input shape \[None, 50, 2\]; expected \(batch, time\) of any"):
        load_model(tmp_path / "fixed.keras")


def test_load_model_refuses_other_architectures_by_name(tmp_path):
    from lstm_parity.model import BitPairs, keras, load_model

    gru = keras.Sequential([keras.layers.Input((None,), dtype="uint8"), BitPairs(),
                            keras.layers.GRU(2, return_sequences=True), keras.layers.Dense(2, activation="softmax")])
    gru.save(tmp_path / "gru.keras")
    with pytest.raises(DataError, match=r"gru\.keras: layers BitPairs, GRU, Dense; expected \[InputLayer,\] Bit"):
        load_model(tmp_path / "gru.keras")
