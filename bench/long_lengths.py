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
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results" / "long_lengths.json"
LENGTHS = (10_000, 100_000, 1_000_000)
COUNT = 200


def stage_command(name: str) -> str:
    return yaml.safe_load((PROJECT / "dvc.lock").read_text())["stages"][name]["cmd"]


def timed(command: str, cwd: Path) -> tuple[float, int]:
    """Run a command line under /usr/bin/time: (wall seconds, peak RSS in MB)."""
    sys.path.insert(0, str(PROJECT))
    from stages.cli import child_env

    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", *shlex.split(command)], cwd=cwd,
                                env=dict(child_env(), TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"{command} failed:\n{result.stderr[-3000:]}")
        wall, rss_kb = report.read().split()[-2:]
    return float(wall), round(int(rss_kb) / 1024)


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


PACKAGES = ("numpy", "keras", "tensorflow", "dvc")


def installed(name: str) -> str | None:
    """A package's version, under its plain or its CPU-only distribution name (tensorflow-cpu)."""
    for distribution in (name, f"{name}-cpu"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    return None


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(os.sysconf("SC_PAGE_SIZE")
                                                                    * os.sysconf("SC_PHYS_PAGES") / 2**30)}


def measure(model: Path) -> dict:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True, text=True,
                            check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="long-lengths-") as scratch:
        clone = Path(scratch) / "project"
        subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
        model_arg = shlex.split(stage_command("evaluate"))
        destination = clone / model_arg[model_arg.index("--model") + 1]
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(model, destination)
        rows = []
        for length in LENGTHS:
            rows.append(measure_length(clone, length))
            print(json.dumps(rows[-1]), flush=True)
    return {"commit": commit, "command": stage_command("evaluate"), "count": COUNT, "machine": machine(),
            "versions": {"python": platform.python_version(), **{name: installed(name) for name in PACKAGES}},
            "rows": rows}


def markdown_table(results: dict) -> str:
    lines = ["| length | sequences | accuracy | confidence | seconds | peak MB |", "|---:|---:|---:|---:|---:|---:|"]
    for row in results["rows"]:
        lines.append(f"| {row['length']:,} | {row['count']} | {row['accuracy']:.4f} | {row['confidence']:.4f} | "
                     f"{row['seconds']:.0f} | {row['peak_mb']} |")
    return "\n".join(lines) + "\n"


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
