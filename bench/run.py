"""Benchmarks of time and memory (never part of the test suite). Run from the project root, with the
project's environment active:

    python bench/run.py compare   # the post's script vs `dvc repro --force` from nothing, side by side
    python bench/run.py scale     # each stage's time and peak RSS as data.count and data.seq_len grow
    python bench/run.py table compare|scale   # the docs' markdown, from bench/results/ only

Each measuring mode prints a table and writes bench/results/<name>.json, which records what was measured
on (lstm_parity.provenance): the commit of the fresh clone, whether its code or params differ from it
(bench never edits them: varied params go to the stages in a file of their own, through `--params`), the
machine, the package versions, and the params. Stage commands are dvc.lock's, run as dvc runs them.
Timings come from /usr/bin/time (wall seconds, peak RSS) around separate processes, all on this machine
in one run; compare ratios, not absolutes.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from lstm_parity.files import write_json
from lstm_parity.markdown import table as markdown_table
from lstm_parity.pipeline import Stage, declared_paths, locked_stages
from lstm_parity.processes import fresh_clone, timed
from lstm_parity.provenance import measured_line, measured_on

PROJECT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT / "bench" / "results"
# (count, seq_len): count grows at seq_len 50, then seq_len grows at a fixed 5 * 10^7 bits.
SCALE_POINTS = [(100_000, 50), (1_000_000, 50), (10_000_000, 50), (100_000, 500), (10_000, 5000)]
# Scale's training: at most an epoch, and XLA, which pays when a run may last that long.
SCALE_TRAIN = {"epochs": 1, "jit_compile": True}
# predict is timed on this many random bits: a few typed, and its most.
PREDICT_BITS = (7, 1_000_000)
# The stages whose command takes `--timings FILE`.
TIMED_STAGES = {"train"}


# Clones and files

def read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def write_params(path: Path, params: dict) -> Path:
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


# The pipeline's stages, run alone

def stage_argv(stage: Stage, params_file: Path | None = None, timings: Path | None = None) -> list[str]:
    argv = list(stage.argv)
    if params_file is not None and stage.reads_params:
        argv += ["--params", str(params_file)]
    if timings is not None:
        argv += ["--timings", str(timings)]
    return argv


def run_stage(stage: Stage, repo: Path, params_file: Path | None = None) -> dict:
    """One stage's command alone: {stage, wall_s, peak_rss_mb}, and fit_s for a stage that reports it."""
    timings = repo.parent / f"{repo.name}-{stage.name}-timings.json" if stage.name in TIMED_STAGES else None
    usage, _ = timed(stage_argv(stage, params_file, timings), repo)
    row = {"stage": stage.name, **usage.as_dict()}
    if timings is not None:
        row["fit_s"] = read_json(timings)["fit_seconds"]
    return row


def without(params: dict, varied: list[str]) -> dict:
    """`params` less the dotted keys that vary from run to run (each run records its own)."""
    shared = copy.deepcopy(params)
    for key in varied:
        section, name = key.split(".")
        del shared[section][name]
    return shared


# Measuring modes

def measure_baseline(root: Path) -> dict:
    usage, out = timed([sys.executable, str(PROJECT / "bench" / "post_baseline.py")], root)
    return {**usage.as_dict(), **json.loads(out.strip().splitlines()[-1])}  # its last line: a JSON of timings


def compare(root: Path) -> dict:
    print("baseline: the post's script, faithfully (bench/post_baseline.py) ...", flush=True)
    baseline = measure_baseline(root)
    print("pipeline: `dvc repro --force` in a fresh clone, from nothing ...", flush=True)
    results = measure_pipeline(root)
    results["baseline"] = baseline
    results["speedup"] = round(baseline["total_s"] / results["pipeline"]["repro_wall_s"], 1)
    print("\n" + compare_markdown(results), end="")
    return results


