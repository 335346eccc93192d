"""What a trained model learned: its automaton, and the two state figures. Run from the project root with
the project's environment active:

    python studies/what_it_learned/run.py --model models/model.keras --name default
    python studies/what_it_learned/run.py --model /tmp/unsolved/model.keras --name unsolved

The unsolved model: params.yaml with train.units=1, train.seed=1, train.epochs=1 and both targets null (it
stays at chance after its epoch), trained with
    python -m stages.train --params /tmp/unsolved/params.yaml --data data/train --model /tmp/unsolved/model.keras \
        --live /tmp/unsolved/live --results /tmp/unsolved/results

Records the states after every step of 200 random sequences of 200 bits (seed 0), extracts the automaton
(lstm_parity/automaton.py) and prints the clusters' machine and its minimisation; writes
results/automaton_<name>.json and, beside it, <name>_state_sequence.png (one sequence of 60 bits)
and <name>_state_projection.png.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lstm_parity import automaton
from lstm_parity.figures import states as state_plots
from lstm_parity.files import write_json
from lstm_parity.inference import random_trajectories, record_trajectories
from lstm_parity.keras_file import read_weights
from lstm_parity.metrics import rounded
from lstm_parity.states import project_2d

STUDY = Path(__file__).resolve().parent
PROJECT = STUDY.parents[1]
RESULTS_DIR = STUDY / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "model.keras")
    parser.add_argument("--name", default="default")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args(argv)
    weights = read_weights(args.model)
    trajectories = random_trajectories(weights, args.count, args.length, np.random.default_rng(0))
    machine, minimal, centres = automaton.extract_automaton(trajectories, np.random.default_rng(0))
    print(f"step accuracy on the recorded sequences: {(trajectories.predicted == trajectories.parity).mean():.4f}")
    print("clusters:", *machine.describe(), sep="\n  ")
    print("minimised:", *minimal.describe(), sep="\n  ")
    print(f"two states, flip on 1: {minimal.is_parity_flip()}")
    one = record_trajectories(weights, np.random.default_rng(1).integers(0, 2, (1, 60), dtype=np.uint8))
    state_plots.plot_state_along_sequence(one, RESULTS_DIR / f"{args.name}_state_sequence.png")
    projection = project_2d(trajectories.states)
    state_plots.plot_state_projection(projection, trajectories.parity,
                                      RESULTS_DIR / f"{args.name}_state_projection.png", centres)
    model_name = (str(args.model.resolve().relative_to(PROJECT)) if args.model.resolve().is_relative_to(PROJECT)
                  else str(args.model))
    result = {"model": model_name, "count": args.count, "length": args.length, "seed": 0,
              "step_accuracy": rounded((trajectories.predicted == trajectories.parity).mean()),
              "projection_explained": np.round(projection.explained, 4).tolist(),
              "clusters": machine.to_dict(), "minimised": minimal.to_dict()}
    out = RESULTS_DIR / f"automaton_{args.name}.json"
    write_json(out, result)
    print(f"wrote {out.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
