"""studies/certify: the stored certificate re-checked from scratch on the committed model, and refused when the
weights, a box or a chain are changed. The model is the pipeline's (`dvc repro` makes it, byte for byte)."""
from __future__ import annotations

import copy
import hashlib
import json

import numpy as np
import pytest

from lstm_parity.forward import readout, record_states
from lstm_parity.keras_file import read_weights
from lstm_parity.pipeline import declared_path
from studies.certify.checker import CertificateError, IntervalCell, check_certificate, iv, load_weights, weights_digest
from studies.certify.run import CERTIFICATE
from studies.certify.search import Cell
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def model():
    path = PROJECT / declared_path("model", PROJECT)
    assert path.is_file(), f"{path}: run `dvc repro` first (the quick start does)"
    return path


@pytest.fixture(scope="module")
def weights(model):
    return load_weights(model)


@pytest.fixture(scope="module")
def certificate():
    return json.loads(CERTIFICATE.read_text())


def mutated(weights, name, index, delta):
    changed = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in weights.items()}
    changed[name][index] = np.float32(changed[name][index] + delta)
    return changed


def test_the_certificate_is_the_committed_models(model, weights, certificate):
    assert certificate["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert certificate["weights_digest"] == weights_digest(weights)


def test_the_certificate_holds(weights, certificate):
    report = check_certificate(weights, certificate)
    assert report["ok"] and report["min_margin_lower_bound"] > 0
    assert report["gap_G"] == max([*certificate["start_post1_steps"], *certificate["tail_steps"].values()])


def test_a_weight_one_ulp_away_is_refused_by_the_digest(weights, certificate):
    changed = copy.deepcopy(weights)
    changed["recurrent"][0, 0] = np.nextafter(changed["recurrent"][0, 0], np.float32(np.inf))
    with pytest.raises(CertificateError, match="weights_digest"):
        check_certificate(changed, certificate)


def test_a_small_weight_change_breaks_the_proof_itself(weights, certificate):
    """The forget-gate bias of unit 3 (the even attractor's slow coordinate) moved by 0.001: the interval check
    itself, the digest not consulted, finds the attractor box no longer mapped into itself."""
    with pytest.raises(CertificateError, match="N_0 is not mapped into itself"):
        check_certificate(mutated(weights, "bias", 7, 0.001), certificate, verify_digest=False)


def test_a_shrunk_box_or_a_shortened_chain_is_refused(weights, certificate):
    def shrunk(scale):
        changed = copy.deepcopy(certificate)
        lo, hi = (np.array([float.fromhex(v) for v in changed["N"]["1"][end]]) for end in ("lo", "hi"))
        mid, radius = (lo + hi) / 2, (hi - lo) / 2
        changed["N"]["1"] = {"lo": [float.hex(v) for v in mid - scale * radius],
                             "hi": [float.hex(v) for v in mid + scale * radius]}
        return changed

    with pytest.raises(CertificateError, match=r"prefix 0\^0 1: not inside N_1"):
        check_certificate(weights, shrunk(0.7), verify_digest=False)  # the chain ends outside it
    with pytest.raises(CertificateError, match="N_1 is not mapped into itself"):
        check_certificate(weights, shrunk(0.9), verify_digest=False)
    shortened = copy.deepcopy(certificate)
    shortened["start_post1_steps"][0] -= 10
    with pytest.raises(CertificateError, match=r"prefix 0\^0 1: not inside N_1"):
        check_certificate(weights, shortened)


def test_a_wrong_format_or_negative_slack_is_refused(weights, certificate):
    with pytest.raises(CertificateError, match="format"):
        check_certificate(weights, {**certificate, "format": "other"})
    with pytest.raises(CertificateError, match="slack"):
        check_certificate(weights, {**certificate, "slack": float.hex(-1e-5)})


def test_the_interval_step_encloses_the_float_step(weights):
    """The formulas: point boxes enclose the float64 step, box images enclose sampled images, and the
    interval Jacobian encloses finite differences."""
    cell, reference = IntervalCell(weights), Cell(weights)
    rng = np.random.default_rng(0)
    for _ in range(5):
        state = np.r_[rng.uniform(-1, 1, 4), rng.uniform(-5, 5, 4)]
        for bit in (0, 1):
            exact = reference.step(state, bit)[0]
            box = cell.naive([iv.mpf(float(v)) for v in state], bit)
            assert all(float(b.a) - 1e-12 <= e <= float(b.b) + 1e-12 for b, e in zip(box, exact, strict=True))
            lo, hi = state - 0.01, state + 0.01
            image = cell.image([iv.mpf([a, b]) for a, b in zip(lo, hi, strict=True)], bit, iv.mpf(0))
            points = reference.step(lo + (hi - lo) * rng.random((2000, 8)), bit)
            assert all(float(b.a) <= points[:, j].min() and points[:, j].max() <= float(b.b)
                       for j, b in enumerate(image))
            jacobian = cell.jacobian([iv.mpf([a, b]) for a, b in zip(lo, hi, strict=True)], bit)
            differences = reference.jac(state, bit)
            assert all(float(jacobian[r][c].a) - 1e-6 <= differences[r, c] <= float(jacobian[r][c].b) + 1e-6
                       for r in range(8) for c in range(8))


def test_the_certified_step_is_the_step_the_pipeline_runs(model, weights, certificate):
    """The checker writes the LSTM out again (input pair, gate order, cell update, readout); a convention it got
    wrong would certify another function. From each state the pipeline's own numpy path (lstm_parity.forward,
    equal to Keras within 1e-6) recorded, the checker's step encloses the next recorded state within the
    certificate's slack, and its margin's sign is the recorded answer."""
    slack = float.fromhex(certificate["slack"])
    cell, library = IntervalCell(weights), read_weights(model)
    bits = np.random.default_rng(1).integers(0, 2, (3, 40), dtype=np.uint8)
    hidden, cells, _ = record_states(library, bits)
    answers = readout(library, hidden).argmax(axis=-1)
    for row in range(bits.shape[0]):
        state = np.zeros(8)
        for t in range(bits.shape[1]):
            box = cell.naive([iv.mpf(float(v)) for v in state], int(bits[row, t]))
            state = np.r_[hidden[row, t], cells[row, t]].astype(np.float64)
            assert all(float(b.a) - slack <= v <= float(b.b) + slack for b, v in zip(box, state, strict=True)), (row, t)
            margin = cell.margin([iv.mpf(float(v)) for v in state[:4]], int(answers[row, t]))
            assert float(margin.a) > 0, (row, t)