def measure_pipeline(root: Path) -> dict:
    """`dvc repro --force` in one fresh clone, then each stage's command alone in a second one."""
    repo = fresh_clone(PROJECT, root / "pipeline")
    # --force: a plain repro would skip evaluate and report, whose inputs (the model included, being
    # byte-reproducible) match the committed dvc.lock and whose outputs are committed.
    repro, _ = timed(["dvc", "repro", "--force"], repo)
    paths = declared_paths(repo)
    training = read_json(repo / paths["train_results"] / "metrics.json")  # the training log's own record
    sections = read_json(repo / paths["eval_results"])
    params = read_yaml(repo / "params.yaml")
    predict = [measure_predict(repo, bits) for bits in PREDICT_BITS]

    print("stages: each stage's command alone, in a second fresh clone ...", flush=True)
    alone = fresh_clone(PROJECT, root / "stages")
    stages = [run_stage(stage, alone) for stage in locked_stages(alone)]
    by_name = {row["stage"]: row for row in stages}
    data, fit_s = params["data"], by_name["train"]["fit_s"]
    sequence_steps = training["step"] * params["train"]["batch_size"] * data["seq_len"]
    steps_per_epoch = data["count"] // params["train"]["batch_size"]
    return {
        "measured_on": measured_on([repo, alone]),
        "params": params,
        "pipeline": {
            "repro_wall_s": repro.wall_s, "repro_peak_rss_mb": repro.peak_rss_mb,
            "stages": stages,
            "generate_train_bits_per_s": round(data["count"] * data["seq_len"] / by_name["generate_train"]["wall_s"]),
            "train_sequence_steps_per_s": round(sequence_steps / fit_s),
            "epochs_to_target": round(training["step"] / steps_per_epoch, 4), "seconds_to_target": fit_s,
            "reached_target": training["reached_target"],
            "accuracy": {name: s["accuracy"] for name, s in sections.items()},
            "confidence": {name: s["confidence"] for name, s in sections.items()},
            "predict": predict,
        },
    }


def measure_predict(repo: Path, bits: int) -> dict:
    """`lstm-parity predict` on `bits` random bits from a file, as a whole process: {bits, wall_s, peak_rss_mb}."""
    source = repo.parent / f"bits-{bits}.txt"
    rng = random.Random(bits)
    source.write_text("".join(rng.choice("01") for _ in range(bits)) + "\n")
    usage, _ = timed([sys.executable, "-m", "lstm_parity", "predict", "--file", str(source)], repo)
    return {"bits": bits, **usage.as_dict()}


def scale_eval_length(seq_len: int) -> int:
    """Scale's one evaluation length: long enough to cost something, and longer than training's."""
    return max(10_000, 2 * seq_len)


def scale(root: Path, points: list[tuple[int, int]], disk_bytes: int) -> dict:
    """Each stage's command alone, under /usr/bin/time, at each (count, seq_len). Training stops at its
    default target, so at seq_len 50 its time is the fixed cost of a run, not the count."""
    repo = fresh_clone(PROJECT, root / "scale")
    stages = locked_stages(repo)
    params = read_yaml(repo / "params.yaml")
    params["train"].update(SCALE_TRAIN)
    params_file = root / "params.yaml"
    rows = []
    for count, seq_len in points:
        params["data"].update(count=count, seq_len=seq_len)
        params["evaluate"]["lengths"] = [scale_eval_length(seq_len)]
        write_params(params_file, params)
        for folder in ("data", "models"):  # the last point's sets: up to a gigabyte of disk
            shutil.rmtree(repo / folder, ignore_errors=True)
        row = {"count": count, "seq_len": seq_len, "bits": count * seq_len,
               "evaluate_length": scale_eval_length(seq_len),
               "stages": [run_stage(stage, repo, params_file) for stage in stages]}
        generate = next(s for s in row["stages"] if s["stage"] == "generate_train")
        row["generate_train_bits_per_s"] = round(row["bits"] / generate["wall_s"])
        rows.append(row)
        print(f"measured count {count:,}, seq_len {seq_len:,}", flush=True)
    results = {"points": rows, "disk_write_bytes_per_s": disk_write_rate(root, disk_bytes),
               "measured_on": measured_on([repo]),
               "params": without(params, ["data.count", "data.seq_len", "evaluate.lengths"]),
               "varied": ["data.count", "data.seq_len", "evaluate.lengths"]}
    print("\n" + scale_markdown(results), end="")
    return results


