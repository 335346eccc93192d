"""lstm_parity.eigen's tanh and sigmoid are TensorFlow's, bit for bit: the LSTM's states equal Keras's only
because every gate is computed as TensorFlow's CPU kernels compute it (numpy's own tanh differs from
TensorFlow's in most floats, checked too, so the equality below is not a coincidence of rounding).
Imports TensorFlow (~3 s), through lstm_parity.model as the project does."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity.eigen import KerasSigmoid, KerasTanh


@pytest.fixture(scope="module")
def tf():
    from lstm_parity.model import keras  # first: TensorFlow imported with its start-up notices kept quiet

    assert keras.backend.backend() == "tensorflow"  # the backend whose kernels eigen reproduces
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def values() -> np.ndarray:
    """131k float32 values in 8-float packets (TensorFlow computes a tensor's last size % 8 elements by
    another path, not reproduced: whole packets only): normal values, a sweep across both clamps and the
    range where the sigmoid rounds to 0 or 1 or its exp is subnormal (flushed to zero), and the edges."""
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(1 << 16) * 6, np.linspace(-200, 30, 1 << 16),
                             [-104, -103.99, 16.6355324, 16.64, 7.9073896, 7.9074, -7.9074, 0, -0.0, 1e-30,
                              1e30, -1e30, -87.5, -88.7, -89.0]])
    return values[: len(values) // 8 * 8].astype(np.float32).reshape(8, -1)


def test_tanh_is_tensorflows_bit_for_bit(tf, values):
    out = np.empty_like(values)
    KerasTanh(values.shape)(values, out)
    expected = np.asarray(tf.tanh(values))
    np.testing.assert_array_equal(out, expected)
    assert (np.tanh(values) != expected).mean() > 0.1  # numpy's tanh would not do


def test_sigmoid_is_tensorflows_bit_for_bit(tf, values):
    out = np.empty_like(values)
    KerasSigmoid(values.shape)(values, out)
    expected = np.asarray(tf.sigmoid(values))
    np.testing.assert_array_equal(out, expected)
    with np.errstate(over="ignore"):
        assert (1 / (1 + np.exp(-values)) != expected).mean() > 0.1  # nor the textbook formula
    assert out.min() == 0 and out.max() == 1  # saturates as TensorFlow's does, denormals flushed


def test_gates_may_write_over_their_input(values):
    """The cell activates its gates in place (out is the input array): the answer is the same, and the
    buffers a function keeps for its shape carry nothing from one call to the next."""
    for function in (KerasTanh(values.shape), KerasSigmoid(values.shape)):
        separate = np.empty_like(values)
        function(values, separate)
        function(values[::-1].copy(), np.empty_like(values))  # another call between: no state kept
        in_place = values.copy()
        function(in_place, in_place)
        np.testing.assert_array_equal(in_place, separate)
