"""The default model at lengths 10^4, 10^5 and 10^6 (200 sequences each), measured through the pipeline's
own commands: accuracy, confidence, wall seconds and peak RSS. Run from the project root, with the
project's environment active and a trained model (`dvc repro`):

    python bench/long_lengths.py            # measure; writes bench/results/long_lengths.json
    python bench/long_lengths.py --table    # the docs' markdown table, from that JSON only

For each length, in a scratch clone of the committed project (HEAD) holding a copy of the model,
params.yaml gets evaluate.lengths [L] and evaluate.count 200; the generate commands make the sets (200 MB
per file at 10^6), then the evaluate command runs exactly as dvc.lock records it, under /usr/bin/time. A
run per length, so each row's seconds and peak memory are that length's: the whole evaluate process
(imports, the held-out set, the training set's strings counted, then the long set).
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import yaml

from lstm_parity.files import write_json
from lstm_parity.markdown import table as markdown_table
from lstm_parity.pipeline import Stage, declared_paths, locked_stages
from lstm_parity.processes import fresh_clone, timed
from lstm_parity.provenance import measured_line, measured_on

PROJECT = Path(__file__).resolve().parents[1]
RESULTS_FILE = PROJECT / "bench" / "results" / "long_lengths.json"
LENGTHS = (10_000, 100_000, 1_000_000)
COUNT = 200


def measure_length(clone: Path, stages: dict[str, Stage], length: int) -> dict:
    params = yaml.safe_load((clone / "params.yaml").read_text())
    params["evaluate"]["lengths"], params["evaluate"]["count"] = [length], COUNT
    (clone / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    shutil.rmtree(clone / "data", ignore_errors=True)
    generate_s = sum(timed(stages[name].argv, clone)[0].wall_s
                     for name in ("generate_lengths", "generate_heldout", "generate_train"))
    usage, _ = timed(stages["evaluate"].argv, clone)
    section = json.loads((clone / declared_paths(clone)["eval_results"]).read_text())[f"length_{length}"]
    shutil.rmtree(clone / "data")
    return {"length": length, "count": section["count"], "accuracy": section["accuracy"],
            "step_accuracy": section["step_accuracy"], "confidence": section["confidence"],
            "seconds": usage.wall_s, "peak_mb": usage.peak_rss_mb, "generate_seconds": round(generate_s, 2)}


def measure(model: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="long-lengths-") as scratch:
        clone = fresh_clone(PROJECT, Path(scratch) / "project")
        measured = measured_on([clone])  # before measure_length edits the clone's params
        stages = {stage.name: stage for stage in locked_stages(clone)}
        destination = clone / declared_paths(clone)["model"]
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(model, destination)
        rows = []
        for length in LENGTHS:
            rows.append(measure_length(clone, stages, length))
            print(json.dumps(rows[-1]), flush=True)
        return {"measured_on": measured, "command": " ".join(stages["evaluate"].argv), "count": COUNT,
                "rows": rows}


def results_markdown(results: dict) -> str:
    rows = [[f"{row['length']:,}", str(row["count"]), f"{row['accuracy']:.4f}", f"{row['confidence']:.4f}",
             f"{row['seconds']:.0f}", str(row["peak_mb"])] for row in results["rows"]]
    lines = markdown_table(["length", "sequences", "accuracy", "confidence", "seconds", "peak MB"], ["---:"] * 6, rows)
    measured = measured_line(results["measured_on"], ["python bench/long_lengths.py"])
    return "\n".join(lines) + "\n\n" + measured + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help=f"print the docs' table from {RESULTS_FILE.name}")
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "model.keras")
    args = parser.parse_args(argv)
    if args.table:
        print(results_markdown(json.loads(RESULTS_FILE.read_text())), end="")
        return 0
    results = measure(args.model.resolve())
    write_json(RESULTS_FILE, results)
    print(results_markdown(results), end="")
    print(f"wrote {RESULTS_FILE.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
