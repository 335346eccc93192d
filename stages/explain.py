"""Stage: what the model learned. Records the LSTM's states after every step of explain.count random
sequences of explain.length bits (explain.seed), reads the automaton they implement off them, and writes
it as JSON, with the arrays the report stage draws the state figures from (.npz). Both are cached by DVC;
the report stage copies the JSON into metrics/ for git. How the automaton is read: lstm_parity/automaton.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import automaton, cli, params
from lstm_parity.files import write_json
from lstm_parity.keras_file import read_weights
from lstm_parity.states import state_figures, write_states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.explain", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--automaton", type=Path, required=True, help="the model's automaton, JSON to write")
    parser.add_argument("--states", type=Path, required=True, help="the state figures' arrays, .npz to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    how = params.load(args.params).explain

    learned, trajectories, centres = automaton.explain(read_weights(args.model), how.count, how.length, how.seed)
    write_json(args.automaton, learned)
    write_states(args.states, state_figures(trajectories, centres))
    print(f"automaton: {learned['states']} states from {learned['clusters']} clusters, parity flip: "
          f"{learned['is_parity_flip']}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
