"""states.npz: what evaluate saves for the report's state figures, read back whole, the same bytes for the
same states, and a damaged file named."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import states
from lstm_parity.errors import DataError
from lstm_parity.parity import running_parity


def fake_trajectories(count: int = 6, length: int = 9, units: int = 3) -> states.Trajectories:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (count, length), dtype=np.uint8)
    parity = running_parity(bits)
    hidden = rng.normal(size=(count, length, units)).astype(np.float32) + parity[..., None]
    return states.Trajectories(bits, parity, hidden, np.tanh(hidden), parity.copy())


def fake_figures() -> states.StateFigures:
    trajectories = fake_trajectories()
    return states.state_figures(trajectories, trajectories.states.reshape(-1, 6)[:4])


def test_written_states_read_back_whole(tmp_path):
    figures = fake_figures()
    states.write_states(tmp_path / "states.npz", figures)
    back = states.read_states(tmp_path / "states.npz")
    for part in ("sequence", "projection"):
        for name, value in vars(getattr(figures, part)).items():
            np.testing.assert_array_equal(getattr(getattr(back, part), name), value)
    np.testing.assert_array_equal(back.parity, figures.parity)
    np.testing.assert_array_equal(back.centres, figures.centres)
    assert back.sequence.bits.shape == (1, 9) and back.projection.points.shape == (6 * 9, 2)


def test_same_states_same_bytes(tmp_path):
    states.write_states(tmp_path / "a.npz", fake_figures())
    states.write_states(tmp_path / "b.npz", fake_figures())
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_a_missing_or_damaged_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"none\.npz: file not found"):
        states.read_states(tmp_path / "none.npz")
    (tmp_path / "bad.npz").write_text("not a zip")
    with pytest.raises(DataError, match=r"bad\.npz: not a readable \.npz file"):
        states.read_states(tmp_path / "bad.npz")
    np.savez(tmp_path / "part.npz", parity=np.zeros(3))
    with pytest.raises(DataError, match=r"part\.npz: missing array sequence_bits"):
        states.read_states(tmp_path / "part.npz")
