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
