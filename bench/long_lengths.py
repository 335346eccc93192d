"""The default model at lengths 10^4, 10^5 and 10^6 (200 sequences each), measured through the pipeline's
own commands: accuracy, confidence, wall seconds and peak RSS. Run from the project root, with the
project's environment active and a trained model (`dvc repro`):

    python bench/long_lengths.py            # measure; writes bench/results/long_lengths.json
    python bench/long_lengths.py --table    # the README's markdown table, from that JSON only

For each length, in a scratch clone of the committed project (HEAD) holding a copy of models/model.keras,
params.yaml gets evaluate.lengths [L] and evaluate.count 200, and two commands run under /usr/bin/time:
`python -m stages.generate lengths ...` and `python -m stages.generate heldout ...` (the sets, 200 MB per
file at 10^6), then the evaluate command exactly as dvc.lock records it. A run per length, so each row's
seconds and peak memory are that length's; they cover the whole evaluate process (importing Keras, the
held-out set, compiling the segment loop, recording the states of the explain section).
"""
from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:  # run as `python bench/long_lengths.py`
    sys.path.insert(0, str(PROJECT))
from bench import run  # noqa: E402 - needs the project on sys.path first

RESULTS = PROJECT / "bench" / "results" / "long_lengths.json"
LENGTHS = (10_000, 100_000, 1_000_000)
COUNT = 200


def stage_command(name: str) -> str:
    return yaml.safe_load((PROJECT / "dvc.lock").read_text())["stages"][name]["cmd"]


def timed(command: str, cwd: Path) -> tuple[float, int]:
    """A command line under /usr/bin/time, as bench/run.py times every stage: (wall seconds, peak MB)."""
    stats, _ = run.timed(shlex.split(command), cwd)
    return stats["wall_s"], stats["peak_rss_mb"]


def measure_length(clone: Path, length: int) -> dict:
    params = yaml.safe_load((clone / "params.yaml").read_text())
    params["evaluate"]["lengths"], params["evaluate"]["count"] = [length], COUNT
    (clone / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    shutil.rmtree(clone / "data", ignore_errors=True)
    generate_s = sum(timed(stage_command(name), clone)[0] for name in ("generate_lengths", "generate_heldout"))
    command = stage_command("evaluate")
    seconds, peak_mb = timed(command, clone)
    metrics_path = clone / shlex.split(command)[shlex.split(command).index("--metrics") + 1]
    section = json.loads(metrics_path.read_text())[f"length_{length}"]
    shutil.rmtree(clone / "data")
    return {"length": length, "count": section["count"], "accuracy": section["accuracy"],
            "step_accuracy": section["step_accuracy"], "confidence": section["confidence"],
            "seconds": seconds, "peak_mb": peak_mb, "generate_seconds": round(generate_s, 2)}


def measure(model: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="long-lengths-") as scratch:
        clone = Path(scratch) / "project"
        subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
        measured = run.measured_on([clone])  # before measure_length edits the clone's params
        model_arg = shlex.split(stage_command("evaluate"))
        destination = clone / model_arg[model_arg.index("--model") + 1]
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(model, destination)
        rows = []
        for length in LENGTHS:
            rows.append(measure_length(clone, length))
            print(json.dumps(rows[-1]), flush=True)
        return {"measured_on": measured, "command": stage_command("evaluate"), "count": COUNT,
                "rows": rows}


def markdown_table(results: dict) -> str:
    lines = ["| length | sequences | accuracy | confidence | seconds | peak MB |", "|---:|---:|---:|---:|---:|---:|"]
    for row in results["rows"]:
        lines.append(f"| {row['length']:,} | {row['count']} | {row['accuracy']:.4f} | {row['confidence']:.4f} | "
                     f"{row['seconds']:.0f} | {row['peak_mb']} |")
    measured = run.measured_line(results.get("measured_on"), ["python bench/long_lengths.py"])
    return "\n".join(lines) + "\n\n" + measured + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help=f"print the README's table from {RESULTS.name}")
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "model.keras")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(RESULTS.read_text())), end="")
        return 0
    results = measure(args.model.resolve())
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(markdown_table(results), end="")
    print(f"wrote {RESULTS.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
