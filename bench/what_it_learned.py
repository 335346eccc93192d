"""What a trained model learned (issue 13, part 3): its automaton, and the two state figures. Run from the
project root with the project's environment active:

    python bench/what_it_learned.py --model models/model.keras --name default
    python bench/what_it_learned.py --model /tmp/unsolved/model.keras --name unsolved

The unsolved model: params.yaml with train.units=1, train.seed=1, train.epochs=1 and both targets null
(validation accuracy 0.497 after one epoch), trained with
    python -m stages.train --params /tmp/unsolved/params.yaml --data data/train --model /tmp/unsolved/model.keras \
        --metrics /tmp/unsolved/train.json --history /tmp/unsolved/curve.csv

Records the states after every step of 200 random sequences of 200 bits (seed 0), extracts the automaton
(stages/automaton.py) and prints the clusters' machine and its minimisation; writes
bench/results/automaton_<name>.json and, beside it, <name>_state_sequence.png (one sequence of 60 bits)
and <name>_state_projection.png.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
RESULTS = PROJECT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "model.keras")
    parser.add_argument("--name", default="default")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args(argv)
    from stages import automaton, state_plots
    from stages.model import load_model
    from stages.states import project_2d

    model = load_model(args.model)
    trajectories = automaton.random_trajectories(model, args.count, args.length, np.random.default_rng(0))
    machine, minimal, centres = automaton.extract_automaton(trajectories, np.random.default_rng(0))
    print(f"step accuracy on the recorded sequences: {(trajectories.predicted == trajectories.parity).mean():.4f}")
    print("clusters:", *machine.describe(), sep="\n  ")
    print("minimised:", *minimal.describe(), sep="\n  ")
    print(f"two states, flip on 1: {minimal.is_parity_flip()}")
    one = automaton.record_states(model, np.random.default_rng(1).integers(0, 2, (1, 60), dtype=np.uint8))
    state_plots.plot_state_along_sequence(one, RESULTS / f"{args.name}_state_sequence.png")
    projection = project_2d(trajectories.states)
    state_plots.plot_state_projection(projection, trajectories.parity, RESULTS / f"{args.name}_state_projection.png",
                                      centres)
    model_name = (str(args.model.resolve().relative_to(PROJECT)) if args.model.resolve().is_relative_to(PROJECT)
                  else str(args.model))
    result = {"model": model_name, "count": args.count, "length": args.length, "seed": 0,
              "step_accuracy": round(float((trajectories.predicted == trajectories.parity).mean()), 6),
              "projection_explained": np.round(projection.explained, 4).tolist(),
              "clusters": machine.to_dict(), "minimised": minimal.to_dict()}
    out = RESULTS / f"automaton_{args.name}.json"
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
