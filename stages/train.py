"""Stage: train the LSTM on the training set; write the model and its training log.

Reads the training set folder (bits.npy, targets.npy, and the validation/ set beside them) and the
train.* params (their meanings: lstm_parity/params.py). Writes the .keras model, cached by DVC, and logs
every validation check through dvclive into the live folder (the training metrics of record and the
curve by step, which the report stage owns in git): DVC's tools show the run there while it trains.
When training ends the log is copied into the results folder, cached by DVC, so that a machine that
restores this stage from a shared run cache gets it too (the report stage writes the live folder from it).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli, params
from lstm_parity.datasets import VALIDATION_SET, ParitySet
from lstm_parity.errors import DataError
from lstm_parity.files import copy_tree, write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="training set folder")
    parser.add_argument("--model", type=Path, required=True, help=".keras file to write")
    parser.add_argument("--live", type=Path, required=True, help="folder of the log written at every check")
    parser.add_argument("--results", type=Path, required=True, help="folder to copy the log into at the end")
    parser.add_argument("--timings", type=Path, help="JSON of wall-clock timings to write (for bench/)")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    cfg = params.load(args.params).train
    data = ParitySet(args.data)
    validation_folder = args.data / VALIDATION_SET
    validation = ParitySet(validation_folder) if validation_folder.exists() else None
    if validation is None and (cfg.target_accuracy is not None or cfg.target_confidence is not None):
        raise DataError(f"{validation_folder}: not found; train.target_accuracy and train.target_confidence "
                        f"need a validation set (data.validation_count >= 1)")

    # Keras is imported here, inside cli.run, so that Ctrl-C or a wrong KERAS_BACKEND during its seconds of
    # importing ends in one line too.
    from lstm_parity.model import build_model, keras, save_model
    from lstm_parity.training import LiveLog, TerminalProgress, train

    keras.utils.set_random_seed(cfg.seed)  # Python, numpy and TensorFlow, once
    model = build_model(cfg.units)
    progress, log = TerminalProgress(sys.stdout), LiveLog(args.live)
    result = train(model, data, validation, cfg, on_check=[progress, log])
    progress.close()
    log.close(result.reached_target)
    save_model(model, args.model)
    copy_tree(args.live, args.results)
    if args.timings:
        write_json(args.timings, {"fit_seconds": round(result.fit_seconds, 3)})
    print(f"trained {result.steps} steps ({result.epochs} epochs) in {result.fit_seconds:.1f} s; validation "
          f"final-step accuracy {result.validation_accuracy}, confidence {result.validation_confidence}; "
          f"target reached: {result.reached_target}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
