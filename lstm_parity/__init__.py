"""lstm_parity: the library behind the parity pipeline. No command line here but `commands/`; the DVC
stages (stages/), the studies (studies/) and the benchmarks (bench/) call it.

    params       params.yaml, read once into validated frozen dataclasses
    parity       random bit sequences and their running parity
    datasets     the .npy sets on disk, read in checked row and column ranges
    generation   writing the sets
    files        atomic writes; errors and cli: one-line errors for the user
    metrics      each figure defined once, and the pass criterion
    model        the Keras model (the only module that imports Keras): build, save, load
    training     batches, the recipe's fit, the validation checks that stop it
    inference    running the model: at any length, in segments; recording its states
    evaluation   a model's figures on each set, in bounded memory
    automaton    the finite automaton read off the recorded states (numpy)
    states       the recorded states, their 2-D view, and the file that carries them
    figures/     PNG images of the results and of the states
    sweep/       grids of DVC experiments over machines
    pipeline     the paths and commands dvc.yaml and dvc.lock declare
    processes, provenance, markdown   running commands, what a figure was measured on, its table
    commands/    what a person types: `lstm-parity predict|sweep|params`
"""
import importlib.util as _util
import sys as _sys

# A Python without the project's packages (its environment not active, so that `dvc repro` runs the
# system `python`) would end every command in a ModuleNotFoundError traceback from deep inside: say so in
# one line first. find_spec only looks the packages up; nothing is imported here.
_MISSING = [name for name in ("numpy", "yaml", "tqdm", "keras", "matplotlib") if _util.find_spec(name) is None]
if _MISSING:
    _sys.stderr.write(f"error: {_sys.executable} lacks the project's packages ({', '.join(_MISSING)}); activate "
                      f"the project's environment (. .venv/bin/activate, which the quick start makes) and run "
                      f"again\n")
    raise SystemExit(2)