def disk_write_rate(root: Path, size: int) -> float:
    """Bytes per second of writing `size` random bytes with plain writes and fsync: the floor for
    generation, which writes two bytes (bit and target) per bit."""
    code = ("import os, sys, time; block = os.urandom(1 << 24); t = time.perf_counter()\n"
            f"with open(sys.argv[1], 'wb') as f:\n    for _ in range(max(1, {size} >> 24)): f.write(block)\n"
            "    f.flush(); os.fsync(f.fileno())\nprint(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code, str(root / "disk.bin")], capture_output=True, text=True,
                            check=True)
    (root / "disk.bin").unlink()
    return max(1, size >> 24) * (1 << 24) / float(result.stdout)


# Markdown for the README, from results alone

def compare_markdown(results: dict) -> str:
    base, pipeline = results["baseline"], results["pipeline"]
    rows = [["post's script, end to end", f"{base['total_s']:.1f}", f"{base['peak_rss_mb']}"],
            ["&nbsp; importing Keras / building data with lists / 10 epochs of training / its demo "
             "(predicting the training set)",
             " / ".join(f"{base[key]:.1f}" for key in ("import_s", "generate_s", "train_s", "demo_s")), ""],
            ["`dvc repro --force` from nothing, total", f"{pipeline['repro_wall_s']:.1f}",
             f"{pipeline['repro_peak_rss_mb']}"],
            *([f"&nbsp; `{s['stage']}`", f"{s['wall_s']:.1f}", f"{s['peak_rss_mb']}"] for s in pipeline["stages"]),
            *([f"`lstm-parity predict`, {p['bits']:,} bits, whole process", f"{p['wall_s']:.2f}",
               f"{p['peak_rss_mb']}"] for p in pipeline.get("predict", []))]
    train = next(s for s in pipeline["stages"] if s["stage"] == "train")
    reached = "reached its target" if pipeline["reached_target"] else "stopped short of its target"
    accuracy, confidence = pipeline["accuracy"], pipeline["confidence"]
    lines = [
        measured_line(results["measured_on"], ["python bench/run.py compare"]), "",
        *markdown_table(["run", "wall s", "peak RSS MB"], ["---", "---:", "---:"], rows), "",
        f"- Speed-up, post's script over the whole pipeline: **{results['speedup']}x**. Training {reached} after "
        f"{pipeline['epochs_to_target']} epochs ({pipeline['seconds_to_target']:.1f} s of fitting, tracing "
        f"included, {pipeline['train_sequence_steps_per_s']:.3g} sequence steps/s); generating the training set "
        f"ran at {pipeline['generate_train_bits_per_s']:.3g} bits/s, process start included.",
        f"- Accuracy: the post's script {base['heldout_accuracy']:.4f} on fresh length-50 sequences (its model "
        f"cannot run other lengths); the pipeline " + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items()) +
        " (confidence " + ", ".join(f"{v:.4f}" for v in confidence.values()) + ").",
        f"- The train stage spent {train['wall_s'] - train['fit_s']:.1f} s of its {train['wall_s']:.1f} s outside "
        f"fitting (process start, imports, reading the data, saving the model).",
    ]
    return "\n".join(lines) + "\n"


def scale_markdown(results: dict) -> str:
    shown = ("generate_train", "generate_heldout", "train", "evaluate")
    header = ["count", "seq_len", "bits", *(f"{name} s / MB" for name in shown)]
    rows, stage_rows = [], []
    for point in results["points"]:
        stages = {s["stage"]: s for s in point["stages"]}
        stage_rows.append(stages)
        rows.append([f"{point['count']:,}", f"{point['seq_len']:,}", f"{point['bits']:.0e}",
                     *(f"{stages[name]['wall_s']:.1f} / {stages[name]['peak_rss_mb']}" for name in shown)])
    fastest = max(point["generate_train_bits_per_s"] for point in results["points"])
    disk = results["disk_write_bytes_per_s"]
    lines = [
        measured_line(results["measured_on"], ["python bench/run.py scale"]), "",
        f"Each stage alone; training runs at most {SCALE_TRAIN['epochs']} epoch, with XLA, and stops at its "
        f"target; evaluation at length max(10000, 2 x seq_len).", "",
        *markdown_table(header, ["---:"] * 3 + ["---"] * len(shown), rows), "",
        f"- Generation: peak RSS at most {max(s['generate_train']['peak_rss_mb'] for s in stage_rows)} MB at any "
        f"size; at best {fastest:.3g} bits/s ({2 * fastest:.3g} bytes/s written, bits and targets), where a plain "
        f"write of random bytes to this disk ran at {disk:.3g} bytes/s.",
        "- Training's peak RSS: " + training_memory(results["points"], stage_rows) + ".",
    ]
    return "\n".join(lines) + "\n"


