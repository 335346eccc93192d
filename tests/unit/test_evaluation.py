"""Evaluation: exact counts, buckets of lengths, the plot's rows, long sets in segments."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import evaluation as evaluate
from lstm_parity import inference, parity
from lstm_parity.datasets import ParitySet
from lstm_parity.errors import DataError
from lstm_parity.generation import generate_lengths, generate_set


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
    assert result.section == {"accuracy": 0.9, "step_accuracy": 0.98, "confidence": 0.9, "length": 5, "count": 10}
    assert result.buckets == []


def test_heldout_of_varying_lengths_reports_buckets(tmp_path):
    generate_set(tmp_path / "heldout", 300, 20, 0, parity.STREAM_HELDOUT, min_len=1)
    data = ParitySet(tmp_path / "heldout")

    def oracle_except_short(batch):
        """Right on every sequence longer than 4 bits, wrong at the last bit of shorter ones."""
        targets = parity.running_parity(batch) & 1
        lengths = parity.sequence_lengths(batch)
        short = lengths <= 4
        targets[short, lengths[short] - 1] ^= 1
        return np.stack([1 - targets, targets], axis=-1).astype(np.float32)

    result = evaluate.evaluate_set(oracle_except_short, data)
    section = result.section
    assert section["min_length"] == 1 and section["length"] == 20
    assert list(section["buckets"]) == ["1-4", "5-8", "9-12", "13-16", "17-20"]
    assert section["buckets"]["1-4"]["accuracy"] == 0.0
    assert all(b["accuracy"] == 1.0 for name, b in section["buckets"].items() if name != "1-4")
    assert sum(b["count"] for b in section["buckets"].values()) == 300
    assert [(b.low, b.high) for b in result.buckets] == [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20)]
    rows = evaluate.by_length({"heldout": result})
    assert [row["length"] for row in rows] == [2.5, 6.5, 10.5, 14.5, 18.5]


def test_length_buckets_cover_the_range():
    assert evaluate.length_buckets(1, 50) == [(1, 10), (11, 20), (21, 30), (31, 40), (41, 50)]
    assert evaluate.length_buckets(3, 5) == [(3, 3), (4, 4), (5, 5)]


def test_trained_model_is_evaluated_on_every_set(tiny_run, tmp_path):
    from lstm_parity.model import load_model

    model = load_model(tiny_run / "a/model.keras")
    generate_set(tmp_path / "heldout", 40, 8, 0, parity.STREAM_HELDOUT)
    generate_lengths(tmp_path / "lengths", (30, 333), 40, 0)
    results = evaluate.evaluate_all(model, tmp_path / "heldout", tmp_path / "lengths", (30, 333))
    assert list(results) == ["heldout", "length_30", "length_333"]
    assert results["length_333"].section["length"] == 333 and results["length_333"].section["count"] == 40
    for result in results.values():
        assert 0 <= result.section["accuracy"] <= 1 and 0.5 <= result.section["confidence"] <= 1
    assert [row["length"] for row in evaluate.by_length(results)] == [8, 30, 333]


def test_one_builder_makes_every_sets_figures():
    correct = np.array([True, True, False, True])
    result = evaluate.set_result(correct, np.array([0.9, 0.8, 0.6, 0.7], np.float32), np.array([3, 3, 3, 3]), 10, 12, 3)
    assert result.section == {"accuracy": 0.75, "step_accuracy": 0.833333, "confidence": 0.75, "length": 3, "count": 4}
    assert result.errors == 1 and result.buckets == []
    varying = evaluate.set_result(correct, np.full(4, 0.9), np.array([1, 2, 3, 4]), 9, 10, 4)
    assert varying.section["min_length"] == 1 and varying.errors == 1
    assert [(b.low, b.high, b.count, b.errors) for b in varying.buckets] == [(1, 1, 1, 0), (2, 2, 1, 0), (3, 3, 1, 1),
                                                                             (4, 4, 1, 0)]


@pytest.fixture(scope="module")
def tiny_model(tiny_run):
    from lstm_parity.model import load_model

    return load_model(tiny_run / "a/model.keras")


def test_long_sets_run_in_segments_with_the_same_figures(tiny_model, tmp_path, monkeypatch):
    """A set at or over LONG_LENGTH goes through lstm_parity.inference; its figures are predict_on_batch's."""
    generate_lengths(tmp_path / "lengths", (333,), 40, 0)
    data = ParitySet(tmp_path / "lengths/333")
    whole = evaluate.evaluate_set(tiny_model.predict_on_batch, data).section
    monkeypatch.setattr(inference, "LONG_LENGTH", 333)
    called = []
    monkeypatch.setattr(evaluate, "evaluate_set", lambda *args: called.append(args))
    segments = evaluate.evaluate_any(tiny_model, data).section
    assert not called
    assert {k: segments[k] for k in ("accuracy", "step_accuracy", "length", "count")} == \
        {k: whole[k] for k in ("accuracy", "step_accuracy", "length", "count")}
    assert segments["confidence"] == pytest.approx(whole["confidence"], abs=2e-6)


def test_long_sets_check_their_targets(tiny_model, tmp_path, monkeypatch):
    generate_lengths(tmp_path / "lengths", (40,), 10, 0)
    folder = tmp_path / "lengths/40"
    targets = np.load(folder / "targets.npy")
    targets[3, 25] ^= 1
    np.save(folder / "targets.npy", targets)
    monkeypatch.setattr(inference, "LONG_LENGTH", 40)
    with pytest.raises(DataError, match=r"targets\.npy: columns 0\.\.40: targets of row 3"):
        evaluate.evaluate_any(tiny_model, ParitySet(folder))
