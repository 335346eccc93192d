"""The PNG figures: the same arrays give the same bytes."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from lstm_parity.figures import states as state_plots
from lstm_parity.states import project_2d


@pytest.fixture(scope="module")
def model():
    from lstm_parity.model import build_model, keras

    keras.utils.set_random_seed(4)
    return build_model(2)


def test_plots_are_byte_deterministic(model, tmp_path):
    from lstm_parity.inference import random_trajectories

    trajectories = random_trajectories(model, 12, 30, np.random.default_rng(0))
    projection = project_2d(trajectories.states)
    digests = set()
    for name in ("a", "b"):
        state_plots.plot_state_along_sequence(trajectories, tmp_path / f"{name}_sequence.png")
        state_plots.plot_state_projection(projection, trajectories.parity, tmp_path / f"{name}_projection.png")
        digests.add(tuple(hashlib.sha256((tmp_path / f"{name}_{kind}.png").read_bytes()).hexdigest()
                          for kind in ("sequence", "projection")))
    assert len(digests) == 1
    assert not list(tmp_path.glob(".tmp-*"))