def training_memory(points: list[dict], stage_rows: list[dict]) -> str:
    """Training's peak RSS at the smallest and largest count of the shortest seq_len, and at the longest."""
    shortest, longest = min(p["seq_len"] for p in points), max(p["seq_len"] for p in points)
    at_shortest = sorted((p["count"], s["train"]["peak_rss_mb"]) for p, s in zip(points, stage_rows, strict=True)
                         if p["seq_len"] == shortest)
    text = f"{at_shortest[0][1]} MB at count {at_shortest[0][0]:,}"
    if len(at_shortest) > 1:
        text += f" and {at_shortest[-1][1]} MB at count {at_shortest[-1][0]:,}"
    text += f" (seq_len {shortest:,})"
    if longest != shortest:
        rss = max(s["train"]["peak_rss_mb"] for p, s in zip(points, stage_rows, strict=True)
                  if p["seq_len"] == longest)
        text += f"; {rss} MB at seq_len {longest:,}"
    return text


def predict_markdown(results: dict) -> str:
    """The README's line on predict: how long it takes as a whole process, from compare's results."""
    runs = results["pipeline"].get("predict")
    if not runs:
        raise SystemExit("compare.json holds no predict timings; run `python bench/run.py compare` again")
    timings = " and ".join(f"{p['bits']:,} bits in {p['wall_s']:.2f} s ({p['peak_rss_mb']} MB)" for p in runs)
    return (f"`lstm-parity predict` runs the model in numpy, without TensorFlow: {timings}, each a whole process "
            f"(commit {results['measured_on']['commit'][:7]}, `python bench/run.py compare`).\n")


def results_markdown(kind: str, folder: Path) -> str:
    """README's markdown for one mode, from the results files in `folder` alone (predict: compare's)."""
    source = "compare" if kind == "predict" else kind
    path = folder / f"{source}.json"
    if not path.exists():
        raise SystemExit(f"{path}: not found; run `python bench/run.py {source}` first")
    return {"compare": compare_markdown, "scale": scale_markdown, "predict": predict_markdown}[kind](read_json(path))


# Command line

def parse_point(text: str) -> tuple[int, int]:
    count, _, seq_len = text.partition("x")
    return int(count), int(seq_len)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR,
                        help="folder of results files (default: %(default)s)")
    modes = parser.add_subparsers(dest="mode", required=True)
    modes.add_parser("compare", help="the post's script vs `dvc repro --force` from nothing")
    scale_parser = modes.add_parser("scale", help="each stage's time and memory as the data grow")
    scale_parser.add_argument("--point", action="append", type=parse_point, metavar="COUNTxSEQ_LEN",
                              help="measure here instead of the standard points (repeatable)")
    scale_parser.add_argument("--disk-mib", type=int, default=1024, help="size of the plain disk write measured")
    table_parser = modes.add_parser("table", help="print README's markdown from the results files")
    table_parser.add_argument("kind", choices=["compare", "scale", "predict"])
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, root: Path) -> tuple[str, dict]:
    """(results name, results) of one measuring mode."""
    if args.mode == "compare":
        return "compare", compare(root)
    return "scale", scale(root, args.point or SCALE_POINTS, args.disk_mib << 20)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mode == "table":
        print(results_markdown(args.kind, args.results), end="")
        return 0
    root = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    try:
        name, results = measure(args, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    path = args.results / f"{name}.json"
    args.results.mkdir(parents=True, exist_ok=True)
    write_json(path, results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
