"""The explain stage: the automaton and the states, written the same byte for byte."""
from __future__ import annotations

import json

import numpy as np

from lstm_parity.states import read_states
from stages import explain


def test_explain_writes_the_automaton_and_the_states(tiny_run, tmp_path):
    out = {name: tmp_path / "out" / name for name in ("automaton.json", "states.npz")}
    argv = ["--params", str(tiny_run / "params.yaml"), "--model", str(tiny_run / "a/model.keras"),
            "--automaton", str(out["automaton.json"]), "--states", str(out["states.npz"])]
    assert explain.main(argv) == 0
    learned = json.loads(out["automaton.json"].read_text())
    assert set(learned) == {"states", "is_parity_flip", "clusters", "step_accuracy", "machine"}
    assert isinstance(learned["is_parity_flip"], bool) and 1 <= learned["states"] <= learned["clusters"]
    machine = learned["machine"]
    assert {"answer", "transitions", "counts", "start", "answer_purity", "parity_purity", "transition_purity",
            "members"} <= set(machine)
    assert len(machine["transitions"]) == learned["states"] and all(len(row) == 2 for row in machine["transitions"])
    count, length = 8, 16  # tests/conftest.py TINY's explain section
    assert np.asarray(machine["counts"]).sum() == count * (length - 1)
    figures = read_states(out["states.npz"])
    assert figures.sequence.bits.shape == (1, length) and figures.sequence.hidden.shape == (1, length, 4)
    assert figures.projection.points.shape == (count * length, 2) and figures.parity.shape == (count * length,)
    assert figures.centres.shape == (learned["clusters"], 8)
    first = {name: path.read_bytes() for name, path in out.items()}
    assert explain.main(argv) == 0
    assert first == {name: path.read_bytes() for name, path in out.items()}  # byte for byte, npz included
