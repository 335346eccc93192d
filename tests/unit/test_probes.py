"""The zero-run probe: prefixes then long runs of zeros, the first input answered wrong."""
from __future__ import annotations

import dataclasses

import numpy as np

from lstm_parity import probes
from lstm_parity.parity import PAD
from tests.unit.test_forward import parity_weights


def test_rows_are_each_prefix_then_zeros_padded_on_the_right():
    rows = probes.zero_run_rows(("", "1", "101"), zeros=3)
    assert rows.tolist() == [[0, 0, 0, PAD, PAD, PAD], [1, 0, 0, 0, PAD, PAD], [1, 0, 1, 0, 0, 0]]


def test_a_model_that_computes_parity_is_right_through_every_zero_run():
    assert probes.first_wrong_length(parity_weights()) is None


def test_the_first_wrong_input_is_the_shortest_over_every_row():
    """A readout that says 'odd' whatever the state: right on 1 0 0 ... (odd throughout), wrong on the
    first bit of 0 0 ..., and on the second of 1 1 0 ...; the probe names the shortest wrong input."""
    weights = parity_weights()
    always_odd = dataclasses.replace(weights, dense_kernel=np.zeros_like(weights.dense_kernel),
                                     dense_bias=np.array([-5.0, 5.0], np.float32))
    assert probes.first_wrong_length(always_odd, prefixes=("1",), zeros=50) is None
    assert probes.first_wrong_length(always_odd, prefixes=("1", "11"), zeros=50) == 2
    assert probes.first_wrong_length(always_odd) == 1
