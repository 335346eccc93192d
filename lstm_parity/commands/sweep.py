"""`lstm-parity sweep`: a grid of DVC experiments spread over machines.

    lstm-parity sweep run --grid sweeps/<name>.yaml --shard 2/8     # on each machine, in a clone
    lstm-parity sweep collect --grid sweeps/<name>.yaml             # anywhere: pull all, print the table

A grid file lists values per param key, and may list cases, each setting several keys together; every
combination of values (times every case) is one experiment, named from the sweep and the point's values,
so a rerun finds what is already done.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lstm_parity.sweep.experiments import collect, run_share
from lstm_parity.sweep.grid import load_grid, parse_shard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lstm-parity sweep", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run this machine's share and push it")
    run.add_argument("--shard", default="1/1", help="k/n: the k-th of n shares (default 1/1: all)")
    run.add_argument("--remote", help="DVC remote (default: the repository's default remote)")
    collect_parser = commands.add_parser("collect", help="pull every point's experiment and print the table")
    collect_parser.add_argument("--metrics-only", action="store_true",
                      help="pull the experiments' git refs only, not their models and data")
    collect_parser.add_argument("--json", type=Path, metavar="FILE",
                      help="also write every point, its experiment's commit, params and metrics, to FILE")
    for command in (run, collect_parser):
        command.add_argument("--grid", type=Path, required=True, help="grid file, e.g. sweeps/tiny.yaml")
        command.add_argument("--git-remote", default="origin", help="git remote shared by every machine")
    args = parser.parse_args(argv)
    grid = load_grid(args.grid)
    if args.command == "run":
        return run_share(grid, *parse_shard(args.shard), git_remote=args.git_remote, dvc_remote=args.remote)
    return collect(grid, args.git_remote, with_outputs=not args.metrics_only, json_out=args.json)
