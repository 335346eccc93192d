"""Model, training, evaluation and predict, on tiny real data with real Keras."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import numpy as np
import pytest

from stages import cli, evaluate, io, parity, predict
from stages.generate import generate_set
from tests.conftest import PROJECT, TINY, tool_env, write_params


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Tiny params, their data, and the train stage run twice as separate processes."""
    root = tmp_path_factory.mktemp("tiny")
    write_params(root, TINY)
    d = TINY["data"]
    generate_set(root / "train", d["count"], d["seq_len"], d["seed"], parity.STREAM_TRAIN, d["validation_count"])
    for run in ("a", "b"):
        subprocess.run([sys.executable, "-m", "stages.train", "--params", str(root / "params.yaml"),
                        "--data", str(root / "train"), "--model", str(root / run / "model.keras"),
                        "--metrics", str(root / run / "train.json"), "--history", str(root / run / "curve.csv")],
                       cwd=PROJECT, env=tool_env(), check=True, capture_output=True)
    return root


def test_training_is_deterministic(tiny_run):
    """Same params, same machine: byte-identical model file, training metrics and curve."""
    for name in ("model.keras", "train.json", "curve.csv"):
        assert (tiny_run / "a" / name).read_bytes() == (tiny_run / "b" / name).read_bytes(), name


def test_curve_has_a_row_per_check(tiny_run):
    lines = (tiny_run / "a/curve.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,loss,accuracy,validation_final_accuracy,validation_confidence"
    steps_per_epoch = TINY["data"]["count"] // TINY["train"]["batch_size"]
    assert float(lines[-1].split(",")[1]) == TINY["train"]["epochs"]
    assert len(lines) - 1 == TINY["train"]["epochs"] * -(-steps_per_epoch // TINY["train"]["check_every"])


def test_model_runs_on_any_length_and_evaluates(tiny_run):
    from stages.model import load_model

    model = load_model(tiny_run / "a/model.keras")
    for length in (1, 8, 333):
        assert np.asarray(model.predict_on_batch(np.zeros((3, length), np.uint8))).shape == (3, length, 2)
    generate_set(tiny_run / "eval" / "heldout", 40, 8, 0, parity.STREAM_HELDOUT)
    generate_set(tiny_run / "eval" / "length_30", 40, 30, 0, parity.STREAM_LENGTH)
    sections = evaluate.evaluate_all(model.predict_on_batch, tiny_run / "eval", (30,))
    assert set(sections) == {"heldout", "length_30"}
    assert sections["length_30"]["length"] == 30 and sections["length_30"]["count"] == 40
    for s in sections.values():
        assert 0 <= s["accuracy"] <= 1 and 0.5 <= s["confidence"] <= 1


def test_evaluate_counts_errors_exactly():
    """A predictor that is right except at the last step of row 0 scores exactly that."""
    bits = np.random.default_rng(0).integers(0, 2, (10, 5), dtype=np.uint8)

    class Set:
        folder, length = "fake", 5

        def __len__(self):
            return 10

        def chunks(self, rows):
            yield bits, parity.running_parity(bits)

    def predictor(batch):
        targets = parity.running_parity(batch)
        targets[0, -1] ^= 1
        return np.stack([1 - targets, targets], axis=-1) * 0.8 + 0.1

    result = evaluate.evaluate_set(predictor, Set())
    assert result == {"accuracy": 0.9, "step_accuracy": 0.98, "confidence": 0.9, "length": 5, "count": 10}


def test_load_model_refuses_files_that_are_not_models(tmp_path):
    from stages.model import load_model

    (tmp_path / "model.keras").write_text("not a model")
    with pytest.raises(io.DataError, match=r"not a Keras \.keras model file"):
        load_model(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(io.DataError, match="cannot be loaded as a Keras model"):
        load_model(tmp_path / "empty.keras")


def test_load_model_refuses_fixed_length_models(tmp_path):
    import keras

    from stages.model import load_model

    fixed = keras.Sequential([keras.layers.Input((50, 2)), keras.layers.LSTM(1, return_sequences=True),
                              keras.layers.Dense(2, activation="softmax")])
    fixed.save(tmp_path / "fixed.keras")
    with pytest.raises(io.DataError, match="expected a model from"):
        load_model(tmp_path / "fixed.keras")


@pytest.mark.parametrize("text, message", [
    ("", "the bit string is empty"),
    ("10a1", "holds 'a' at position 3"),
    ("1" * (predict.MAX_BITS + 1), f"at most {predict.MAX_BITS} are allowed"),
])
def test_predict_refuses_bad_strings(text, message):
    with pytest.raises(cli.UsageError, match=message):
        predict.parse_bits(text)


def test_predict_command_prints_parity(tiny_run):
    bits = "1011001" * 3
    result = subprocess.run([sys.executable, "-m", "stages.predict", bits, "--model",
                             str(tiny_run / "a/model.keras")], cwd=PROJECT, env=tool_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert lines["prediction"].strip() in {"0", "1"}
    assert lines["actual"].strip().startswith(str(bits.count("1") % 2))
    assert 50 <= float(lines["confidence"].strip().rstrip("%")) <= 100


def test_predict_command_rejects_with_one_line(tiny_run):
    result = subprocess.run([sys.executable, "-m", "stages.predict", "012"], cwd=PROJECT, env=tool_env(),
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the bit string holds '2' at position 3; only the characters 0 and 1 are allowed"]
